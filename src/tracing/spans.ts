// Operations: one span per MCP message that starts one, ended exactly once, whatever order the
// response, a cancellation, an abort or an expiry arrive in. Correlation is not here: the tap
// (src/pipeline/tap.ts) finds the operation a message belongs to.
import { Attributes, Context, Link, Span, SpanKind, SpanStatusCode, TextMapPropagator, TraceFlags, Tracer, trace } from '@opentelemetry/api';
import type { Config } from '../cli/config';
import type { Logger } from '../log';
import type { Telemetry } from './sdk';
import { RpcMessage, metaOf } from '../jsonrpc/parse';
import { ConnInfo, Outcome, metricAttributes, requestAttributes, responseOutcome, spanName, targetOf } from './attributes';
import { MetricLabels } from './labels';
import { openInferenceInput, openInferenceOutput, openInferenceSession, openInferenceStart } from './openinference';
import { parentFor } from './propagation';
import { redactedJson } from './redact';
import * as sc from './semconv';

/** Why a span ended without a response. */
export type NoResponse = 'cancelled' | 'client_abort' | 'no_response' | 'expired' | 'dropped' | 'shutdown';

/** Events kept on one span; past that, notifications are only counted (a long stream has many). */
const MAX_EVENTS = 32;

/** What the metrics and the access log learn when an operation ends. */
export interface EndedOperation {
  readonly kind: 'server' | 'client';
  readonly method: string;
  /** Tool or prompt name, if any. */
  readonly target?: string;
  readonly durationS: number;
  readonly errorType?: string;
  readonly outcome?: NoResponse;
  readonly traceId: string;
  readonly spanId: string;
  /** Low-cardinality attributes for metrics, error.type included. */
  readonly metricAttributes: Attributes;
  /** The caller and client attributes (unbounded values: for the live view, which bounds its own). */
  readonly who: Attributes;
  /** Set when the head sampler dropped it and keep-errors/keep-slow kept it. */
  readonly kept?: string;
}

/** What a span the head sampler dropped needs if it is kept after all: its attributes wait for that decision. */
interface Deferred {
  readonly m: RpcMessage;
  readonly conn: ConnInfo;
  readonly who: Attributes;
  res?: RpcMessage;
  outcome?: Outcome;
}

/** --keep-errors and --keep-slow: which dropped operations are exported anyway. */
export interface KeepOptions {
  readonly errors: boolean;
  /** null: slow operations are not kept. */
  readonly slowS: number | null;
}

export class Operation {
  /** The span's context, for injection into the forwarded message. */
  readonly context: Context;
  private readonly startPerf = performance.now();
  private errorType?: string;
  private outcome?: NoResponse;
  private ended = false;
  private events = 0;
  private notifications = 0;
  private onEnded: (() => void)[] = [];

  constructor(
    private readonly owner: Tracing,
    readonly span: Span,
    parent: Context,
    readonly method: string,
    readonly kind: 'server' | 'client',
    private readonly target: string | undefined,
    private readonly metricAttrs: Attributes | undefined,
    /** Recorded only for keep-errors/keep-slow: the head sampler dropped it. */
    private readonly unsampled = false,
    private deferred?: Deferred,
    private readonly who: Attributes = {},
  ) {
    this.context = trace.setSpan(parent, span);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Runs `fn` once when the operation ends (the tap forgets its correlation keys). */
  whenEnded(fn: () => void): void {
    if (this.ended) fn();
    else this.onEnded.push(fn);
  }

  /** A notification about this operation: an event while under the cap, a count always. */
  event(name: string, attributes?: Record<string, string | number>): void {
    if (this.ended) return;
    this.notifications++;
    if (this.events++ < MAX_EVENTS) this.span.addEvent(name, attributes);
  }

  /** Ends with what the response says. */
  respond(res: RpcMessage): void {
    if (this.ended) return;
    const o = responseOutcome(this.method, res);
    this.errorType = o.attributes[sc.ATTR_ERROR_TYPE] as string | undefined;
    if (this.deferred) {
      // Kept or not is decided at the end (errorType is all it needs); the span is filled in only if kept.
      this.deferred.res = res;
      this.deferred.outcome = o;
    } else if (this.span.isRecording()) {
      this.span.setAttributes(o.attributes);
      const captured = this.owner.captureResult(this.method, res);
      if (captured !== undefined) this.span.setAttribute(sc.ATTR_GEN_AI_TOOL_CALL_RESULT, captured);
      if (captured !== undefined && this.owner.capture.openinference) this.span.setAttributes(openInferenceOutput(captured));
      if (o.errorMessage !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR, message: o.errorMessage });
    }
    this.end();
  }

  /** Ends with a transport error: `errorType` is a stable, low-cardinality code. */
  fail(errorType: string, message: string): void {
    if (this.ended) return;
    this.errorType = errorType;
    this.span.setAttribute(sc.ATTR_ERROR_TYPE, errorType);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
    this.end();
  }

  /** Ends without a response. A cancellation is recorded, but is not an error. */
  abandon(why: NoResponse, reason?: string): void {
    if (this.ended) return;
    if (why === 'cancelled' || why === 'client_abort') {
      // The reason is the peer's text: cut short, it is free-form and may be long.
      this.span.addEvent(sc.EVENT_CANCELLED, reason ? { [sc.ATTR_EVENT_CANCEL_REASON]: reason.slice(0, 256) } : undefined);
    }
    this.span.setAttribute(sc.ATTR_MCP_PROXY_OUTCOME, why);
    this.outcome = why;
    this.end();
  }

  /** Ends the span exactly once (a notification's as soon as it is forwarded), and reports it. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const durationS = (performance.now() - this.startPerf) / 1000;
    const kept = this.unsampled ? this.keepIfWorth(durationS) : undefined;
    if (this.notifications > 0) this.span.setAttribute(sc.ATTR_MCP_PROXY_NOTIFICATIONS, this.notifications);
    this.span.end();
    for (const fn of this.onEnded) fn();
    this.onEnded = [];
    if (this.metricAttrs) {
      const ctx = this.span.spanContext();
      this.owner.report({
        kind: this.kind,
        method: this.method,
        target: this.target,
        durationS,
        errorType: this.errorType,
        outcome: this.outcome,
        traceId: ctx.traceId,
        spanId: ctx.spanId,
        metricAttributes: this.errorType ? { ...this.metricAttrs, [sc.ATTR_ERROR_TYPE]: this.owner.labels.errorType(this.errorType) } : this.metricAttrs,
        who: this.who,
        kept,
      });
    }
  }

  /** A dropped operation that failed or was slow is marked kept (the processor exports it) and gets its full attributes. */
  private keepIfWorth(durationS: number): string | undefined {
    const keep = this.owner.keep;
    const reason = keep.errors && this.errorType !== undefined ? sc.KEPT_ERROR
      : keep.slowS !== null && durationS > keep.slowS ? sc.KEPT_SLOW : undefined;
    if (!reason) return undefined;
    const d = this.deferred;
    if (d) {
      this.deferred = undefined;
      this.owner.describe(this.span, d.m, d.conn, d.who);
      if (d.outcome) this.span.setAttributes(d.outcome.attributes); // the response's values win (e.g. the negotiated version)
      if (d.outcome?.errorMessage !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR, message: d.outcome.errorMessage });
      const captured = d.res && this.owner.captureResult(this.method, d.res);
      if (captured !== undefined) this.span.setAttribute(sc.ATTR_GEN_AI_TOOL_CALL_RESULT, captured);
      if (captured !== undefined && this.owner.capture.openinference) this.span.setAttributes(openInferenceOutput(captured));
    }
    this.span.setAttribute(sc.ATTR_MCP_PROXY_SAMPLING_KEPT, reason);
    return reason;
  }

  setSession(sessionId: string): void {
    if (!this.ended) this.span.setAttribute(sc.ATTR_MCP_SESSION_ID, sessionId);
    if (!this.ended && this.owner.capture.openinference) this.span.setAttributes(openInferenceSession(sessionId));
  }
}

/** Opt-in capture of tool arguments and results (off by default: they may be private). */
export interface CaptureOptions {
  readonly arguments: boolean;
  readonly results: boolean;
  readonly redactKeys: readonly string[];
  readonly maxLength: number;
  readonly openinference?: boolean;
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});
const NO_CAPTURE: CaptureOptions = { arguments: false, results: false, redactKeys: [], maxLength: 0 };

/** Starts operations: SERVER spans for what the client asks, CLIENT spans for what the server asks. */
export class Tracing {
  constructor(
    readonly tracer: Tracer,
    readonly propagator: TextMapPropagator,
    readonly labels: MetricLabels = new MetricLabels(100),
    readonly capture: CaptureOptions = NO_CAPTURE,
    /** Told of every ended operation (metrics, access log), sampled or not. */
    private readonly onEnd?: (op: EndedOperation) => void,
    readonly keep: KeepOptions = { errors: false, slowS: null },
  ) {}

  /** A client→server request or notification: a SERVER span, parented per SEP-414. `who`: caller and client attributes. */
  startServer(m: RpcMessage, conn: ConnInfo, headerCtx: Context, who: Attributes = NO_ATTRIBUTES): Operation {
    const parent = parentFor(this.propagator, metaOf(m), headerCtx);
    return this.start(m, conn, SpanKind.SERVER, parent.context, parent.links, who);
  }

  /** A server→client request (sampling, elicitation, roots/list): a CLIENT span. */
  startClient(m: RpcMessage, conn: ConnInfo, parentCtx: Context, who: Attributes = NO_ATTRIBUTES): Operation {
    const parent = parentFor(this.propagator, metaOf(m), parentCtx);
    return this.start(m, conn, SpanKind.CLIENT, parent.context, parent.links, who);
  }

  private start(m: RpcMessage, conn: ConnInfo, kind: SpanKind, parent: Context, links: Link[] | undefined, who: Attributes): Operation {
    const method = m.method as string;
    // Only the method goes in at start: a sampler that drops the span saves the attribute work.
    const span = this.tracer.startSpan(spanName(m), { kind, links, attributes: { [sc.ATTR_MCP_METHOD_NAME]: method } }, parent);
    // Recording but not sampled: the keep sampler records it in case it fails. Its attributes wait
    // for that decision, except a server→client span's, whose kept parent would take it along.
    const unsampled = span.isRecording() && (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0;
    const deferred = unsampled && kind !== SpanKind.CLIENT ? { m, conn, who } : undefined;
    if (span.isRecording() && !deferred) this.describe(span, m, conn, who);
    const t = targetOf(m);
    return new Operation(this, span, parent, method, kind === SpanKind.CLIENT ? 'client' : 'server', t.tool ?? t.prompt,
      this.onEnd ? metricAttributes(m, conn, this.labels, who) : undefined, unsampled, deferred, who);
  }

  /** The attributes known when the request passed: the conventions', the caller's, opt-in captures. */
  describe(span: Span, m: RpcMessage, conn: ConnInfo, who: Attributes): void {
    const method = m.method as string;
    span.setAttributes(requestAttributes(m, conn));
    span.setAttributes(who);
    if (this.capture.openinference) span.setAttributes(openInferenceStart(method, targetOf(m).tool, conn.sessionId));
    if (this.capture.arguments && method === 'tools/call' && m.params?.arguments !== undefined) {
      const args = redactedJson(m.params.arguments, this.capture.redactKeys, this.capture.maxLength);
      span.setAttribute(sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, args);
      if (this.capture.openinference) span.setAttributes(openInferenceInput(args));
    }
  }

  /** The redacted result text to record on a tools/call span, when results are captured. */
  captureResult(method: string, res: RpcMessage): string | undefined {
    if (!this.capture.results || method !== 'tools/call' || res.result === undefined) return undefined;
    return redactedJson(res.result, this.capture.redactKeys, this.capture.maxLength);
  }

  /** Called by Operation.end. */
  report(op: EndedOperation): void {
    this.onEnd?.(op);
  }
}

/**
 * The Tracing for a config: its capture options, its label bounds, and what every ended
 * operation feeds: the operation histograms and, with --access-log, a log line.
 */
export function createTracing(telemetry: Telemetry, config: Config, log: Logger): Tracing {
  const capture = { arguments: config.captureArguments, results: config.captureResults, redactKeys: config.redactKeys, maxLength: config.captureMaxLength, openinference: config.openinference };
  const metrics = telemetry.metrics;
  const onEnd = (op: EndedOperation) => {
    metrics?.operation(op.kind, op.durationS, op.metricAttributes);
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    telemetry.series?.record({
      durationS: op.durationS, error: op.errorType !== undefined, kept: op.kept !== undefined, tool: op.method === 'tools/call' ? op.target : undefined,
      tenant: str(op.who[sc.ATTR_TENANT_ID]), client: str(op.who[sc.ATTR_MCP_CLIENT_NAME]),
    });
    if (config.accessLog) {
      log.info('mcp', {
        kind: op.kind, method: op.method, target: op.target, duration_ms: Math.round(op.durationS * 1e4) / 10,
        status: op.errorType ? 'error' : op.outcome ?? 'ok', error_type: op.errorType, trace_id: op.traceId, span_id: op.spanId,
      });
    }
  };
  const labels = new MetricLabels(config.metricMaxTools, config.metricAttributes, config.metricMaxValues);
  const keep = { errors: config.keepErrors, slowS: config.keepSlowMs === null ? null : config.keepSlowMs / 1000 };
  return new Tracing(telemetry.tracer, telemetry.propagator, labels, capture, onEnd, keep);
}
