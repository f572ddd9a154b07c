// Matching a live request to a recorded one, by method and canonical params: keys sorted, and the
// values that differ between two runs of the same session left out (the request id, and in
// `_meta` the trace context and the progress token, which SDKs derive from the id). Pure.
import { isObject } from './policy';

const VOLATILE_META: ReadonlySet<string> = new Set(['traceparent', 'tracestate', 'baggage', 'progressToken']);

/** Stable JSON: object keys sorted at every depth. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** The params without what changes from run to run. */
export function canonicalParams(params: unknown): unknown {
  if (!isObject(params)) return params ?? null;
  const out: Record<string, unknown> = { ...params };
  if (isObject(params._meta)) {
    const meta = Object.fromEntries(Object.entries(params._meta).filter(([k]) => !VOLATILE_META.has(k)));
    if (Object.keys(meta).length > 0) out._meta = meta;
    else delete out._meta;
  }
  return out;
}

/** The matching key of a request: its method and canonical params. */
export function matchKey(method: string, params: unknown): string {
  return `${method} ${stableJson(canonicalParams(params))}`;
}

/**
 * The candidate closest to `key`: the same method and target (tool or prompt name, resource URI)
 * first, then the same method, then the fewest edits between the texts.
 */
export function nearest(key: string, candidates: readonly string[]): string | undefined {
  const method = (k: string) => k.slice(0, k.indexOf(' '));
  const target = (k: string) => {
    try {
      const p = JSON.parse(k.slice(k.indexOf(' ') + 1)) as Record<string, unknown> | null;
      return JSON.stringify(p?.name ?? p?.uri ?? null);
    } catch {
      return 'null';
    }
  };
  const same = candidates.filter((c) => method(c) === method(key));
  const sameTarget = same.filter((c) => target(c) === target(key));
  const pool = (sameTarget.length > 0 ? sameTarget : same.length > 0 ? same : candidates).slice(0, 500);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of pool) {
    const d = distance(key, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

/** Levenshtein distance of the first 400 characters: enough to tell requests apart, and bounded in cost. */
export function distance(a: string, b: string): number {
  const x = a.slice(0, 400);
  const y = b.slice(0, 400);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length] + Math.abs(a.length - x.length - (b.length - y.length));
}
