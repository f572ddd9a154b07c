// Span and metric exporters from config: OTLP over http/protobuf, http/json or gRPC, Zipkin, console.
// Each OTLP exporter also reads the rest of OTEL_EXPORTER_OTLP_* itself (headers, timeout,
// compression, the TLS files, OTEL_EXPORTER_OTLP_INSECURE); otel-config.ts has checked them first.
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { OtelConfig, OtlpProtocol } from '../otel-config';

/** The OTLP span exporter for the traces protocol. Without a URL each uses the spec's default (4317 or 4318/v1/traces). */
export function createOtlpSpanExporter(config: Pick<OtelConfig, 'tracesProtocol' | 'otlpTracesUrl'>): SpanExporter {
  const opts = config.otlpTracesUrl ? { url: config.otlpTracesUrl } : {};
  const byProtocol: Record<OtlpProtocol, () => SpanExporter> = {
    grpc: () => new GrpcTraceExporter(opts),
    'http/json': () => new JsonTraceExporter(opts),
    'http/protobuf': () => new ProtoTraceExporter(opts),
  };
  return byProtocol[config.tracesProtocol]();
}

/** Zipkin v2 JSON to OTEL_EXPORTER_ZIPKIN_ENDPOINT; the service name comes from the span's resource. */
export function createZipkinExporter(config: Pick<OtelConfig, 'zipkinUrl'>): SpanExporter {
  return new ZipkinExporter({ url: config.zipkinUrl });
}

/** The OTLP metric exporter for the metrics protocol. */
export function createOtlpMetricExporter(config: Pick<OtelConfig, 'metricsProtocol' | 'otlpMetricsUrl'>): PushMetricExporter {
  const opts = config.otlpMetricsUrl ? { url: config.otlpMetricsUrl } : {};
  const byProtocol: Record<OtlpProtocol, () => PushMetricExporter> = {
    grpc: () => new GrpcMetricExporter(opts),
    'http/json': () => new JsonMetricExporter(opts),
    'http/protobuf': () => new ProtoMetricExporter(opts),
  };
  return byProtocol[config.metricsProtocol]();
}
