// Span and metric exporters from config: OTLP over http/protobuf, http/json or gRPC, Zipkin, console.
// Each OTLP exporter also reads the rest of OTEL_EXPORTER_OTLP_* itself (headers, timeout,
// compression, the TLS files, OTEL_EXPORTER_OTLP_INSECURE); the command line has checked them first.
//
// Only the chosen exporter's package is loaded: each costs 1–2 MB of a sidecar's idle memory, and
// a process uses one or two of the seven.
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';

export type TracesExporter = 'otlp' | 'console' | 'zipkin';
/** OTEL_EXPORTER_OTLP_PROTOCOL and its per-signal variants, as the SDK environment specification names them. */
export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';

type Opts = { url?: string };

/** The OTLP span exporter for the traces protocol. Without a URL each uses the spec's default (4317 or 4318/v1/traces). */
export function createOtlpSpanExporter(config: { readonly tracesProtocol: OtlpProtocol; readonly otlpTracesUrl: string | null }): SpanExporter {
  const opts: Opts = config.otlpTracesUrl ? { url: config.otlpTracesUrl } : {};
  const byProtocol: Record<OtlpProtocol, () => SpanExporter> = {
    grpc: () => new (require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter(opts),
    'http/json': () => new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(opts),
    'http/protobuf': () => new (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(opts),
  };
  return byProtocol[config.tracesProtocol]();
}

/** Zipkin v2 JSON to OTEL_EXPORTER_ZIPKIN_ENDPOINT; the service name comes from the span's resource. */
export function createZipkinExporter(config: { readonly zipkinUrl: string }): SpanExporter {
  const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin') as typeof import('@opentelemetry/exporter-zipkin');
  return new ZipkinExporter({ url: config.zipkinUrl });
}

/** The OTLP metric exporter for the metrics protocol. */
export function createOtlpMetricExporter(config: { readonly metricsProtocol: OtlpProtocol; readonly otlpMetricsUrl: string | null }): PushMetricExporter {
  const opts: Opts = config.otlpMetricsUrl ? { url: config.otlpMetricsUrl } : {};
  const byProtocol: Record<OtlpProtocol, () => PushMetricExporter> = {
    grpc: () => new (require('@opentelemetry/exporter-metrics-otlp-grpc') as typeof import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter(opts),
    'http/json': () => new (require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter(opts),
    'http/protobuf': () => new (require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter(opts),
  };
  return byProtocol[config.metricsProtocol]();
}
