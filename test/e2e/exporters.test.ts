// Every exporter and protocol against a real receiver that decodes what it gets: OTLP over gRPC
// (@grpc/grpc-js), http/json and http/protobuf, Zipkin v2 JSON, and TLS with a required client
// certificate for both gRPC and HTTP. Certificates are made at test time with openssl.
import { TestCerts, makeCerts } from '../helpers/certs';
import { listening, runCli as run } from '../helpers/cli';
import { GrpcReceiver, startGrpcReceiver } from '../helpers/grpc-receiver';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { OtlpReceiver, ReceivedMetric, ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver';
import { parsePrometheus, total } from '../helpers/prometheus';
import { ZipkinReceiver, startZipkinReceiver } from '../helpers/zipkin-receiver';

let server: TestServer;
let certs: TestCerts;
const closers: (() => Promise<void>)[] = [];
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await server.close();
});

/** Runs the CLI with `env`, makes one session (a tool call and a tool error), then SIGTERM: the flush delivers the spans. */
async function session(env: Record<string, string>, during?: (admin: string) => Promise<void>): Promise<string> {
  const p = run(['--upstream', server.url, '--port', '0', '--admin-port', '0'], env);
  try {
    const { url, admin } = await listening(p);
    const c = await connectClient(url);
    await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await c.client.callTool({ name: 'fail', arguments: {} });
    await c.close();
    if (during) await during(admin);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  } finally {
    p.child.kill('SIGKILL');
  }
  return p.output();
}

/** The same spans, whatever the protocol: names, kinds and MCP attributes as on http/protobuf. */
function expectSessionSpans(spans: ReceivedSpan[]): void {
  const add = spans.find((s) => s.name === 'tools/call add');
  expect(add).toBeDefined();
  expect(add!.kind).toBe(2);
  expect(add!.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(add!.spanId).toMatch(/^[0-9a-f]{16}$/);
  expect(add!.attributes).toMatchObject({
    'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add', 'gen_ai.operation.name': 'execute_tool',
    'jsonrpc.request.id': expect.any(String), 'mcp.session.id': expect.any(String), 'network.transport': 'tcp',
  });
  expect(add!.resource['service.name']).toBe('exporter-test');
  const fail = spans.find((s) => s.name === 'tools/call fail')!;
  expect(fail.attributes['error.type']).toBe('tool_error');
  expect(fail.status.code).toBe(2);
  expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['initialize', 'tools/call add', 'tools/call fail']));
}

const sessionDone = (spans: ReceivedSpan[]) => spans.some((s) => s.name === 'tools/call fail');
const opHistogram = (ms: ReceivedMetric[]) =>
  ms.find((m) => m.name === 'mcp.server.operation.duration' && m.points.some((p) => p.attributes['gen_ai.tool.name'] === 'add' && p.count === 1));

describe('OTLP over gRPC', () => {
  let grpc: GrpcReceiver;
  beforeEach(async () => {
    grpc = await startGrpcReceiver();
    closers.push(() => grpc.close());
  });

  test('OTEL_EXPORTER_OTLP_PROTOCOL=grpc: spans reach TraceService/Export with the configured headers as metadata', async () => {
    await session({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: grpc.url, OTEL_SERVICE_NAME: 'exporter-test',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-team=platform,authorization=Bearer grpc-key', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    });
    expectSessionSpans(await grpc.waitForSpans(sessionDone));
    const call = grpc.calls.find((c) => c.path.endsWith('TraceService/Export'))!;
    expect(call.metadata['x-team']).toBe('platform');
    expect(call.metadata.authorization).toBe('Bearer grpc-key');
  });

  test('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=grpc, _METRICS_ENDPOINT as host:port and _METRICS_INSECURE: the operation histogram reaches MetricsService/Export', async () => {
    await session({
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: grpc.url,
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: grpc.url.replace('http://', ''), OTEL_EXPORTER_OTLP_METRICS_INSECURE: 'true',
      OTEL_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '60000', OTEL_SERVICE_NAME: 'exporter-test',
    });
    // The shutdown flush exports metrics once more, so waiting for the final counts is bounded.
    const metrics = await grpc.waitForMetrics((ms) => opHistogram(ms) !== undefined);
    const op = opHistogram(metrics)!;
    expect(op).toMatchObject({ kind: 'histogram', unit: 's' });
    expect(op.points.find((p) => p.attributes['gen_ai.tool.name'] === 'add')!.attributes['mcp.method.name']).toBe('tools/call');
    expect(grpc.calls.some((c) => c.path.endsWith('MetricsService/Export'))).toBe(true);
  });

  test.each(['OTEL_EXPORTER_OTLP_INSECURE', 'OTEL_EXPORTER_OTLP_TRACES_INSECURE'])('%s=true: host:port without a scheme, in plaintext', async (name) => {
    await session({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: grpc.url.replace('http://', ''), [name]: 'true',
      OTEL_SERVICE_NAME: 'exporter-test',
    });
    expectSessionSpans(await grpc.waitForSpans(sessionDone));
  });

  test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given over gRPC', async () => {
    await session({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: grpc.url, OTEL_SERVICE_NAME: 'exporter-test' });
    expectSessionSpans(await grpc.waitForSpans(sessionDone));
  });
});

describe('OTLP http/json', () => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    closers.push(() => receiver.close());
  });

  test('spans and metrics arrive as OTLP/JSON at /v1/traces and /v1/metrics', async () => {
    await session({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'exporter-test',
      OTEL_METRICS_EXPORTER: 'otlp,prometheus', OTEL_METRIC_EXPORT_INTERVAL: '60000', OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-signal=metrics',
    });
    expectSessionSpans(await receiver.waitForSpans(sessionDone));
    const op = opHistogram(await receiver.waitForMetrics((ms) => opHistogram(ms) !== undefined))!;
    expect(op.kind).toBe('histogram');
    for (const path of ['/v1/traces', '/v1/metrics']) {
      expect(receiver.requests.find((r) => r.path === path)!.headers['content-type']).toMatch(/^application\/json/);
    }
    expect(receiver.requests.find((r) => r.path === '/v1/metrics')!.headers['x-signal']).toBe('metrics');
    expect(receiver.requests.find((r) => r.path === '/v1/traces')!.headers['x-signal']).toBeUndefined();
  });
});

describe('Zipkin', () => {
  test('OTEL_TRACES_EXPORTER=otlp,zipkin: both receivers get the session, Zipkin as v2 JSON', async () => {
    const zipkin: ZipkinReceiver = await startZipkinReceiver();
    const otlp = await startOtlpReceiver();
    closers.push(() => zipkin.close(), () => otlp.close());
    await session({
      OTEL_TRACES_EXPORTER: 'otlp,zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.url, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_SERVICE_NAME: 'exporter-test',
    });
    expectSessionSpans(await otlp.waitForSpans(sessionDone));
    const spans = await zipkin.waitForSpans((s) => s.some((x) => x.name === 'tools/call fail'));
    const add = spans.find((s) => s.name === 'tools/call add')!;
    expect(add.kind).toBe('SERVER');
    expect(add.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(add.localEndpoint?.serviceName).toBe('exporter-test');
    expect(add.tags).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add' });
    expect(spans.find((s) => s.name === 'tools/call fail')!.tags!['error.type']).toBe('tool_error');
    // The same operation has the same ids on both backends.
    expect(otlp.spans.find((s) => s.name === 'tools/call add')!.spanId).toBe(add.id);
  });
});

describe('TLS to the collector with a required client certificate (mTLS)', () => {
  const tlsEnv = (url: string, extra: Record<string, string> = {}) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_SERVICE_NAME: 'exporter-test',
    OTEL_EXPORTER_OTLP_CERTIFICATE: certs.caFile, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.clientCertFile,
    OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.clientKeyFile, ...extra,
  });

  test('http/protobuf over https', async () => {
    const receiver = await startOtlpReceiver({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca } });
    closers.push(() => receiver.close());
    expect(receiver.url).toMatch(/^https:/);
    await session(tlsEnv(receiver.url));
    expectSessionSpans(await receiver.waitForSpans(sessionDone));
    expect(receiver.requests[0].clientCertCN).toBe('mcp-trace-proxy-test-client');
  });

  test('http/json over https, with the per-signal variables', async () => {
    const receiver = await startOtlpReceiver({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca } });
    closers.push(() => receiver.close());
    await session({
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, OTEL_SERVICE_NAME: 'exporter-test',
      OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: certs.caFile, OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: certs.clientCertFile,
      OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: certs.clientKeyFile,
    });
    expectSessionSpans(await receiver.waitForSpans(sessionDone));
    expect(receiver.requests[0].clientCertCN).toBe('mcp-trace-proxy-test-client');
  });

  test('gRPC over TLS', async () => {
    const grpc = await startGrpcReceiver({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca } });
    closers.push(() => grpc.close());
    await session(tlsEnv(grpc.url, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }));
    expectSessionSpans(await grpc.waitForSpans(sessionDone));
    expect(grpc.calls[0].clientCertCN).toBe('mcp-trace-proxy-test-client');
  });

  test('without the client certificate the receiver refuses, and the export failures are counted', async () => {
    const receiver = await startOtlpReceiver({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca } });
    closers.push(() => receiver.close());
    await session({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_CERTIFICATE: certs.caFile, OTEL_BSP_SCHEDULE_DELAY: '50' }, async (admin) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const failures = total(parsePrometheus(await (await fetch(`${admin}/metrics`)).text()), 'mcp_trace_proxy_span_export_failures_total');
        if (failures > 0) break;
        if (Date.now() > deadline) throw new Error('no span export failure counted within 15 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    expect(receiver.spans).toHaveLength(0);
  });
});

describe('a bad TLS file is a startup error that names the variable (exit 2)', () => {
  test.each([
    ['OTEL_EXPORTER_OTLP_CERTIFICATE', () => '/nonexistent/ca.pem', /OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read "\/nonexistent\/ca.pem" \(ENOENT\)/],
    ['OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY', () => certs.dir, /OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: cannot read .* \(EISDIR\)/],
    ['OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE', () => certs.serverKeyFile, /OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: .* is not a PEM certificate/],
    ['OTEL_EXPORTER_OTLP_CLIENT_KEY', () => certs.clientCertFile, /OTEL_EXPORTER_OTLP_CLIENT_KEY: .* is not a PEM private key/],
  ])('%s', async (name, value, message) => {
    const env: Record<string, string> = { [name]: value() };
    if (name.includes('CLIENT_KEY')) env[name.replace('CLIENT_KEY', 'CLIENT_CERTIFICATE')] = certs.clientCertFile;
    const p = run(['--upstream', server.url, '--port', '0', '--admin-port', '0'], { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'https://127.0.0.1:1' });
    expect(await p.exit).toBe(2);
    expect(p.output()).toMatch(message);
    expect(p.output()).not.toContain('listening');
  });

  test('a client certificate without its key', async () => {
    const p = run(['--upstream', server.url], { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.clientCertFile });
    expect(await p.exit).toBe(2);
    expect(p.output()).toMatch(/OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is set but neither OTEL_EXPORTER_OTLP_CLIENT_KEY nor OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY is/);
  });
});
