// Metrics: the MCP operation and session histograms of the conventions, and the proxy's own counters.
// Prometheus text on the admin port's /metrics and/or OTLP (OTEL_METRICS_EXPORTER). The counters are
// observed from plain numbers at collection time, so the request path only increments integers.
import { Attributes, Histogram, ValueType } from '@opentelemetry/api';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VERSION } from '../version';
import { OtlpProtocol, createOtlpMetricExporter } from './exporters';
import * as semconv from './semconv';

/** Plain counters the proxy increments; read only when metrics are collected. */
export interface ProxyCounters {
  requests: number;
  unparsedBodies: number;
  oversizedBodies: number;
  /** By error code (MTP_UPSTREAM_*): a handful of values. */
  upstreamErrors: Record<string, number>;
  clientMessages: number;
  serverMessages: number;
  openStreams: number;
  activeSessions: number;
  spanExportFailures: number;
  /** Pending requests dropped unanswered: expired, or evicted by the bounds. */
  pendingDropped: number;
  /** Notifications that named no operation while several were open, so reached none. */
  unroutedNotifications: number;
  /** Spans the head sampler dropped and the proxy exported anyway, by reason (error, slow). */
  keptSpans: Record<string, number>;
  /** Unsampled child spans dropped while waiting for their parent's keep decision (over the bound). */
  keepBufferDropped: number;
  /** Messages --record dropped (its queue full, or the file unwritable). */
  recordDropped: number;
}

export function newCounters(): ProxyCounters {
  return {
    requests: 0, unparsedBodies: 0, oversizedBodies: 0, upstreamErrors: {}, clientMessages: 0, serverMessages: 0,
    openStreams: 0, activeSessions: 0, spanExportFailures: 0, pendingDropped: 0, unroutedNotifications: 0, keptSpans: {}, keepBufferDropped: 0, recordDropped: 0,
  };
}

export interface MetricsOptions {
  readonly metricsExporters: readonly ('prometheus' | 'otlp')[];
  readonly metricsProtocol: OtlpProtocol;
  readonly otlpMetricsUrl: string | null;
  readonly metricExportIntervalMs: number;
}

export class Metrics {
  readonly provider: MeterProvider;
  private readonly prometheus: PrometheusExporter | null;
  private readonly serverOps: Histogram;
  private readonly clientOps: Histogram;
  private readonly sessions: Histogram;
  private readonly argumentsSize: Histogram;
  private readonly resultSize: Histogram;
  private readonly resultTokens: Histogram;

  constructor(config: MetricsOptions, resource: Resource, counters: ProxyCounters) {
    const readers: MetricReader[] = [];
    this.prometheus = config.metricsExporters.includes('prometheus')
      ? new (require('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus')).PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true })
      : null;
    if (this.prometheus) readers.push(this.prometheus);
    if (config.metricsExporters.includes('otlp')) {
      readers.push(new PeriodicExportingMetricReader({
        exporter: createOtlpMetricExporter(config),
        exportIntervalMillis: config.metricExportIntervalMs,
        exportTimeoutMillis: Math.min(config.metricExportIntervalMs, 30_000),
      }));
    }
    this.provider = new MeterProvider({ resource, readers });
    const meter = this.provider.getMeter('mcp-trace-proxy', VERSION);
    const histogram = (name: string, description: string) =>
      meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: [...semconv.DURATION_BUCKETS_S] } });
    this.serverOps = histogram(semconv.METRIC_MCP_SERVER_OPERATION_DURATION, 'Duration of MCP operations the server handled, seen by the proxy');
    this.clientOps = histogram(semconv.METRIC_MCP_CLIENT_OPERATION_DURATION, 'Duration of MCP requests the server sent to the client');
    this.sessions = histogram(semconv.METRIC_MCP_SERVER_SESSION_DURATION, 'Duration of MCP sessions');
    const sized = (name: string, unit: string, buckets: readonly number[], description: string) =>
      meter.createHistogram(name, { unit, description, valueType: ValueType.INT, advice: { explicitBucketBoundaries: [...buckets] } });
    this.argumentsSize = sized(semconv.ATTR_MCP_PROXY_ARGUMENTS_SIZE, 'By', semconv.SIZE_BUCKETS_BY, 'Raw JSON size of request arguments (params.arguments)');
    this.resultSize = sized(semconv.ATTR_MCP_PROXY_RESULT_SIZE, 'By', semconv.SIZE_BUCKETS_BY, 'Raw JSON size of response results: what a call puts in the context');
    this.resultTokens = sized(semconv.ATTR_MCP_PROXY_RESULT_TOKENS, '{token}', semconv.TOKEN_BUCKETS, 'Estimated tokens of response results (--estimate-tokens)');

    const counter = (name: string, description: string, read: () => number | Record<string, number>, attr?: string) => {
      meter.createObservableCounter(name, { description, valueType: ValueType.INT }).addCallback((r) => {
        const v = read();
        if (typeof v === 'number') r.observe(v);
        else for (const [k, n] of Object.entries(v)) r.observe(n, { [attr as string]: k });
      });
    };
    counter(semconv.METRIC_PROXY_REQUESTS, 'HTTP requests received on the proxy port', () => counters.requests);
    counter(semconv.METRIC_PROXY_UNPARSED_BODIES, 'Bodies forwarded untouched because they were not JSON-RPC', () => counters.unparsedBodies);
    counter(semconv.METRIC_PROXY_OVERSIZED_BODIES, 'Bodies forwarded untouched because they exceeded --max-body-bytes', () => counters.oversizedBodies);
    counter(semconv.METRIC_PROXY_UPSTREAM_ERRORS, 'Upstream failures by kind', () => counters.upstreamErrors, semconv.ATTR_ERROR_TYPE);
    counter(semconv.METRIC_PROXY_PENDING_DROPPED, 'Pending requests whose span ended without a response: expired or over the bounds', () => counters.pendingDropped);
    counter(semconv.METRIC_PROXY_NOTIFICATIONS_UNROUTED, 'Notifications that named no operation while several were open: attached to none', () => counters.unroutedNotifications);
    counter(semconv.METRIC_PROXY_SPANS_KEPT, 'Spans the head sampler dropped and --keep-errors/--keep-slow exported anyway, by reason', () => counters.keptSpans, semconv.ATTR_KEPT_REASON);
    counter(semconv.METRIC_PROXY_KEEP_BUFFER_DROPPED, 'Unsampled child spans dropped while waiting for their parent keep decision', () => counters.keepBufferDropped);
    counter(semconv.METRIC_PROXY_RECORD_DROPPED, 'Messages --record did not write to the cassette: its queue was full or the file unwritable', () => counters.recordDropped);
    counter(semconv.METRIC_PROXY_EXPORT_FAILURES, 'Failed span exports', () => counters.spanExportFailures);
    counter(semconv.METRIC_PROXY_MESSAGES, 'JSON-RPC messages forwarded', () => ({ client_to_server: counters.clientMessages, server_to_client: counters.serverMessages }), semconv.ATTR_MESSAGE_DIRECTION);
    const gauge = (name: string, description: string, read: () => number) =>
      meter.createObservableUpDownCounter(name, { description, valueType: ValueType.INT }).addCallback((r) => r.observe(read()));
    gauge(semconv.METRIC_PROXY_OPEN_STREAMS, 'Open SSE streams and WebSocket connections', () => counters.openStreams);
    gauge(semconv.METRIC_PROXY_ACTIVE_SESSIONS, 'MCP sessions seen and not yet ended or idle-expired', () => counters.activeSessions);
  }

  operation(kind: 'server' | 'client', seconds: number, attributes: Attributes): void {
    (kind === 'server' ? this.serverOps : this.clientOps).record(seconds, attributes);
  }

  /** What one call cost: its arguments' and result's bytes, and the result's estimated tokens, when known. */
  cost(argumentsBytes: number | undefined, resultBytes: number | undefined, resultTokens: number | undefined, attributes: Attributes): void {
    if (argumentsBytes !== undefined) this.argumentsSize.record(argumentsBytes, attributes);
    if (resultBytes !== undefined) this.resultSize.record(resultBytes, attributes);
    if (resultTokens !== undefined) this.resultTokens.record(resultTokens, attributes);
  }

  session(seconds: number, attributes: Attributes): void {
    this.sessions.record(seconds, attributes);
  }

  /** Serves /metrics in the Prometheus text format, or null when the prometheus reader is off. */
  get prometheusHandler(): ((req: IncomingMessage, res: ServerResponse) => void) | null {
    const p = this.prometheus;
    return p ? (req, res) => p.getMetricsRequestHandler(req, res) : null;
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
