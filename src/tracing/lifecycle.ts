// One operation's lifecycle: open → exactly one end. Transports and the tap report what happened
// (a response, an error, an expiry, a cancellation, a peer gone, shutdown); the first report ends
// the operation and every later one is ignored. `finish` is the one completion path: it writes the
// span's status and outcome, tells the keep stage, ends the span and reports the operation once,
// whatever order the events arrive in (as Envoy's ActiveStream funnels every end into one place).
// docs/ARCHITECTURE.md draws the states.
import assert from 'node:assert';
import { Attributes, Context, Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RpcMessage } from '../jsonrpc/parse';
import { ResultSize, argumentsSizeAttributes, responseOutcome, resultSizeAttributes } from './attributes';
import type { LocalTrace } from './keep';
import { openInferenceOutput, openInferenceSession } from './openinference';
import * as semconv from './semconv';

/** How an operation ended, named for the event that ended it. */
export type End =
  | 'answered' // a response came (a JSON-RPC error or a tool's isError makes it `failed`)
  | 'delivered' // a notification was forwarded (and, on HTTP, accepted)
  | 'failed' // a JSON-RPC error, isError, an HTTP or upstream error
  | 'cancelled' // notifications/cancelled from its own sender, in its own scope
  | 'expired' // no response within the pending timeout
  | 'client_gone' // the client hung up before the answer
  | 'upstream_gone' // the upstream ended without answering: reset, process exit, socket close, a response without it
  | 'dropped' // pushed out by the pending bounds, or superseded by a reused id
  | 'shut_down'; // the proxy stopped first

/**
 * `mcp_trace_proxy.outcome` for the ends without an answer. The values predate the names above and
 * stay as they are, since dashboards and alerts query them.
 */
const OUTCOME: Readonly<Partial<Record<End, string>>> = {
  cancelled: 'cancelled', expired: 'expired', client_gone: 'client_abort', upstream_gone: 'no_response', dropped: 'dropped', shut_down: 'shutdown',
};

/** Ends that are a success. A cancellation was asked for by whoever started the request. */
const SUCCESS: ReadonlySet<End> = new Set<End>(['answered', 'delivered', 'cancelled']);

/** Events kept on one span; past that, notifications are only counted (a long stream has many). */
const MAX_EVENTS = 32;

/** What listeners (metrics, access log, the live view) learn when an operation ends. */
export interface EndedOperation {
  readonly kind: 'server' | 'client';
  readonly method: string;
  /** Tool or prompt name, if any. */
  readonly target?: string;
  readonly end: End;
  readonly durationS: number;
  readonly errorType?: string;
  /** `mcp_trace_proxy.outcome`, for the ends without an answer. */
  readonly outcome?: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Low-cardinality attributes for metrics, error.type included. */
  readonly metricAttributes: Attributes;
  /** The caller and client attributes (unbounded values: the live view bounds its own). */
  readonly caller: Attributes;
  /** Set when the head sampler dropped it and keep-errors/keep-slow exported it. */
  readonly kept?: string;
  /** Raw JSON bytes of the request's `params.arguments` and of the response's `result`, when sent. */
  readonly argumentsBytes?: number;
  readonly resultBytes?: number;
  /** The result's estimated tokens (--estimate-tokens). */
  readonly resultTokens?: number;
}

/** What an operation needs from the tracing that started it. */
export interface OperationOwner {
  /** The redacted result to record on a tools/call span, when results are captured. */
  captureResult(method: string, res: RpcMessage): string | undefined;
  /** The result's size (and tokens), read from the raw frame. */
  resultSize(res: RpcMessage): ResultSize | undefined;
  readonly openinference: boolean;
  /** A bounded error.type label for metrics. */
  errorLabel(errorType: string): string;
  report(op: EndedOperation): void;
}

export class Operation {
  /** The span's context, for injection into the forwarded message and for children. */
  readonly context: Context;
  private readonly startMs = performance.now();
  private state: 'open' | End = 'open';
  private errorType?: string;
  private events = 0;
  private notifications = 0;
  private argumentsBytes?: number;
  private result?: ResultSize;
  private onEnded: (() => void)[] | null = null;

  constructor(
    private readonly owner: OperationOwner,
    /** An SDK span (sampled), a held record (unsampled, keep on) or a non-recording span. */
    readonly span: Span,
    parent: Context,
    readonly method: string,
    readonly kind: 'server' | 'client',
    private readonly target: string | undefined,
    /** null: nobody listens (no metrics, no access log, no view). */
    private readonly metricAttrs: Attributes | null,
    /** The local trace a held record belongs to; null when the SDK's own decision stands. */
    readonly local: LocalTrace | null,
    private readonly caller: Attributes,
  ) {
    this.context = trace.setSpan(parent, span);
  }

  get isEnded(): boolean {
    return this.state !== 'open';
  }

  /** How it ended, or undefined while open. */
  get ending(): End | undefined {
    return this.state === 'open' ? undefined : this.state;
  }

  /** Runs `fn` once when the operation ends (the tap forgets its correlation keys). */
  whenEnded(fn: () => void): void {
    if (this.state !== 'open') fn();
    else (this.onEnded ??= []).push(fn);
  }

  /** A notification about this operation: an event while under the cap, a count always. */
  event(name: string, attributes?: Record<string, string | number>): void {
    assert.ok(this.state === 'open', 'an event reached an ended operation');
    this.notifications++;
    if (this.events++ < MAX_EVENTS) this.span.addEvent(name, attributes);
  }

  /** Attributes learned while it is open (an MRTR round's, once its answer asks for input). */
  annotate(attributes: Attributes): void {
    if (this.state === 'open' && this.span.isRecording()) this.span.setAttributes(attributes);
  }

  /** The request's arguments measured (by the tracing that started it). */
  argumentsSize(bytes: number | undefined): void {
    if (bytes === undefined || this.state !== 'open') return;
    this.argumentsBytes = bytes;
    if (this.span.isRecording()) this.span.setAttributes(argumentsSizeAttributes(bytes));
  }

  setSession(sessionId: string): void {
    if (this.state !== 'open') return;
    this.span.setAttribute(semconv.ATTR_MCP_SESSION_ID, sessionId);
    if (this.owner.openinference) this.span.setAttributes(openInferenceSession(sessionId));
  }

  /** A response: `answered`, or `failed` when it carries a JSON-RPC error or a tool's isError. */
  answered(res: RpcMessage): void {
    if (this.state !== 'open') return;
    const o = responseOutcome(this.method, res);
    this.errorType = o.attributes[semconv.ATTR_ERROR_TYPE] as string | undefined;
    // Measured for a sampled span or a listener; a held record (almost never exported) goes without.
    if (res.result !== undefined && (this.metricAttrs || (this.local === null && this.span.isRecording()))) this.result = this.owner.resultSize(res);
    if (this.span.isRecording()) {
      this.span.setAttributes(o.attributes);
      if (this.result) this.span.setAttributes(resultSizeAttributes(this.result));
      const captured = this.owner.captureResult(this.method, res);
      if (captured !== undefined) {
        this.span.setAttribute(semconv.ATTR_GEN_AI_TOOL_CALL_RESULT, captured);
        if (this.owner.openinference) this.span.setAttributes(openInferenceOutput(captured));
      }
      if (o.errorMessage !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR, message: o.errorMessage });
    }
    this.finish(this.errorType === undefined ? 'answered' : 'failed');
  }

  /** A transport error: `errorType` is a stable, low-cardinality code. */
  failed(errorType: string, message: string): void {
    if (this.state !== 'open') return;
    this.errorType = errorType;
    this.span.setAttribute(semconv.ATTR_ERROR_TYPE, errorType);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
    this.finish('failed');
  }

  /** A notification went on (on HTTP: and the upstream accepted it). */
  delivered(): void {
    if (this.state === 'open') this.finish('delivered');
  }

  /** Its sender cancelled it; recorded with the reason (cut short: free-form peer text), not an error. */
  cancelled(reason?: string): void {
    if (this.state !== 'open') return;
    this.span.addEvent(semconv.EVENT_CANCELLED, reason ? { [semconv.ATTR_EVENT_CANCEL_REASON]: reason.slice(0, 256) } : undefined);
    this.finish('cancelled');
  }

  clientGone(): void {
    if (this.state !== 'open') return;
    this.span.addEvent(semconv.EVENT_CANCELLED, { [semconv.ATTR_EVENT_CANCEL_REASON]: 'client closed the connection' });
    this.finish('client_gone');
  }

  upstreamGone(): void {
    if (this.state === 'open') this.finish('upstream_gone');
  }

  expired(): void {
    if (this.state === 'open') this.finish('expired');
  }

  dropped(): void {
    if (this.state === 'open') this.finish('dropped');
  }

  shutDown(): void {
    if (this.state === 'open') this.finish('shut_down');
  }

  /** The one completion path. */
  private finish(end: End): void {
    assert.ok(this.state === 'open', 'an operation ended twice');
    this.state = end;
    const durationS = (performance.now() - this.startMs) / 1000;
    const outcome = OUTCOME[end];
    if (outcome) this.span.setAttribute(semconv.ATTR_MCP_PROXY_OUTCOME, outcome);
    if (this.notifications > 0) this.span.setAttribute(semconv.ATTR_MCP_PROXY_NOTIFICATIONS, this.notifications);
    // The keep stage hears of the end before the span ends, so a kept record is marked in time.
    const kept = this.local?.ended(this.span, !SUCCESS.has(end), this.errorType !== undefined, durationS);
    this.span.end();
    const fns = this.onEnded;
    this.onEnded = null;
    if (fns) for (const fn of fns) fn();
    if (this.metricAttrs) {
      const ctx = this.span.spanContext();
      this.owner.report({
        kind: this.kind, method: this.method, target: this.target, end, durationS, errorType: this.errorType, outcome,
        traceId: ctx.traceId, spanId: ctx.spanId, caller: this.caller, kept,
        argumentsBytes: this.argumentsBytes, resultBytes: this.result?.bytes, resultTokens: this.result?.tokens?.count,
        metricAttributes: this.errorType ? { ...this.metricAttrs, [semconv.ATTR_ERROR_TYPE]: this.owner.errorLabel(this.errorType) } : this.metricAttrs,
      });
    }
  }
}
