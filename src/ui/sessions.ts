// The live view's sessions and runs: a span processor, beside RecentSpans, that files each finished
// span under its session, connection or run (grouping.ts) and keeps per session its totals and a
// compact record of its last operations, for the Sessions tab and its waterfall.
// Bounded: at most maxSessions (the least recently active is evicted, counted) and maxOps
// operations per session (the oldest evicted, counted; the totals still count them).
// onEnd runs inside span.end(), on the request path: it reads a few attributes and never throws.
import { Context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import * as semconv from '../tracing/semconv';
import { GroupBy, Identity, SpanFacts, groupingOf, identityKey, startsNewRun } from './grouping';

export const MAX_SESSIONS = 100;
export const MAX_OPS_PER_SESSION = 500;
/** Sessionless server→client requests waiting for the operation that carried them to end. */
const MAX_WAITING = 256;
/** Span ids remembered with their session, so a late child finds its parent's. */
const MAX_PLACED = 4096;
const MAX_NAME_CHARS = 256;

/** One operation of a session, as the waterfall draws it. */
export interface SessionOp {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: 'server' | 'client';
  /** Milliseconds since the epoch. */
  readonly startMs: number;
  readonly endMs: number;
  readonly durationMs: number;
  readonly error: boolean;
  readonly errorType?: string;
  /** mcp_trace_proxy.outcome, for ends without an answer. */
  readonly outcome?: string;
  /** mcp.result.type (e.g. input_required: an MRTR round). */
  readonly resultType?: string;
  readonly argumentsBytes?: number;
  readonly resultBytes?: number;
  readonly resultTokens?: number;
}

export interface SessionSummary {
  /** Opaque, for /api/sessions/<id>. */
  readonly id: string;
  readonly by: GroupBy;
  /** The session id, the connection's peer, or the run's name. */
  readonly label: string;
  readonly client?: string;
  readonly tenant?: string;
  readonly user?: string;
  readonly startMs: number;
  readonly endMs: number;
  /** From the first operation's start to the last one's end. */
  readonly durationMs: number;
  /** Every operation, notifications included; `calls` are the requests. */
  readonly operations: number;
  readonly calls: number;
  readonly errors: number;
  /** Raw JSON bytes of the arguments sent (in) and of the results returned (out). */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Estimated result tokens, with --estimate-tokens. */
  readonly tokens?: number;
  /** Operations no longer held (over maxOps): counted above, not in the waterfall. */
  readonly dropped: number;
}

class Session {
  readonly ops: SessionOp[] = [];
  startMs = Infinity;
  endMs = -Infinity;
  operations = 0;
  calls = 0;
  errors = 0;
  bytesIn = 0;
  bytesOut = 0;
  tokens = 0;
  dropped = 0;
  identity: Identity = {};

  constructor(readonly id: string, readonly key: string, readonly by: GroupBy, readonly label: string) {}

  add(op: SessionOp, identity: Identity | undefined, maxOps: number): void {
    this.ops.push(op);
    if (this.ops.length > maxOps) {
      this.ops.shift();
      this.dropped++;
    }
    this.operations++;
    if (!op.name.startsWith('notifications/')) this.calls++;
    if (op.error) this.errors++;
    this.bytesIn += op.argumentsBytes ?? 0;
    this.bytesOut += op.resultBytes ?? 0;
    this.tokens += op.resultTokens ?? 0;
    this.startMs = Math.min(this.startMs, op.startMs);
    this.endMs = Math.max(this.endMs, op.endMs);
    if (identity) this.identity = { ...identity, ...this.identity };
  }

  summary(): SessionSummary {
    const { client, tenant, user } = this.identity;
    return {
      id: this.id, by: this.by, label: this.label, client, tenant, user, startMs: this.startMs, endMs: this.endMs,
      durationMs: round3(this.endMs - this.startMs), operations: this.operations, calls: this.calls, errors: this.errors,
      bytesIn: this.bytesIn, bytesOut: this.bytesOut, tokens: this.tokens > 0 ? this.tokens : undefined, dropped: this.dropped,
    };
  }
}

export class SessionIndex implements SpanProcessor {
  /** By key, least recently active first. */
  private readonly sessions = new Map<string, Session>();
  private readonly byId = new Map<string, Session>();
  /** The current gap run of each identity. */
  private readonly runs = new Map<string, { key: string; lastEndMs: number }>();
  private readonly waiting = new Map<string, SessionOp[]>();
  private readonly placed = new Map<string, Session>();
  private seq = 0;
  /** Sessions evicted over maxSessions, and sessionless child operations whose parent never came. */
  evicted = 0;
  orphaned = 0;

  constructor(readonly maxSessions = MAX_SESSIONS, readonly maxOps = MAX_OPS_PER_SESSION) {}

  onStart(_span: Span, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    try {
      const kind = span.kind === SpanKind.CLIENT ? 'client' : 'server';
      this.add({ traceId: span.spanContext().traceId, parentSpanId: span.parentSpanContext?.spanId, kind, attributes: span.attributes }, toOp(span, kind));
    } catch {
      // The view is best-effort; a span it cannot file must never disturb the request.
    }
  }

  /** Files one finished operation (onEnd's work; public for tests). */
  add(facts: SpanFacts, op: SessionOp): void {
    const g = groupingOf(facts);
    let session: Session | undefined;
    if (g.by === 'parent') {
      session = this.placed.get(g.parentSpanId);
      if (!session || this.byId.get(session.id) !== session) return this.wait(g.parentSpanId, op);
      return this.place(session, op, undefined);
    }
    if (g.by === 'gap') {
      const idk = identityKey(g.identity);
      const run = this.runs.get(idk);
      const key = run && !startsNewRun(run.lastEndMs, op.startMs) && this.sessions.has(run.key) ? run.key : `gap:${idk}:${++this.seq}`;
      this.runs.delete(idk);
      this.runs.set(idk, { key, lastEndMs: Math.max(op.endMs, run?.key === key ? run.lastEndMs : -Infinity) });
      if (this.runs.size > this.maxSessions) this.runs.delete(this.runs.keys().next().value as string);
      session = this.session(key, 'run', 'run ' + key.slice(key.lastIndexOf(':') + 1));
      return this.place(session, op, g.identity);
    }
    this.place(this.session(g.key, g.by, g.label), op, g.identity);
  }

  /** Sessions, most recently active first. */
  list(): SessionSummary[] {
    return [...this.sessions.values()].reverse().map((s) => s.summary());
  }

  /** One session and its held operations by start time, or undefined. */
  get(id: string): { session: SessionSummary; operations: SessionOp[] } | undefined {
    const s = this.byId.get(id);
    if (!s) return undefined;
    return { session: s.summary(), operations: [...s.ops].sort((a, b) => a.startMs - b.startMs || b.endMs - a.endMs) };
  }

  get size(): number {
    return this.sessions.size;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  private session(key: string, by: GroupBy, label: string): Session {
    let s = this.sessions.get(key);
    if (s) {
      this.sessions.delete(key); // re-entered: now the most recently active
    } else {
      s = new Session('s' + ++this.seq, key, by, label);
      this.byId.set(s.id, s);
      while (this.sessions.size >= this.maxSessions) {
        const oldest = this.sessions.values().next().value as Session;
        this.sessions.delete(oldest.key);
        this.byId.delete(oldest.id);
        this.evicted++;
      }
    }
    this.sessions.set(key, s);
    return s;
  }

  private place(session: Session, op: SessionOp, identity: Identity | undefined): void {
    session.add(op, identity, this.maxOps);
    this.placed.set(op.spanId, session);
    if (this.placed.size > MAX_PLACED) this.placed.delete(this.placed.keys().next().value as string);
    // Server→client requests that ended before the operation that carried them.
    const kids = this.waiting.get(op.spanId);
    if (kids) {
      this.waiting.delete(op.spanId);
      for (const k of kids) this.place(session, k, undefined);
    }
  }

  private wait(parentSpanId: string, op: SessionOp): void {
    const list = this.waiting.get(parentSpanId);
    if (list) {
      if (list.length < this.maxOps) list.push(op);
      else this.orphaned++;
      return;
    }
    this.waiting.set(parentSpanId, [op]);
    if (this.waiting.size > MAX_WAITING) {
      const oldest = this.waiting.keys().next().value as string;
      this.orphaned += this.waiting.get(oldest)?.length ?? 0;
      this.waiting.delete(oldest);
    }
  }
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function toOp(span: ReadableSpan, kind: 'server' | 'client'): SessionOp {
  const a = span.attributes;
  const startMs = round3(hrTimeToMilliseconds(span.startTime));
  const endMs = round3(hrTimeToMilliseconds(span.endTime));
  const ctx = span.spanContext();
  return {
    traceId: ctx.traceId, spanId: ctx.spanId, parentSpanId: span.parentSpanContext?.spanId,
    name: span.name.length > MAX_NAME_CHARS ? span.name.slice(0, MAX_NAME_CHARS) + '…' : span.name,
    kind, startMs, endMs, durationMs: round3(hrTimeToMilliseconds(span.duration)),
    error: span.status.code === SpanStatusCode.ERROR,
    errorType: str(a[semconv.ATTR_ERROR_TYPE]),
    outcome: str(a[semconv.ATTR_MCP_PROXY_OUTCOME]),
    resultType: str(a[semconv.ATTR_MCP_RESULT_TYPE]),
    argumentsBytes: num(a[semconv.ATTR_MCP_PROXY_ARGUMENTS_SIZE]),
    resultBytes: num(a[semconv.ATTR_MCP_PROXY_RESULT_SIZE]),
    resultTokens: num(a[semconv.ATTR_MCP_PROXY_RESULT_TOKENS]),
  };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
