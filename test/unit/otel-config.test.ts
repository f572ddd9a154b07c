// otelConfig(env): protocols, endpoints per protocol, Zipkin, and the TLS variables.
import { ConfigError } from '../../src/errors';
import { otelConfig } from '../../src/cli/otel-config';
import { makeCerts, TestCerts } from '../helpers/certs';

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());

const err = (env: NodeJS.ProcessEnv): ConfigError => {
  try {
    otelConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('protocols', () => {
  it('default http/protobuf for both signals; the per-signal variable beats the general one', () => {
    expect(otelConfig({})).toMatchObject({ tracesProtocol: 'http/protobuf', metricsProtocol: 'http/protobuf' });
    expect(otelConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatchObject({ tracesProtocol: 'grpc', metricsProtocol: 'grpc' });
    expect(otelConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' }))
      .toMatchObject({ tracesProtocol: 'grpc', metricsProtocol: 'http/json' });
  });

  it('a bad OTEL_EXPORTER_OTLP_METRICS_PROTOCOL names it', () => {
    expect(err({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc/json' }).message)
      .toBe('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: unsupported value "grpc/json"; expected grpc, http/protobuf or http/json');
  });

  it('over gRPC the base endpoint is used as given; over HTTP /v1/<signal> is appended', () => {
    expect(otelConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' }))
      .toMatchObject({ otlpTracesUrl: 'http://c:4317', otlpMetricsUrl: 'http://c:4317', tracesExporters: ['otlp'] });
    expect(otelConfig({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }))
      .toMatchObject({ otlpTracesUrl: 'http://c:4318', otlpMetricsUrl: 'http://c:4318/v1/metrics' });
    expect(otelConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }).otlpTracesUrl).toBe('http://c:4318/v1/traces');
  });

  it('host:port without a scheme is a gRPC endpoint only', () => {
    expect(otelConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector.obs:4317' }).otlpTracesUrl).toBe('collector.obs:4317');
    expect(err({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector.obs:4317' }).message).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT: invalid value "collector.obs:4317"/);
  });
});

describe('Zipkin', () => {
  it('OTEL_TRACES_EXPORTER=zipkin with the default or a given endpoint', () => {
    expect(otelConfig({ OTEL_TRACES_EXPORTER: 'zipkin' })).toMatchObject({ tracesExporters: ['zipkin'], zipkinUrl: 'http://localhost:9411/api/v2/spans' });
    expect(otelConfig({ OTEL_TRACES_EXPORTER: 'otlp,zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://z:9411/api/v2/spans' }))
      .toMatchObject({ tracesExporters: ['otlp', 'zipkin'], zipkinUrl: 'http://z:9411/api/v2/spans' });
    expect(err({ OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'z:9411' }).message).toMatch(/^OTEL_EXPORTER_ZIPKIN_ENDPOINT: invalid value "z:9411"/);
  });
});

describe('TLS variables', () => {
  it('readable PEM files pass, for every signal', () => {
    for (const s of ['', 'TRACES_', 'METRICS_']) {
      expect(() => otelConfig({
        [`OTEL_EXPORTER_OTLP_${s}CERTIFICATE`]: certs.caFile,
        [`OTEL_EXPORTER_OTLP_${s}CLIENT_CERTIFICATE`]: certs.clientCertFile,
        [`OTEL_EXPORTER_OTLP_${s}CLIENT_KEY`]: certs.clientKeyFile,
      })).not.toThrow();
    }
  });

  it('a per-signal key completes a general certificate', () => {
    expect(() => otelConfig({ OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.clientCertFile, OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.clientKeyFile,
      OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: certs.clientKeyFile })).not.toThrow();
    expect(err({ OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: certs.clientKeyFile }).message)
      .toMatch(/^OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY is set but neither OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE nor OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE is/);
  });

  it('a missing file, a directory, and a file of the wrong kind name the variable', () => {
    expect(err({ OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: '/no/such.pem' }).message).toMatch(/^OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: cannot read "\/no\/such.pem" \(ENOENT\)/);
    expect(err({ OTEL_EXPORTER_OTLP_CERTIFICATE: certs.dir }).message).toMatch(/^OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read .*\(EISDIR\)/);
    expect(err({ OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.clientKeyFile, OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.clientKeyFile }).message)
      .toMatch(/^OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: .* is not a PEM certificate/);
  });

  it('OTEL_EXPORTER_OTLP_INSECURE is true or false', () => {
    expect(() => otelConfig({ OTEL_EXPORTER_OTLP_INSECURE: 'true', OTEL_EXPORTER_OTLP_TRACES_INSECURE: 'FALSE' })).not.toThrow();
    expect(err({ OTEL_EXPORTER_OTLP_METRICS_INSECURE: 'yes' }).message).toBe('OTEL_EXPORTER_OTLP_METRICS_INSECURE: invalid value "yes"; expected true or false');
  });
});
