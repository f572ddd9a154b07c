// Keep-errors and keep-slow, decided per local trace as the Collector's tail sampling processor
// decides per trace. A local trace is one operation the client started (its local root) and the
// server→client requests nested under it. When the head sampler drops such an operation, the proxy
// holds a compact record of it (ids, times, bounded attributes; never the message) instead of an
// SDK span. The trace is decided at once when one of its operations ends in failure (kept: every
// held record is exported, and every later one as it ends), or when its root ends well (discarded:
// its held records go, and its later operations are never recorded). Records wait only while their
// root is open, so the buffer empties by itself; its bound is for pathological streams.
import assert from 'node:assert';
import {
  Attributes, AttributeValue, Exception, HrTime, Link, Span, SpanContext, SpanKind, SpanStatus, SpanStatusCode, TimeInput, TraceFlags,
} from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-node';
import type { ProxyCounters } from './metrics';
import * as semconv from './semconv';

/** Attributes one record keeps; a span has about twenty. */
const MAX_ATTRIBUTES = 128;

export interface KeepOptions {
  /** Keep what ends in failure: an error, or no answer (expired, upstream or client gone, dropped, shut down). */
  readonly errors: boolean;
  /** Keep what is slower than this; null: off. */
  readonly slowS: number | null;
  /** Records held in all, waiting for their root's decision. */
  readonly maxHeld: number;
  /** OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, as the SDK applies it to its own spans. */
  readonly maxValueLength: number;
}

/** A dropped operation, recorded compactly in case its trace is kept. Written through the Span API. */
export class HeldSpan implements Span {
  readonly attributes: Attributes = {};
  private count = 0;
  readonly events: TimedEvent[] = [];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  private readonly startMs = performance.timeOrigin + performance.now();
  private endMs = 0;
  private readonly maxLength: number;

  constructor(
    private readonly stage: KeepStage,
    private name: string,
    readonly kind: SpanKind,
    private readonly context: SpanContext,
    readonly parent: SpanContext | undefined,
    readonly links: Link[],
  ) {
    this.maxLength = stage.options.maxValueLength;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (value === undefined || value === null) return this;
    if (this.attributes[key] === undefined && this.count++ >= MAX_ATTRIBUTES) return this;
    const max = this.maxLength;
    this.attributes[key] = typeof value === 'string' && value.length > max ? value.slice(0, max) : value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const k in attributes) {
      const v = attributes[k];
      if (v !== undefined && v !== null) this.setAttribute(k, v);
    }
    return this;
  }

  addEvent(name: string, attributes?: Attributes | TimeInput): this {
    const attrs = attributes && typeof attributes === 'object' && !Array.isArray(attributes) && !(attributes instanceof Date) ? attributes as Attributes : {};
    this.events.push({ name, attributes: attrs, time: millisToHrTime(performance.timeOrigin + performance.now()), droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this {
    this.links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const l of links) this.links.push(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }

  updateName(name: string): this {
    this.name = name;
    return this;
  }

  end(): void {
    if (this.endMs === 0) this.endMs = performance.timeOrigin + performance.now();
  }

  isRecording(): boolean {
    return this.endMs === 0;
  }

  recordException(_exception: Exception): void {
    // The proxy records no exceptions on spans: error.type and the status say what failed.
  }

  /** The record as the exporters take it: sampled, marked with why it was kept. */
  readable(reason: string): ReadableSpan {
    const stage = this.stage;
    const ctx = { ...this.context, traceFlags: this.context.traceFlags | TraceFlags.SAMPLED };
    const end = this.endMs || performance.timeOrigin + performance.now();
    return {
      name: this.name, kind: this.kind, spanContext: () => ctx, parentSpanContext: this.parent,
      startTime: millisToHrTime(this.startMs), endTime: millisToHrTime(end), duration: millisToHrTime(end - this.startMs) as HrTime,
      ended: true, status: this.status, attributes: { ...this.attributes, [semconv.ATTR_MCP_PROXY_SAMPLING_KEPT]: reason },
      links: this.links, events: this.events, resource: stage.resource, instrumentationScope: stage.scope,
      droppedAttributesCount: Math.max(0, this.count - MAX_ATTRIBUTES), droppedEventsCount: 0, droppedLinksCount: 0,
    };
  }
}

type Decision = 'open' | 'kept' | 'discarded';

/** One local root and the operations nested under it: decided once, as a whole. */
export class LocalTrace {
  private decision: Decision = 'open';
  private reason = '';
  private root: HeldSpan | null = null;
  private held: HeldSpan[] = [];

  constructor(private readonly stage: KeepStage) {}

  /** Whether operations that start now are recorded: not once the trace is discarded. */
  get recording(): boolean {
    return this.decision !== 'discarded';
  }

  /** An operation of this trace started; the first is its root. */
  join(span: HeldSpan): void {
    this.root ??= span;
  }

  /**
   * An operation of this trace ended (before its span ends). Returns why it was kept, if it was.
   * `failure`: it ended without success; `error`: with an error (else without an answer).
   */
  ended(span: Span, failure: boolean, error: boolean, durationS: number): string | undefined {
    if (!(span instanceof HeldSpan)) return undefined;
    const own = this.stage.reasonFor(failure, error, durationS);
    switch (this.decision) {
      case 'kept':
        return this.stage.export(span, own ?? this.reason);
      case 'discarded':
        return undefined;
      case 'open':
        if (own) {
          this.decide('kept', own);
          return this.stage.export(span, own);
        }
        if (span === this.root) this.decide('discarded', '');
        else this.hold(span);
        return undefined;
    }
  }

  private hold(span: HeldSpan): void {
    assert.ok(this.decision === 'open', 'a record held after its trace was decided');
    if (!this.stage.reserve()) return;
    this.held.push(span);
  }

  private decide(decision: 'kept' | 'discarded', reason: string): void {
    assert.ok(this.decision === 'open', 'a local trace decided twice');
    this.decision = decision;
    this.reason = reason;
    const held = this.held;
    this.held = [];
    this.stage.release(held.length);
    if (decision === 'kept') for (const s of held) this.stage.export(s, reason);
  }
}

/** Where held records go once kept, and the bounds they share. */
export class KeepStage {
  private held = 0;

  constructor(
    readonly options: KeepOptions,
    private readonly exportSpan: (span: ReadableSpan) => void,
    private readonly counters: ProxyCounters,
    readonly resource: Resource,
    readonly scope: { readonly name: string; readonly version?: string },
  ) {}

  newTrace(): LocalTrace {
    return new LocalTrace(this);
  }

  /** Why an operation that ended so is kept, if it is. */
  reasonFor(failure: boolean, error: boolean, durationS: number): string | undefined {
    if (failure && this.options.errors) return error ? semconv.KEPT_ERROR : semconv.KEPT_INCOMPLETE;
    if (this.options.slowS !== null && durationS > this.options.slowS) return semconv.KEPT_SLOW;
    return undefined;
  }

  export(span: HeldSpan, reason: string): string {
    this.counters.keptSpans[reason] = (this.counters.keptSpans[reason] ?? 0) + 1;
    this.exportSpan(span.readable(reason));
    return reason;
  }

  /** Room for one more held record; counted as dropped when there is none. */
  reserve(): boolean {
    if (this.held >= this.options.maxHeld) {
      this.counters.keepBufferDropped++;
      return false;
    }
    this.held++;
    return true;
  }

  release(n: number): void {
    this.held -= n;
    assert.ok(this.held >= 0, 'more held records released than reserved');
  }

  /** Records waiting for a decision, in all. */
  get size(): number {
    return this.held;
  }
}
