// The live view's chart data: every operation that ends (sampled or not, as the metrics count it)
// lands in 10-second buckets over the last 15 minutes, for all operations and per tool, tenant and
// client. Latency per bucket is a small log-scale histogram, so p50/p95 cost a fixed amount of
// memory whatever the traffic. Bounded: at most MAX_KEYS values per dimension, the rest _OTHER.

export const BUCKET_MS = 10_000;
export const WINDOW_MS = 15 * 60_000;
const SLOTS = WINDOW_MS / BUCKET_MS;
const MAX_KEYS = 100;
const OTHER = '_OTHER';
/** Latency histogram bounds: 0.1 ms to about 5 min, 12 per decade (about 20% apart). */
const LAT_BOUNDS: number[] = Array.from({ length: 12 * 7 }, (_, i) => 0.1 * 10 ** (i / 12));

export type Dimension = 'tool' | 'tenant' | 'client';

interface Bucket {
  start: number;
  ops: number;
  errors: number;
  kept: number;
  lat: Uint32Array;
}

class Ring {
  private readonly slots: (Bucket | undefined)[] = new Array(SLOTS);

  add(now: number, durationMs: number, error: boolean, kept: boolean): void {
    const start = now - (now % BUCKET_MS);
    const i = Math.floor(start / BUCKET_MS) % SLOTS;
    let b = this.slots[i];
    if (!b || b.start !== start) b = this.slots[i] = { start, ops: 0, errors: 0, kept: 0, lat: new Uint32Array(LAT_BOUNDS.length + 1) };
    b.ops++;
    if (error) b.errors++;
    if (kept) b.kept++;
    b.lat[latIndex(durationMs)]++;
  }

  bucket(start: number): Bucket | undefined {
    const b = this.slots[Math.floor(start / BUCKET_MS) % SLOTS];
    return b && b.start === start ? b : undefined;
  }
}

function latIndex(ms: number): number {
  let lo = 0;
  let hi = LAT_BOUNDS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (LAT_BOUNDS[mid] < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The q-quantile of a bucket's histogram: the upper bound of the bin that holds it (null: no data). */
export function quantile(lat: Uint32Array, q: number): number | null {
  let total = 0;
  for (const n of lat) total += n;
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < lat.length; i++) {
    seen += lat[i];
    if (seen >= rank) return i < LAT_BOUNDS.length ? LAT_BOUNDS[i] : LAT_BOUNDS[LAT_BOUNDS.length - 1];
  }
  return null;
}

export interface SeriesPoint {
  /** Bucket start, ms since the epoch. */
  readonly t: number;
  /** Operations that ended in the bucket. */
  readonly ops: number;
  readonly opsPerS: number;
  readonly errorsPerS: number;
  /** Of the errors, the spans kept although the head sampler dropped them. */
  readonly kept: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

export interface EndedForSeries {
  readonly durationS: number;
  readonly error: boolean;
  readonly kept: boolean;
  readonly tool?: string;
  readonly tenant?: string;
  readonly client?: string;
}

export class OperationSeries {
  private readonly all = new Ring();
  private readonly by: Record<Dimension, Map<string, Ring>> = { tool: new Map(), tenant: new Map(), client: new Map() };

  constructor(private readonly now: () => number = Date.now) {}

  record(op: EndedForSeries): void {
    const t = this.now();
    const ms = op.durationS * 1000;
    this.all.add(t, ms, op.error, op.kept);
    for (const dim of ['tool', 'tenant', 'client'] as const) {
      const v = op[dim];
      if (v !== undefined) this.ring(dim, v).add(t, ms, op.error, op.kept);
    }
  }

  /** The last 15 minutes, oldest first, one point per 10 s; for one value of one dimension, or all. */
  points(pick?: { dim: Dimension; value: string }): SeriesPoint[] {
    const ring = pick ? this.by[pick.dim].get(pick.value) : this.all;
    const now = this.now();
    const last = now - (now % BUCKET_MS);
    const out: SeriesPoint[] = [];
    for (let start = last - (SLOTS - 1) * BUCKET_MS; start <= last; start += BUCKET_MS) {
      const b = ring?.bucket(start);
      // The current bucket is partial: its rate is over the time it has covered so far.
      const spanS = (start === last ? Math.max(now - start, 1000) : BUCKET_MS) / 1000;
      out.push({
        t: start,
        ops: b ? b.ops : 0,
        opsPerS: b ? b.ops / spanS : 0,
        errorsPerS: b ? b.errors / spanS : 0,
        kept: b ? b.kept : 0,
        p50Ms: b ? quantile(b.lat, 0.5) : null,
        p95Ms: b ? quantile(b.lat, 0.95) : null,
      });
    }
    return out;
  }

  private ring(dim: Dimension, value: string): Ring {
    const m = this.by[dim];
    let r = m.get(value);
    if (r) return r;
    const key = m.size >= MAX_KEYS ? OTHER : value;
    r = m.get(key);
    if (!r) m.set(key, (r = new Ring()));
    return r;
  }
}
