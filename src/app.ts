// The composition root: the one place that turns the command line's Config into the parts and
// wires them. Each part gets its own typed options and knows nothing of Config: tracing (SDK,
// keep stage, operations), the tap, the HTTP/WebSocket proxy or the stdio adapter, the admin
// port, and the live view, which listens to finished operations like the metrics do.
// docs/ARCHITECTURE.md shows the layers.
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { startAdmin } from './admin';
import type { Config } from './settings';
import type { Logger } from './log';
import { Tap } from './pipeline/tap';
import { Recorder } from './record/recorder';
import { runStdio } from './proxy/stdio';
import { RunningProxy, startServer } from './server';
import type { CallerRules } from './tracing/caller';
import { MetricLabels } from './tracing/labels';
import type { EndedOperation } from './tracing/lifecycle';
import { Tracing } from './tracing/operations';
import { Telemetry, createTelemetry } from './tracing/sdk';
import * as semconv from './tracing/semconv';
import { VERSION } from './version';
import { loadTokenCounter } from './tracing/tokens';
import type { LiveView } from './ui/handler';
import { RecentSpans } from './ui/recent';
import { OperationSeries } from './ui/series';
import { SessionIndex } from './ui/sessions';

/** Pending requests one scope (a session, a connection) may hold: far past any real client. */
const MAX_PENDING_PER_SCOPE = 1024;
/** Pending requests in all: a bound on memory whatever the clients do (about 1 KiB each). */
const MAX_PENDING_TOTAL = 65_536;

export interface Traced {
  readonly telemetry: Telemetry;
  readonly tap: Tap;
  /** --record: the cassette's writer, closed (flushed) after the traffic stops. */
  readonly recorder: Recorder | null;
}

/** Tracing and the tap for a config, or null with OTEL_SDK_DISABLED. `processors` replace the exporters (tests). */
export function buildTracing(config: Config, log: Logger, view: LiveView | null, processors?: readonly SpanProcessor[]): Traced | null {
  if (!config.tracingEnabled) return null;
  // Prometheus alone with no admin port: nobody could read the metrics, so none are recorded.
  const readable = config.metricsExporters.includes('otlp') || config.adminPort !== null;
  const telemetry = createTelemetry({
    ...config,
    keep: { errors: config.keepErrors, slowS: config.keepSlowMs === null ? null : config.keepSlowMs / 1000 },
    metrics: config.metricsExporters.length > 0 && readable ? config : null,
    processors,
    extraProcessors: view ? [view.recent, view.sessions] : [],
  }, log);
  const capture = { arguments: config.captureArguments, results: config.captureResults, redactKeys: config.redactKeys, maxLength: config.captureMaxLength, openinference: config.openinference };
  const labels = new MetricLabels(config.metricMaxTools, config.metricAttributes, config.metricMaxValues);
  const tracing = new Tracing(telemetry.tracer, telemetry.propagator, labels, capture, telemetry.keep, config.estimateTokens ? loadTokenCounter() : null);
  const metrics = telemetry.metrics;
  if (metrics) {
    tracing.onEnded((op) => {
      metrics.operation(op.kind, op.durationS, op.metricAttributes);
      metrics.cost(op.argumentsBytes, op.resultBytes, op.resultTokens, op.metricAttributes);
    });
  }
  if (view) tracing.onEnded((op) => view.series.record(seriesEntry(op)));
  if (config.accessLog) tracing.onEnded((op) => log.info('mcp', accessLogFields(op)));
  let recorder: Recorder | null = null;
  try {
    if (config.record !== null) {
      recorder = new Recorder({
        file: config.record, maxBytes: config.recordMaxBytes, overwrite: config.force, writer: `mcp-trace-proxy ${VERSION}`,
        policy: { captureArguments: config.captureArguments, captureResults: config.captureResults, redactKeys: config.redactKeys },
      }, telemetry.counters, log);
    }
  } catch (err) {
    void telemetry.shutdown();
    throw new Error(`--record: cannot write ${config.record}: ${(err as Error).message}`);
  }
  const tap = new Tap(tracing, telemetry.counters, {
    injectMeta: config.injectMeta,
    maxFrameBytes: config.maxBodyBytes,
    caller: callerRules(config),
    limits: { maxPerScope: MAX_PENDING_PER_SCOPE, maxTotal: MAX_PENDING_TOTAL, ttlMs: config.pendingTimeoutMs },
    onMessage: recorder?.onMessage,
  }, log);
  return { telemetry, tap, recorder };
}

export function callerRules(config: Config): CallerRules {
  return { headers: config.attributeHeaders, claims: config.attributeJwtClaims, hashed: new Set(config.hashAttributes), hashKey: config.hashKey };
}

/** The live view, when on: it is served on the admin port, so with that off nobody could see it. */
export function buildView(config: Config): LiveView | null {
  return config.ui && config.adminPort !== null
    ? { recent: new RecentSpans(config.uiBuffer), series: new OperationSeries(), sessions: new SessionIndex() }
    : null;
}

/** HTTP mode: the proxy port and the admin port. */
export async function startProxy(config: Config, log: Logger, processors?: readonly SpanProcessor[]): Promise<RunningProxy> {
  const view = buildView(config);
  const traced = buildTracing(config, log, view, processors);
  try {
    const proxy = await startServer(config, log, traced, view);
    const recorder = traced?.recorder;
    if (!recorder) return proxy;
    const close = proxy.close;
    let closing: Promise<void> | undefined;
    return { ...proxy, close: () => (closing ??= close().then(() => recorder.close())) };
  } catch (err) {
    await traced?.telemetry.shutdown();
    await traced?.recorder?.close();
    throw err;
  }
}

/**
 * --stdio: stdout is the MCP channel, so everything the proxy says goes to stderr (the logger's).
 * Runs until the server process exits and returns its exit code.
 */
export async function runStdioMode(config: Config, log: Logger, started: (adminUrl: string | null) => void): Promise<number> {
  const stdio = config.stdio as NonNullable<Config['stdio']>;
  let running = true;
  const view = buildView(config);
  const traced = buildTracing(config, log, view);
  // Started before the child, so a busy port exits 1 without leaving a server process behind.
  const admin = await startAdmin(config, { metrics: traced?.telemetry.metrics?.prometheusHandler ?? null, view },
    () => (running ? { ok: true } : { ok: false, reason: 'server process exited' }));
  const run = runStdio({ ...stdio, maxBodyBytes: config.maxBodyBytes, shutdownGraceMs: config.shutdownGraceMs }, traced?.tap ?? null, log);
  const onSignal = (sig: NodeJS.Signals) => run.signal(sig);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  started(admin?.url ?? null);
  const code = await run.exit;
  running = false;
  traced?.tap.shutdown();
  await traced?.recorder?.close();
  try {
    await traced?.telemetry.shutdown(); // flushes the span queue
  } catch (err) {
    log.warn('could not flush spans at exit', { error: (err as Error).message });
  }
  await admin?.close();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return code;
}

function seriesEntry(op: EndedOperation) {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    durationS: op.durationS, error: op.errorType !== undefined, kept: op.kept !== undefined, tool: op.method === 'tools/call' ? op.target : undefined,
    tenant: str(op.caller[semconv.ATTR_TENANT_ID]), client: str(op.caller[semconv.ATTR_MCP_CLIENT_NAME]),
  };
}

/** One --access-log line: method, target, duration, status, trace. */
function accessLogFields(op: EndedOperation): Record<string, unknown> {
  return {
    kind: op.kind, method: op.method, target: op.target, duration_ms: Math.round(op.durationS * 1e4) / 10,
    status: op.errorType ? 'error' : op.outcome ?? 'ok', error_type: op.errorType, trace_id: op.traceId, span_id: op.spanId,
  };
}
