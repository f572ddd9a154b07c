// What the harness compares. Written apart from the proxy's own code: the trace keys are removed
// with a text rule of their own, and the JSON compared after both sides are parsed the same way.

/** A trace member as the proxy writes it (no whitespace), with its comma. */
const INSERTED = /"(?:traceparent|tracestate|baggage)":"(?:[^"\\]|\\.)*",?/g;
const EMPTY_META = /"_meta":\{\},?/g;
const EMPTY_PARAMS = /,?"params":\{\}/g;
const DANGLING_COMMA = /,\}/g;
const CLIENT_TRACE = /"(?:traceparent|tracestate|baggage)"\s*:/;
/** A flat `_meta` object (the generator's only kind that carries trace keys). */
const FLAT_META = /"_meta"\s*:\s*\{[^{}]*\}/g;

/**
 * The text without what the proxy may write: its trace members, and a `_meta` or `params` that held
 * only them. Where the client sent trace keys, the proxy rewrites that `_meta`, so it is blanked on
 * both sides (its members are compared as JSON instead). Applied to both sides alike.
 */
export function stripTrace(text: string, clientHadTrace = CLIENT_TRACE.test(text)): string {
  const t = clientHadTrace ? text.replace(FLAT_META, '"_meta":{}') : text;
  return t.replace(INSERTED, '').replace(DANGLING_COMMA, '}').replace(EMPTY_META, '').replace(DANGLING_COMMA, '}').replace(EMPTY_PARAMS, '');
}

type Json = unknown;

function withoutTrace(v: Json): Json {
  if (Array.isArray(v)) return v.map(withoutTrace);
  if (v && typeof v === 'object') {
    const o = { ...(v as Record<string, unknown>) };
    const params = o.params as Record<string, unknown> | undefined;
    if (params && typeof params === 'object' && !Array.isArray(params)) {
      const p = { ...params };
      const meta = p._meta as Record<string, unknown> | undefined;
      if (meta && typeof meta === 'object' && !Array.isArray(meta)) {
        const m = { ...meta };
        delete m.traceparent;
        delete m.tracestate;
        delete m.baggage;
        if (Object.keys(m).length === 0) delete p._meta;
        else p._meta = m;
      }
      if (Object.keys(p).length === 0) delete o.params;
      else o.params = p;
    }
    return o;
  }
  return v;
}

/** Both parse, and are equal once the trace keys are gone (a `_meta` or `params` they emptied too). */
export function sameJsonButTrace(sent: string, got: string): boolean {
  let a: Json;
  let b: Json;
  try {
    a = JSON.parse(sent);
    b = JSON.parse(got);
  } catch {
    return sent === got;
  }
  return JSON.stringify(withoutTrace(a)) === JSON.stringify(withoutTrace(b));
}

/** How many `_meta` members the text has: the proxy creates one only on a session-era exchange. */
export function metaCount(text: string): number {
  return text.match(/"_meta"\s*:/g)?.length ?? 0;
}

/** Headers a hop may change: its own framing, and what the proxy adds on the way upstream. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'host', 'expect', 'content-length', 'traceparent', 'tracestate', 'baggage']);

export function endToEnd(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP.has(k) || k.startsWith('x-forwarded-')) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
