// The tracer provider, sampler, exporters and the keep stage, built from typed options. No
// auto-instrumentation is loaded: it would trace the proxy's own upstream calls and inject a second
// traceparent.
import { DiagLogLevel, SpanKind, SpanStatusCode, TextMapPropagator, Tracer, diag } from '@opentelemetry/api';
import { ExportResult, hrTimeToMilliseconds, setGlobalErrorHandler } from '@opentelemetry/core';
import { Resource, defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, ReadableSpan,
  Sampler, SpanExporter, SpanProcessor, TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { Logger, rateLimited } from '../log';
import { VERSION } from '../version';
import { OtlpProtocol, TracesExporter, createOtlpSpanExporter, createZipkinExporter } from './exporters';
import { KeepStage } from './keep';
import { Propagator, createPropagator } from './propagation';
import { Metrics, MetricsOptions, ProxyCounters, newCounters } from './metrics';
import { ATTR_ERROR_TYPE } from './semconv';

export type SamplerName =
  | 'always_on' | 'always_off' | 'traceidratio'
  | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

export interface TelemetryOptions {
  readonly serviceName: string;
  /** Empty: spans are made (for propagation and metrics) but exported nowhere. */
  readonly tracesExporters: readonly TracesExporter[];
  readonly tracesProtocol: OtlpProtocol;
  readonly otlpTracesUrl: string | null;
  readonly zipkinUrl: string;
  readonly sampler: SamplerName;
  readonly samplerArg: number;
  readonly propagators: readonly Propagator[];
  /** Export what the head sampler dropped when it fails, or is slower than slowS (null: off). */
  readonly keep: { readonly errors: boolean; readonly slowS: number | null };
  /** null: no metrics are recorded (nobody could read them). */
  readonly metrics: MetricsOptions | null;
  /** Replace the exporters chosen above (tests pass an in-memory one). */
  readonly processors?: readonly SpanProcessor[];
  /** Beside the exporters, e.g. the live view's buffer of recent spans. */
  readonly extraProcessors?: readonly SpanProcessor[];
}

export interface Telemetry {
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator;
  /** null when OTEL_METRICS_EXPORTER=none. */
  readonly metrics: Metrics | null;
  readonly counters: ProxyCounters;
  /** null when neither keep-errors nor keep-slow is on, or spans go nowhere. */
  readonly keep: KeepStage | null;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function createSampler(config: Pick<TelemetryOptions, 'sampler' | 'samplerArg'>): Sampler {
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

/** Records held for a keep decision, in all: far past what open operations need. */
const MAX_HELD = 4096;
/** Held records cut attribute values here when OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT is unset. */
const HELD_VALUE_LENGTH = 4096;

/** Builds the SDK. Tracing off (OTEL_SDK_DISABLED) is the root's choice: it then builds none. */
export function createTelemetry(options: TelemetryOptions, log: Logger): Telemetry {
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

  const spanProcessors = options.processors ? [...options.processors] : options.tracesExporters.map((e): SpanProcessor => {
    // BatchSpanProcessor: bounded queue (OTEL_BSP_MAX_QUEUE_SIZE), export off the request path.
    // A 512-span batch is serialized in one go on the event loop (about 5 ms here): smaller batches
    // keep that pause off the request tail, unless the operator chose a size.
    if (e === 'otlp' || e === 'zipkin') {
      const queue = Number(process.env.OTEL_BSP_MAX_QUEUE_SIZE) || 2048;
      const batch = process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ? {} : { maxExportBatchSize: Math.min(DEFAULT_EXPORT_BATCH, queue) };
      return new BatchSpanProcessor(e === 'otlp' ? createOtlpSpanExporter(options) : createZipkinExporter(options), batch);
    }
    return new BatchSpanProcessor(new ConsoleLineExporter(), { scheduledDelayMillis: 200 });
  });
  spanProcessors.push(...(options.extraProcessors ?? []));

  const resource: Resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ 'service.name': options.serviceName, 'service.version': VERSION }));
  const provider = new NodeTracerProvider({ resource, sampler: createSampler(options), spanProcessors });
  // With nowhere to export (OTEL_TRACES_EXPORTER=none, no live view), holding records would be wasted work.
  const keepOn = (options.keep.errors || options.keep.slowS !== null) && spanProcessors.length > 0;
  const scope = { name: 'mcp-trace-proxy', version: VERSION };
  const keep = keepOn ? new KeepStage(
    { ...options.keep, maxHeld: MAX_HELD, maxValueLength: Number(process.env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT) || HELD_VALUE_LENGTH },
    (span: ReadableSpan) => { for (const p of spanProcessors) p.onEnd(span); },
    counters, resource, scope,
  ) : null;
  const metrics = options.metrics ? new Metrics(options.metrics, resource, counters) : null;
  return {
    tracer: provider.getTracer(scope.name, scope.version),
    propagator: createPropagator(options.propagators),
    metrics,
    counters,
    keep,
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      await Promise.all([provider.shutdown(), metrics?.shutdown()]);
    },
  };
}
