// Recent finished spans, in memory, for the live view on the admin port.
// A ring bounded both in count (--ui-buffer) and in bytes: the oldest spans are evicted first.
// onEnd runs inside span.end(), on the request path, so it only copies a few fields and never throws.
import type { AttributeValue, Attributes, Context } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import * as semconv from '../tracing/semconv';
import { Summary, summarize } from './summary';

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanStatusName = 'unset' | 'ok' | 'error';

/** What the live view keeps of a finished span: plain data, ready for JSON. */
export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKindName;
  /** Milliseconds since the epoch (fractional). */
  readonly startMs: number;
  readonly endMs: number;
  readonly durationMs: number;
  readonly status: { readonly code: SpanStatusName; readonly message?: string };
  readonly attributes: Record<string, AttributeValue>;
  readonly events: ReadonlyArray<{ readonly name: string; readonly timeMs: number; readonly attributes?: Record<string, AttributeValue> }>;
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string; readonly attributes?: Record<string, AttributeValue> }>;
}

export interface SpanFilter {
  /** mcp.method.name, exact. */
  method?: string;
  /** gen_ai.tool.name, exact. */
  tool?: string;
  /** 'error': status ERROR; 'ok': anything else. */
  status?: 'ok' | 'error';
  /** mcp.session.id, exact. */
  session?: string;
  /** tenant.id, enduser.id and mcp.client.name, exact. */
  tenant?: string;
  user?: string;
  client?: string;
  traceId?: string;
  minDurationMs?: number;
  /** Default 100, at most the buffer's size. */
  limit?: number;
}

export type { Summary, ToolSummary } from './summary';

/** Receives each span as it is stored, with its JSON text (computed once for all listeners). */
export type SpanListener = (span: SpanRecord, json: string) => void;

export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
/** Live-stream subscribers at once; more are refused (subscribe returns null). */
export const MAX_LISTENERS = 64;
/** Longer string attribute values are cut in the view's copy (the exported span is untouched). */
export const MAX_VALUE_CHARS = 16 * 1024;
const TRUNCATED = '…[truncated]';
/** Per-record fixed part (ids, times, kind, status, field names) and bookkeeping, in the byte estimate. */
const RECORD_OVERHEAD_BYTES = 400;
const DEFAULT_LIMIT = 100;

const ATTR_METHOD = semconv.ATTR_MCP_METHOD_NAME;
const ATTR_TOOL = semconv.ATTR_GEN_AI_TOOL_NAME;
const ATTR_SESSION = semconv.ATTR_MCP_SESSION_ID;

const KINDS: readonly SpanKindName[] = ['internal', 'server', 'client', 'producer', 'consumer'];
const STATUSES: readonly SpanStatusName[] = ['unset', 'ok', 'error'];

interface Slot {
  readonly rec: SpanRecord;
  readonly bytes: number;
}

export class RecentSpans implements SpanProcessor {
  private readonly ring: (Slot | undefined)[];
  /** Index of the oldest slot. */
  private head = 0;
  private count = 0;
  private bytes = 0;
  private readonly byTrace = new Map<string, SpanRecord[]>();
  private readonly listeners = new Map<SpanListener, (() => void) | undefined>();
  private closed = false;

  constructor(readonly maxSpans: number, readonly maxBytes: number = DEFAULT_MAX_BYTES) {
    if (!Number.isFinite(maxSpans) || maxSpans < 1) maxSpans = 1;
    this.maxSpans = Math.floor(maxSpans);
    this.ring = new Array<Slot | undefined>(this.maxSpans);
  }

  /** Spans held now. */
  get size(): number {
    return this.count;
  }

  /** Estimated bytes held now. */
  get sizeBytes(): number {
    return this.bytes;
  }

  onStart(_span: Span, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.closed) return;
    try {
      this.add(toRecord(span));
    } catch {
      // The view is best-effort; a span it cannot copy must never disturb the request.
    }
  }

  /** Stores a record (onEnd's work; public for tests). */
  add(rec: SpanRecord): void {
    const size = estimateBytes(rec);
    if (size > this.maxBytes) return; // cannot fit even alone
    while (this.count > 0 && (this.count >= this.maxSpans || this.bytes + size > this.maxBytes)) this.evictOldest();
    this.ring[(this.head + this.count) % this.maxSpans] = { rec, bytes: size };
    this.count++;
    this.bytes += size;
    const list = this.byTrace.get(rec.traceId);
    if (list) list.push(rec);
    else this.byTrace.set(rec.traceId, [rec]);
    if (this.listeners.size === 0) return;
    const json = JSON.stringify(rec); // once, for every listener
    for (const listener of [...this.listeners.keys()]) {
      try {
        listener(rec, json);
      } catch {
        // one bad listener must not stop the others
      }
    }
  }

  private evictOldest(): void {
    const slot = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.maxSpans;
    this.count--;
    if (!slot) return;
    this.bytes -= slot.bytes;
    const list = this.byTrace.get(slot.rec.traceId);
    if (list) {
      // Records enter the trace's list in ring order, so the evicted one is its first.
      const i = list.indexOf(slot.rec);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byTrace.delete(slot.rec.traceId);
    }
  }

  /** Newest first. */
  private *newestFirst(): Generator<SpanRecord> {
    for (let i = this.count - 1; i >= 0; i--) {
      const slot = this.ring[(this.head + i) % this.maxSpans];
      if (slot) yield slot.rec;
    }
  }

  /** Recent spans matching the filter, newest (last finished) first. */
  list(filter: SpanFilter = {}): SpanRecord[] {
    const limit = Math.max(0, Math.min(Math.floor(filter.limit ?? DEFAULT_LIMIT), this.maxSpans));
    const out: SpanRecord[] = [];
    if (limit === 0) return out;
    const source = filter.traceId ? [...(this.byTrace.get(filter.traceId) ?? [])].reverse() : this.newestFirst();
    for (const rec of source) {
      if (!matches(rec, filter)) continue;
      out.push(rec);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The spans of one trace that are still in the buffer, by start time. */
  trace(traceId: string): SpanRecord[] {
    // On a tie, the longer span (the parent, usually) first.
    return [...(this.byTrace.get(traceId) ?? [])].sort((a, b) => a.startMs - b.startMs || b.endMs - a.endMs);
  }

  /** Per-tool counts, error rates, p50/p95 durations and result sizes, over what is in the buffer. */
  summary(): Summary {
    return summarize(this.newestFirst());
  }

  /**
   * Calls `listener` for each span stored from now on. `onClose` runs when the buffer shuts down
   * (the tracer provider's shutdown), so live streams can end. Returns the unsubscribe function,
   * or null when MAX_LISTENERS are already subscribed or the buffer is shut down.
   */
  subscribe(listener: SpanListener, onClose?: () => void): (() => void) | null {
    if (this.closed || this.listeners.size >= MAX_LISTENERS) return null;
    this.listeners.set(listener, onClose);
    return () => void this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Stops taking spans and tells the subscribers (the buffer's content stays readable). */
  shutdown(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const closers = [...this.listeners.values()];
    this.listeners.clear();
    for (const c of closers) {
      try {
        c?.();
      } catch {
        // ignore
      }
    }
    return Promise.resolve();
  }
}

/** Whether a record passes a filter (the limit aside). */
export function matches(rec: SpanRecord, f: SpanFilter): boolean {
  if (f.method !== undefined && rec.attributes[ATTR_METHOD] !== f.method) return false;
  if (f.tool !== undefined && rec.attributes[ATTR_TOOL] !== f.tool) return false;
  if (f.session !== undefined && rec.attributes[ATTR_SESSION] !== f.session) return false;
  if (f.tenant !== undefined && rec.attributes[semconv.ATTR_TENANT_ID] !== f.tenant) return false;
  if (f.user !== undefined && rec.attributes[semconv.ATTR_ENDUSER_ID] !== f.user) return false;
  if (f.client !== undefined && rec.attributes[semconv.ATTR_MCP_CLIENT_NAME] !== f.client) return false;
  if (f.traceId !== undefined && rec.traceId !== f.traceId) return false;
  if (f.status !== undefined && (rec.status.code === 'error') !== (f.status === 'error')) return false;
  if (f.minDurationMs !== undefined && !(rec.durationMs >= f.minDurationMs)) return false;
  return true;
}

/**
 * About the JSON length of a record plus bookkeeping, without serializing it (onEnd runs on the
 * request path; JSON.stringify would cost more than the rest of the copy).
 */
export function estimateBytes(rec: SpanRecord): number {
  let n = RECORD_OVERHEAD_BYTES + rec.name.length + (rec.status.message?.length ?? 0);
  n += attributesBytes(rec.attributes);
  for (const e of rec.events) n += 40 + e.name.length + attributesBytes(e.attributes);
  for (const l of rec.links) n += 90 + attributesBytes(l.attributes);
  return n;
}

function attributesBytes(attrs: Record<string, AttributeValue> | undefined): number {
  if (!attrs) return 0;
  let n = 2;
  for (const k in attrs) n += k.length + 4 + valueBytes(attrs[k]);
  return n;
}

function valueBytes(v: unknown): number {
  if (typeof v === 'string') return v.length + 2;
  if (Array.isArray(v)) {
    let n = 2;
    for (const x of v) n += valueBytes(x) + 1;
    return n;
  }
  return 16;
}

export function toRecord(span: ReadableSpan): SpanRecord {
  const ctx = span.spanContext();
  const startMs = hrTimeToMilliseconds(span.startTime);
  const durationMs = round3(hrTimeToMilliseconds(span.duration));
  const rec: {
    -readonly [K in keyof SpanRecord]: SpanRecord[K];
  } = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    name: span.name,
    kind: KINDS[span.kind] ?? 'internal',
    startMs: round3(startMs),
    endMs: round3(hrTimeToMilliseconds(span.endTime)),
    durationMs,
    status: span.status.message
      ? { code: STATUSES[span.status.code] ?? 'unset', message: cut(span.status.message) }
      : { code: STATUSES[span.status.code] ?? 'unset' },
    attributes: copyAttributes(span.attributes) ?? {},
    events: span.events.map((e) => {
      const attributes = copyAttributes(e.attributes);
      const ev = { name: e.name, timeMs: round3(hrTimeToMilliseconds(e.time)) };
      return attributes ? { ...ev, attributes } : ev;
    }),
    links: span.links.map((l) => {
      const attributes = copyAttributes(l.attributes);
      const link = { traceId: l.context.traceId, spanId: l.context.spanId };
      return attributes ? { ...link, attributes } : link;
    }),
  };
  const parent = span.parentSpanContext;
  if (parent?.spanId) rec.parentSpanId = parent.spanId;
  return rec;
}

function copyAttributes(attrs: Attributes | undefined): Record<string, AttributeValue> | undefined {
  if (!attrs) return undefined;
  const out: Record<string, AttributeValue> = {};
  let any = false;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'string' ? cut(v) : Array.isArray(v) ? (v.map((x) => (typeof x === 'string' ? cut(x) : x)) as AttributeValue) : v;
    any = true;
  }
  return any ? out : undefined;
}

function cut(s: string): string {
  return s.length > MAX_VALUE_CHARS ? s.slice(0, MAX_VALUE_CHARS) + TRUNCATED : s;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
