// Trace context in and out: HTTP headers and `params._meta` (SEP-414), through the configured propagators.
import {
  Context, Link, ROOT_CONTEXT, TextMapGetter, TextMapPropagator, TextMapSetter, isSpanContextValid, trace,
} from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { IncomingHttpHeaders } from 'node:http';
import { TRACE_META_KEYS, TraceFields } from '../jsonrpc/inject';

/** Loaded only when named: most deployments use W3C alone. */
export type Propagator = 'tracecontext' | 'baggage' | 'b3' | 'b3multi';

function b3(single: boolean): TextMapPropagator {
  const { B3InjectEncoding, B3Propagator } = require('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
  return new B3Propagator({ injectEncoding: single ? B3InjectEncoding.SINGLE_HEADER : B3InjectEncoding.MULTI_HEADER });
}

export function createPropagator(names: readonly Propagator[]): TextMapPropagator {
  const byName: Record<Propagator, () => TextMapPropagator> = {
    tracecontext: () => new W3CTraceContextPropagator(),
    baggage: () => new W3CBaggagePropagator(),
    b3: () => b3(true),
    b3multi: () => b3(false),
  };
  return new CompositePropagator({ propagators: names.map((n) => byName[n]()) });
}

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (h) => Object.keys(h),
  get: (h, key) => h[key],
};

const metaGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (m) => Object.keys(m),
  get: (m, key) => {
    const v = m[key];
    return typeof v === 'string' ? v : undefined;
  },
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** Context from the request headers (WebSocket: the handshake's). */
export function extractHeaders(p: TextMapPropagator, headers: IncomingHttpHeaders): Context {
  return p.extract(ROOT_CONTEXT, headers, headerGetter);
}

export interface Parent {
  readonly context: Context;
  /** The header context, when `_meta` carried a different one. */
  readonly links?: Link[];
}

/**
 * The parent of a message's span: `_meta` first, else the headers. When both carry a span
 * context and they differ, the span is parented on `_meta` and linked to the header one.
 */
export function parentFor(p: TextMapPropagator, meta: Record<string, unknown> | undefined, headerCtx: Context): Parent {
  if (!meta || (typeof meta.traceparent !== 'string' && typeof meta.b3 !== 'string')) return { context: headerCtx };
  const metaCtx = p.extract(ROOT_CONTEXT, meta, metaGetter);
  const m = trace.getSpanContext(metaCtx);
  if (!m || !isSpanContextValid(m)) return { context: headerCtx };
  const h = trace.getSpanContext(headerCtx);
  if (h && isSpanContextValid(h) && (h.traceId !== m.traceId || h.spanId !== m.spanId)) {
    return { context: metaCtx, links: [{ context: h }] };
  }
  return { context: metaCtx };
}

/** Writes the context into outgoing HTTP headers, replacing what the client sent under those names. */
export function injectHeaders(p: TextMapPropagator, ctx: Context, headers: Record<string, string>): void {
  p.inject(ctx, headers, recordSetter);
}

/** The SEP-414 `_meta` keys for a context (only the W3C keys are reserved there). */
export function metaFields(p: TextMapPropagator, ctx: Context): TraceFields | null {
  const all: Record<string, string> = {};
  p.inject(ctx, all, recordSetter);
  return pickMeta(all);
}

/** The W3C keys of an injected carrier, for `_meta`; null when there are none. */
export function pickMeta(carrier: Record<string, string>): TraceFields | null {
  let fields: TraceFields | null = null;
  for (const k of TRACE_META_KEYS) {
    if (carrier[k] !== undefined) (fields ??= {})[k] = carrier[k];
  }
  return fields;
}
