// Spans per MCP operation: start, correlation of responses, events, and an end that happens once.
import { Attributes, Context, Link, Span, SpanKind, SpanStatusCode, TextMapPropagator, Tracer, trace } from '@opentelemetry/api';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Telemetry } from './sdk';
import { JsonRpcId, RpcMessage, idKey, metaOf, str } from '../jsonrpc/parse';
import { ConnInfo, metricAttributes, requestAttributes, responseOutcome, spanName, targetOf } from './attributes';
import { openInferenceInput, openInferenceOutput, openInferenceSession, openInferenceStart } from './openinference';
import { parentFor } from './propagation';
import { redactedJson } from './redact';
import * as sc from './semconv';

/** Why a span ended without a response. */
export type NoResponse = 'cancelled' | 'client_abort' | 'no_response' | 'expired' | 'shutdown';

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
}

export class Operation {
  readonly span: Span;
  /** The span's context, for injection into the forwarded message. */
  readonly context: Context;
  readonly method: string;
  readonly startedAt = Date.now();
  private readonly startPerf = performance.now();
  private errorType?: string;
  private outcome?: NoResponse;
  /** Correlation keys, removed when the operation ends. */
  keys: string[] = [];
  private ended = false;

  constructor(
    private readonly owner: Tracing,
    span: Span,
    parent: Context,
    method: string,
    private readonly kind: 'server' | 'client',
    private readonly target: string | undefined,
    private readonly metricAttrs: Attributes | undefined,
  ) {
    this.span = span;
    this.context = trace.setSpan(parent, span);
    this.method = method;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  event(name: string, attributes?: Record<string, string | number>): void {
    if (!this.ended) this.span.addEvent(name, attributes);
  }

  /** Ends with what the response says. */
  respond(res: RpcMessage): void {
    if (this.ended) return;
    const o = responseOutcome(this.method, res);
    this.errorType = o.attributes[sc.ATTR_ERROR_TYPE] as string | undefined;
    if (this.span.isRecording()) {
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
      this.span.addEvent(sc.EVENT_CANCELLED, reason ? { [sc.ATTR_EVENT_CANCEL_REASON]: reason } : undefined);
    }
    this.span.setAttribute(sc.ATTR_MCP_PROXY_OUTCOME, why);
    this.outcome = why;
    this.end();
  }

  /** Ends the span exactly once (a notification's as soon as it is forwarded), and reports it. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end();
    this.owner.forget(this);
    if (this.metricAttrs) {
      const ctx = this.span.spanContext();
      this.owner.report({
        kind: this.kind,
        method: this.method,
        target: this.target,
        durationS: (performance.now() - this.startPerf) / 1000,
        errorType: this.errorType,
        outcome: this.outcome,
        traceId: ctx.traceId,
        spanId: ctx.spanId,
        metricAttributes: this.errorType ? { ...this.metricAttrs, [sc.ATTR_ERROR_TYPE]: this.errorType } : this.metricAttrs,
      });
    }
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

const NO_CAPTURE: CaptureOptions = { arguments: false, results: false, redactKeys: [], maxLength: 0 };

/**
 * Starts spans and correlates responses with the requests they answer, in both directions.
 * Pending entries are keyed by scope (the session id, or a per-request scope without one) and
 * id with its type, and expire after `pendingTimeoutMs`, so a lost response cannot grow memory.
 */
export class Tracing {
  private readonly pending = new Map<string, Operation>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly tracer: Tracer,
    readonly propagator: TextMapPropagator,
    private readonly pendingTimeoutMs: number,
    readonly capture: CaptureOptions = NO_CAPTURE,
    /** Told of every ended operation (metrics, access log), sampled or not. */
    private readonly onEnd?: (op: EndedOperation) => void,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(pendingTimeoutMs / 4, 250), 30_000));
    this.sweeper.unref();
  }

  /** A client→server request or notification: a SERVER span, parented per SEP-414. */
  startServer(m: RpcMessage, conn: ConnInfo, headerCtx: Context, scope: string): Operation {
    const parent = parentFor(this.propagator, metaOf(m), headerCtx);
    return this.start(m, conn, SpanKind.SERVER, parent.context, parent.links, scope);
  }

  /** A server→client request (sampling, elicitation, roots/list): a CLIENT span. */
  startClient(m: RpcMessage, conn: ConnInfo, parentCtx: Context, scope: string): Operation {
    const parent = parentFor(this.propagator, metaOf(m), parentCtx);
    return this.start(m, conn, SpanKind.CLIENT, parent.context, parent.links, scope);
  }

  private start(m: RpcMessage, conn: ConnInfo, kind: SpanKind, parent: Context, links: Link[] | undefined, scope: string): Operation {
    const method = m.method as string;
    // Only the method goes in at start: a sampler that drops the span saves the attribute work.
    const span = this.tracer.startSpan(spanName(m), { kind, links, attributes: { [sc.ATTR_MCP_METHOD_NAME]: method } }, parent);
    if (span.isRecording()) {
      span.setAttributes(requestAttributes(m, conn));
      if (this.capture.openinference) span.setAttributes(openInferenceStart(method, targetOf(m).tool, conn.sessionId));
      if (this.capture.arguments && method === 'tools/call' && m.params?.arguments !== undefined) {
        const args = redactedJson(m.params.arguments, this.capture.redactKeys, this.capture.maxLength);
        span.setAttribute(sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, args);
        if (this.capture.openinference) span.setAttributes(openInferenceInput(args));
      }
    }
    const t = targetOf(m);
    const op = new Operation(this, span, parent, method, kind === SpanKind.CLIENT ? 'client' : 'server', t.tool ?? t.prompt,
      this.onEnd ? metricAttributes(m, conn) : undefined);
    if (m.kind === 'request' && m.id !== undefined) {
      this.track(op, responseKey(scope, m.id, kind === SpanKind.CLIENT));
      const token = m.params ? (metaOf(m)?.progressToken as unknown) : undefined;
      if (typeof token === 'string' || typeof token === 'number') this.track(op, progressKey(scope, token));
    }
    return op;
  }

  private track(op: Operation, key: string): void {
    this.pending.get(key)?.abandon('no_response'); // a reused id supersedes the older request
    this.pending.set(key, op);
    op.keys.push(key);
  }

  /** The open operation a response answers. `toClient`: the response travels server→client. */
  answered(scope: string, id: JsonRpcId, toClient: boolean): Operation | undefined {
    return this.pending.get(responseKey(scope, id, !toClient));
  }

  /** The open operation a progress notification belongs to. */
  byProgressToken(scope: string, token: unknown): Operation | undefined {
    return typeof token === 'string' || typeof token === 'number' ? this.pending.get(progressKey(scope, token)) : undefined;
  }

  /** Records a notification about an open operation on it: progress, log message, cancellation. */
  noteNotification(m: RpcMessage, scope: string, streamOps: readonly Operation[]): void {
    const p = m.params;
    switch (m.method) {
      case 'notifications/progress': {
        const op = this.byProgressToken(scope, p?.progressToken);
        const attrs: Record<string, number> = {};
        if (typeof p?.progress === 'number') attrs[sc.ATTR_EVENT_PROGRESS] = p.progress;
        if (typeof p?.total === 'number') attrs[sc.ATTR_EVENT_PROGRESS_TOTAL] = p.total;
        op?.event(sc.EVENT_PROGRESS, attrs);
        break;
      }
      case 'notifications/message': {
        // Log data may be private: the event records the level only.
        const level = str(p, 'level');
        if (streamOps.length === 1) streamOps[0].event(sc.EVENT_LOG_MESSAGE, level ? { [sc.ATTR_EVENT_LOG_LEVEL]: level } : undefined);
        break;
      }
      case 'notifications/cancelled': {
        const id = p?.requestId;
        if (typeof id === 'string' || typeof id === 'number') {
          // The client cancels its own request; a server may cancel one it sent to the client.
          const op = this.answered(scope, id, true) ?? this.answered(scope, id, false);
          op?.abandon('cancelled', str(p, 'reason'));
        }
        break;
      }
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

  /** Called by Operation.end. */
  forget(op: Operation): void {
    for (const k of op.keys) if (this.pending.get(k) === op) this.pending.delete(k);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Ends operations older than the pending timeout. The map is in start order, so this stops early. */
  sweep(now = Date.now()): void {
    for (const op of this.pending.values()) {
      if (now - op.startedAt < this.pendingTimeoutMs) break;
      op.abandon('expired');
    }
  }

  /** Ends the open operations of one scope (a closed connection). */
  abandonScope(scope: string, why: NoResponse): void {
    const prefix = `${scope}\u0000`;
    for (const [key, op] of [...this.pending]) if (key.startsWith(prefix)) op.abandon(why);
  }

  /** Ends every open operation (shutdown), so its span is exported. */
  close(): void {
    clearInterval(this.sweeper);
    for (const op of [...this.pending.values()]) op.abandon('shutdown');
  }
}

/**
 * The Tracing for a config: its pending timeout and capture options, and what every ended
 * operation feeds: the operation histograms and, with --access-log, a log line.
 */
export function createTracing(telemetry: Telemetry, config: Config, log: Logger): Tracing {
  const capture = { arguments: config.captureArguments, results: config.captureResults, redactKeys: config.redactKeys, maxLength: config.captureMaxLength, openinference: config.openinference };
  const metrics = telemetry.metrics;
  const onEnd = (op: EndedOperation) => {
    metrics?.operation(op.kind, op.durationS, op.metricAttributes);
    if (config.accessLog) {
      log.info('mcp', {
        kind: op.kind, method: op.method, target: op.target, duration_ms: Math.round(op.durationS * 1e4) / 10,
        status: op.errorType ? 'error' : op.outcome ?? 'ok', error_type: op.errorType, trace_id: op.traceId, span_id: op.spanId,
      });
    }
  };
  return new Tracing(telemetry.tracer, telemetry.propagator, config.pendingTimeoutMs, capture, onEnd);
}

function responseKey(scope: string, id: JsonRpcId, clientSpan: boolean): string {
  return `${scope}\u0000${clientSpan ? 'c' : 's'}${idKey(id)}`;
}

function progressKey(scope: string, token: string | number): string {
  return `${scope}\u0000p${idKey(token)}`;
}
