// Starting operations: a SERVER span for what the client asks, a CLIENT span for what the server
// asks, parented per SEP-414. What the head sampler keeps is an SDK span; what it drops is, under
// keep-errors/keep-slow, a compact record in its local trace (keep.ts), else a non-recording span
// that only carries ids for propagation. How an operation ends is lifecycle.ts's.
import { Attributes, Context, Link, Span, SpanKind, TextMapPropagator, Tracer, trace } from '@opentelemetry/api';
import { RpcMessage, metaOf } from '../jsonrpc/parse';
import { ARGUMENTS_PATH, RESULT_PATH, memberBytes, rawMember } from '../jsonrpc/size';
import { ConnInfo, ResultSize, metricAttributes, requestAttributes, spanName, targetOf } from './attributes';
import { HeldSpan, KeepStage } from './keep';
import { MetricLabels } from './labels';
import { EndedOperation, Operation, OperationOwner } from './lifecycle';
import { openInferenceInput, openInferenceStart } from './openinference';
import { parentFor } from './propagation';
import { redactedJson } from './redact';
import * as semconv from './semconv';
import type { TokenCounter } from './tokens';

/** Opt-in capture of tool arguments and results (off by default: they may be private). */
export interface CaptureOptions {
  readonly arguments: boolean;
  readonly results: boolean;
  readonly redactKeys: readonly string[];
  readonly maxLength: number;
  readonly openinference?: boolean;
}

export type EndListener = (op: EndedOperation) => void;

/** Links and attributes of a span that the message alone does not tell. */
export interface Related {
  readonly links: Link[];
  readonly attributes: Attributes;
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});
const NO_CAPTURE: CaptureOptions = { arguments: false, results: false, redactKeys: [], maxLength: 0 };

export class Tracing implements OperationOwner {
  private readonly listeners: EndListener[] = [];

  constructor(
    readonly tracer: Tracer,
    readonly propagator: TextMapPropagator,
    readonly labels: MetricLabels = new MetricLabels(100),
    readonly capture: CaptureOptions = NO_CAPTURE,
    /** null: the head sampler's decision stands (no keep-errors, no keep-slow). */
    readonly keep: KeepStage | null = null,
    /** --estimate-tokens: counts each result's tokens (null: sizes in bytes only). */
    readonly tokens: TokenCounter | null = null,
  ) {}

  get openinference(): boolean {
    return this.capture.openinference === true;
  }

  /** Tells `listener` of every ended operation, sampled or not (metrics, access log, the live view). */
  onEnded(listener: EndListener): void {
    this.listeners.push(listener);
  }

  /**
   * A client→server request or notification: a SERVER span, the root of its local trace. `caller`:
   * caller and client attributes. `related`: what the tap knows of it beyond the message (an MRTR
   * retry's link to the round that asked for input, and the round's attributes).
   */
  startServer(m: RpcMessage, conn: ConnInfo, headerCtx: Context, caller: Attributes = NO_ATTRIBUTES, related?: Related): Operation {
    const parent = parentFor(this.propagator, metaOf(m), headerCtx);
    const links = related?.links.length ? [...(parent.links ?? []), ...related.links] : parent.links;
    return this.start(m, conn, SpanKind.SERVER, parent.context, links, caller, undefined, related?.attributes);
  }

  /** A server→client request (sampling, elicitation, roots/list): a CLIENT span, nested under `within` when a stream carried it. */
  startClient(m: RpcMessage, conn: ConnInfo, within: Operation | undefined, fallback: Context, caller: Attributes = NO_ATTRIBUTES): Operation {
    const parent = parentFor(this.propagator, metaOf(m), within?.context ?? fallback);
    return this.start(m, conn, SpanKind.CLIENT, parent.context, parent.links, caller, within);
  }

  private start(m: RpcMessage, conn: ConnInfo, kind: SpanKind, parent: Context, links: Link[] | undefined, caller: Attributes, within: Operation | undefined, extra?: Attributes): Operation {
    const method = m.method as string;
    const name = spanName(m);
    // Only the method goes in at start: a sampler that drops the span saves the attribute work.
    let span: Span = this.tracer.startSpan(name, { kind, links, attributes: { [semconv.ATTR_MCP_METHOD_NAME]: method } }, parent);
    let local = null;
    if (!span.isRecording() && this.keep) {
      // Dropped by the head sampler: held compactly, in its parent's local trace or a new one,
      // unless that trace was already discarded. The injected context keeps the head decision.
      local = within ? within.local : this.keep.newTrace();
      if (local?.recording) {
        const held = new HeldSpan(this.keep, name, kind, span.spanContext(), trace.getSpanContext(parent), links ? [...links] : []);
        held.setAttribute(semconv.ATTR_MCP_METHOD_NAME, method);
        local.join(held);
        span = held;
      } else local = null;
    }
    if (span.isRecording()) {
      this.describe(span, m, conn, caller);
      if (extra) span.setAttributes(extra);
    }
    const t = targetOf(m);
    const op = new Operation(this, span, parent, method, kind === SpanKind.CLIENT ? 'client' : 'server', t.tool ?? t.prompt,
      this.listeners.length > 0 ? metricAttributes(m, conn, this.labels, caller) : null, local, caller);
    // Measured only when someone reads it: a recorded span, or the metrics and the view's listeners.
    // Measured for a sampled span or a listener; a held record (almost never exported) goes without.
    if (m.params?.arguments !== undefined && (sampled(span) || this.listeners.length > 0)) op.argumentsSize(memberBytes(m, ARGUMENTS_PATH));
    return op;
  }

  /** The attributes known when the request passed: the conventions', the caller's, opt-in captures. */
  private describe(span: Span, m: RpcMessage, conn: ConnInfo, caller: Attributes): void {
    const method = m.method as string;
    span.setAttributes(requestAttributes(m, conn));
    span.setAttributes(caller);
    if (this.openinference) span.setAttributes(openInferenceStart(method, targetOf(m).tool, conn.sessionId));
    if (this.capture.arguments && method === 'tools/call' && m.params?.arguments !== undefined) {
      const args = redactedJson(m.params.arguments, this.capture.redactKeys, this.capture.maxLength);
      span.setAttribute(semconv.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, args);
      if (this.openinference) span.setAttributes(openInferenceInput(args));
    }
  }

  captureResult(method: string, res: RpcMessage): string | undefined {
    if (!this.capture.results || method !== 'tools/call' || res.result === undefined) return undefined;
    return redactedJson(res.result, this.capture.redactKeys, this.capture.maxLength);
  }

  /** The result's raw JSON bytes and, with --estimate-tokens, its tokens; undefined without a result. */
  resultSize(res: RpcMessage): ResultSize | undefined {
    const raw = rawMember(res, RESULT_PATH);
    if (raw === undefined) return undefined;
    const bytes = Buffer.byteLength(raw, 'utf8');
    if (!this.tokens) return { bytes };
    try {
      return { bytes, tokens: { count: this.tokens.count(raw), tokenizer: this.tokens.tokenizer, encoding: this.tokens.encoding } };
    } catch {
      return { bytes };
    }
  }

  errorLabel(errorType: string): string {
    return this.labels.errorType(errorType);
  }

  report(op: EndedOperation): void {
    for (const l of this.listeners) l(op);
  }
}

/** An SDK span the head sampler kept (not a held record, not a non-recording span). */
function sampled(span: Span): boolean {
  return span.isRecording() && !(span instanceof HeldSpan);
}
