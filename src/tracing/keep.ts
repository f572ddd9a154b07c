// Keep every failure, whatever the head sampler decided. The sampler below turns "drop" into
// "record only": the SDK still builds the span, but its trace flags stay not-sampled, so the
// traceparent the proxy injects carries the head decision to the upstream unchanged. When such an
// operation ends in error (or slower than --keep-slow), Operation.end marks it with
// mcp_trace_proxy.sampling.kept; the processor below exports marked spans, with their local
// children (server→client spans, which end first and wait here, bounded), and drops the rest.
import { Attributes, Context, Link, SpanKind, TraceFlags } from '@opentelemetry/api';
import { ReadableSpan, Sampler, SamplingDecision, SamplingResult, Span, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { ProxyCounters } from './metrics';
import { ATTR_MCP_PROXY_SAMPLING_KEPT } from './semconv';

/** Ended unsampled children waiting for their parent's decision, in all. */
const MAX_WAITING = 1024;
/** Span ids recently kept, so a child that ends after its parent still follows it. */
const MAX_REMEMBERED = 1024;

/** Never drops: what the head sampler would drop is recorded, not sampled. */
export class KeepSampler implements Sampler {
  constructor(private readonly head: Sampler) {}

  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const r = this.head.shouldSample(ctx, traceId, name, kind, attributes, links);
    return r.decision === SamplingDecision.NOT_RECORD ? { ...r, decision: SamplingDecision.RECORD } : r;
  }

  toString(): string {
    return `KeepSampler{${this.head.toString()}}`;
  }
}

/** In front of the export processors: sampled spans pass, kept ones pass as sampled, the rest stop here. */
export class KeepProcessor implements SpanProcessor {
  /** Parent span id → its ended, unsampled, unmarked children. Insertion order: oldest first. */
  private readonly waiting = new Map<string, ReadableSpan[]>();
  private waitingCount = 0;
  private readonly kept = new Map<string, string>();

  constructor(private readonly next: readonly SpanProcessor[], private readonly counters: ProxyCounters) {}

  onStart(span: Span, ctx: Context): void {
    if (sampled(span)) for (const p of this.next) p.onStart(span, ctx);
  }

  onEnd(span: ReadableSpan): void {
    if (sampled(span)) {
      for (const p of this.next) p.onEnd(span);
      return;
    }
    const id = span.spanContext().spanId;
    const reason = span.attributes[ATTR_MCP_PROXY_SAMPLING_KEPT];
    const parent = span.parentSpanContext;
    const inherited = parent && !parent.isRemote ? this.kept.get(parent.spanId) : undefined;
    if (typeof reason === 'string' || inherited) {
      this.keep(span, (reason as string | undefined) ?? (inherited as string));
    } else if (parent && !parent.isRemote && parent.traceId === span.spanContext().traceId) {
      this.wait(parent.spanId, span); // a local child: its parent decides
    } else {
      this.discard(id); // a root neither failed nor slow: the head decision stands, for its children too
    }
  }

  forceFlush(): Promise<void> {
    return Promise.all(this.next.map((p) => p.forceFlush())).then(() => undefined);
  }

  shutdown(): Promise<void> {
    this.waiting.clear();
    this.waitingCount = 0;
    return Promise.all(this.next.map((p) => p.shutdown())).then(() => undefined);
  }

  private keep(span: ReadableSpan, reason: string): void {
    const id = span.spanContext().spanId;
    const view = asSampled(span, reason);
    for (const p of this.next) p.onEnd(view);
    this.counters.keptSpans[reason] = (this.counters.keptSpans[reason] ?? 0) + 1;
    this.kept.set(id, reason);
    if (this.kept.size > MAX_REMEMBERED) this.kept.delete(this.kept.keys().next().value as string);
    const children = this.take(id);
    for (const c of children) this.keep(c, reason);
  }

  private wait(parentId: string, span: ReadableSpan): void {
    const list = this.waiting.get(parentId);
    if (list) list.push(span);
    else this.waiting.set(parentId, [span]);
    this.waitingCount++;
    while (this.waitingCount > MAX_WAITING) {
      const oldest = this.waiting.keys().next().value as string;
      this.counters.keepBufferDropped += this.take(oldest).length;
    }
  }

  private take(parentId: string): ReadableSpan[] {
    const list = this.waiting.get(parentId);
    if (!list) return [];
    this.waiting.delete(parentId);
    this.waitingCount -= list.length;
    return list;
  }

  private discard(parentId: string): void {
    for (const c of this.take(parentId)) this.discard(c.spanContext().spanId);
  }
}

function sampled(span: ReadableSpan | Span): boolean {
  return (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}

/**
 * The span as the exporters must see it: marked, and flagged sampled (export processors skip
 * unsampled spans). A copy: the SDK's span is ended and read-only.
 */
function asSampled(s: ReadableSpan, reason: string): ReadableSpan {
  const ctx = { ...s.spanContext(), traceFlags: s.spanContext().traceFlags | TraceFlags.SAMPLED };
  const attributes = s.attributes[ATTR_MCP_PROXY_SAMPLING_KEPT] === reason ? s.attributes : { ...s.attributes, [ATTR_MCP_PROXY_SAMPLING_KEPT]: reason };
  return {
    name: s.name, kind: s.kind, spanContext: () => ctx, parentSpanContext: s.parentSpanContext,
    startTime: s.startTime, endTime: s.endTime, duration: s.duration, ended: s.ended, status: s.status,
    attributes, links: s.links, events: s.events, resource: s.resource, instrumentationScope: s.instrumentationScope,
    droppedAttributesCount: s.droppedAttributesCount, droppedEventsCount: s.droppedEventsCount, droppedLinksCount: s.droppedLinksCount,
  };
}
