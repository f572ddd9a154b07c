// The tracer provider, sampler and exporters, built from Config. No auto-instrumentation is loaded:
// it would trace the proxy's own upstream calls and inject a second traceparent.
import { DiagLogLevel, SpanKind, SpanStatusCode, TextMapPropagator, Tracer, diag } from '@opentelemetry/api';
import { ExportResult, hrTimeToMilliseconds, setGlobalErrorHandler } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, ReadableSpan,
  Sampler, SpanExporter, SpanProcessor, TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import type { Config } from '../cli/config';
import { Logger, rateLimited } from '../log';
import { VERSION } from '../version';
import { createOtlpSpanExporter, createZipkinExporter } from './exporters';
import { KeepProcessor, KeepSampler } from './keep';
import { createPropagator } from './propagation';
import { RecentSpans } from '../ui/recent';
import { OperationSeries } from '../ui/series';
import { Metrics, ProxyCounters, newCounters } from './metrics';
import { ATTR_ERROR_TYPE } from './semconv';

export interface Telemetry {
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator;
  /** null when OTEL_METRICS_EXPORTER=none. */
  readonly metrics: Metrics | null;
  readonly counters: ProxyCounters;
  /** Recent finished spans for the live view, when --ui is on. */
  readonly recent: RecentSpans | null;
  /** Per-10-second rates and latencies of every operation, for the live view's chart, when --ui is on. */
  readonly series: OperationSeries | null;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function createSampler(config: Pick<Config, 'sampler' | 'samplerArg'>): Sampler {
  switch (config.sampler) {
    case 'always_on': return new AlwaysOnSampler();
    case 'always_off': return new AlwaysOffSampler();
    case 'traceidratio': return new TraceIdRatioBasedSampler(config.samplerArg);
    case 'parentbased_always_on': return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off': return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio': return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerArg) });
  }
}

/** One readable line per span on stderr: the default when no OTLP endpoint is configured. */
export class ConsoleLineExporter implements SpanExporter {
  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(l)) {}

  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    let out = '';
    for (const s of spans) out += formatSpanLine(s) + '\n';
    this.write(out);
    done({ code: 0 });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export function formatSpanLine(s: ReadableSpan): string {
  const ms = hrTimeToMilliseconds(s.duration).toFixed(1);
  const err = s.attributes[ATTR_ERROR_TYPE];
  const status = s.status.code === SpanStatusCode.ERROR ? `ERROR ${err ?? ''}${s.status.message ? ` (${s.status.message})` : ''}`.trim() : 'OK';
  const kind = s.kind === SpanKind.CLIENT ? ' [client]' : '';
  return `span ${s.name}${kind} ${ms}ms ${status} trace_id=${s.spanContext().traceId} span_id=${s.spanContext().spanId}`;
}

const REPORT_INTERVAL_MS = 60_000;
const DEFAULT_EXPORT_BATCH = 128;

/**
 * Builds the SDK. `processors` replaces the exporters chosen by config (tests pass an in-memory one).
 * Returns null when OTEL_SDK_DISABLED=true: the proxy then forwards without tracing.
 */
export function createTelemetry(config: Config, log: Logger, processors?: SpanProcessor[]): Telemetry | null {
  if (!config.tracingEnabled) return null;

  // Export failures and dropped spans reach the log at most once a minute, never the traffic.
  const counters = newCounters();
  const reportExport = rateLimited(REPORT_INTERVAL_MS, (n, msg) => log.warn('span export failing', { failures: n, last_error: msg }));
  setGlobalErrorHandler((e) => {
    counters.spanExportFailures++;
    reportExport(e instanceof Error ? e.message : String(e));
  });
  const reportDiag = rateLimited(REPORT_INTERVAL_MS, (n, msg) => log.warn('opentelemetry', { message: msg, occurrences: n }));
  diag.setLogger(
    { error: reportDiag, warn: reportDiag, info: () => {}, debug: () => {}, verbose: () => {} },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );

  const spanProcessors = processors ? [...processors] : config.tracesExporters.map((e): SpanProcessor => {
    // BatchSpanProcessor: bounded queue (OTEL_BSP_MAX_QUEUE_SIZE), export off the request path.
    // A 512-span batch is serialized in one go on the event loop (about 5 ms here): smaller batches
    // keep that pause off the request tail, unless the operator chose a size.
    if (e === 'otlp' || e === 'zipkin') {
      const queue = Number(process.env.OTEL_BSP_MAX_QUEUE_SIZE) || 2048;
      const batch = process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ? {} : { maxExportBatchSize: Math.min(DEFAULT_EXPORT_BATCH, queue) };
      return new BatchSpanProcessor(e === 'otlp' ? createOtlpSpanExporter(config) : createZipkinExporter(config), batch);
    }
    return new BatchSpanProcessor(new ConsoleLineExporter(), { scheduledDelayMillis: 200 });
  });

  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ 'service.name': config.serviceName, 'service.version': VERSION }));
  // The live view is fed from the same pipeline, whatever the export settings. It is served on the
  // admin port: with that off, nobody could see it, so nothing is kept for it.
  const ui = config.ui && config.adminPort !== null;
  const recent = ui ? new RecentSpans(config.uiBuffer) : null;
  if (recent) spanProcessors.push(recent);
  // Keep-errors/keep-slow: nothing is dropped at start; the keep processor drops what was neither.
  // With nowhere to export (OTEL_TRACES_EXPORTER=none, no live view), recording would be wasted work.
  const keep = (config.keepErrors || config.keepSlowMs !== null) && spanProcessors.length > 0;
  const provider = new NodeTracerProvider({
    resource,
    sampler: keep ? new KeepSampler(createSampler(config)) : createSampler(config),
    spanProcessors: keep ? [new KeepProcessor(spanProcessors, counters)] : spanProcessors,
  });
  // Prometheus alone with no admin port: nobody could read the metrics, so none are recorded.
  const readable = config.metricsExporters.includes('otlp') || config.adminPort !== null;
  const metrics = config.metricsExporters.length > 0 && readable ? new Metrics(config, resource, counters) : null;
  return {
    tracer: provider.getTracer('mcp-trace-proxy', VERSION),
    propagator: createPropagator(config.propagators),
    metrics,
    counters,
    recent,
    series: ui ? new OperationSeries() : null,
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      await Promise.all([provider.shutdown(), metrics?.shutdown()]);
    },
  };
}
