// The live view's chart data: 10-second buckets over 15 minutes, per tool, tenant and client, bounded.
import { BUCKET_MS, OperationSeries, WINDOW_MS, quantile } from '../../src/ui/series';

test('rates, errors, kept spans and p50/p95 per 10-second bucket, oldest first, 90 points', () => {
  let now = 1_000_000_000_000; // on a bucket boundary
  const s = new OperationSeries(() => now);
  for (let i = 0; i < 100; i++) s.record({ durationS: i < 90 ? 0.01 : 1, error: i >= 95, kept: i === 99, tool: 'add' });
  now += BUCKET_MS; // the next bucket: the first is complete
  s.record({ durationS: 0.002, error: false, kept: false, tool: 'other', tenant: 't1' });
  const pts = s.points();
  expect(pts).toHaveLength(WINDOW_MS / BUCKET_MS);
  const full = pts[pts.length - 2];
  expect(full).toMatchObject({ t: now - BUCKET_MS, ops: 100, opsPerS: 10, errorsPerS: 0.5, kept: 1 });
  expect(full.p50Ms).toBeGreaterThanOrEqual(10);
  expect(full.p50Ms).toBeLessThan(12.5); // the bin's upper bound: about 20% wide
  expect(full.p95Ms).toBeGreaterThanOrEqual(1000);
  expect(pts[0]).toMatchObject({ opsPerS: 0, p50Ms: null });
  expect(s.points({ dim: 'tool', value: 'add' })[pts.length - 1].opsPerS).toBe(0);
  expect(s.points({ dim: 'tenant', value: 't1' })[pts.length - 1].opsPerS).toBe(1); // 1 op over the 1 s floor of a partial bucket
  expect(s.points({ dim: 'client', value: 'nobody' }).every((p) => p.opsPerS === 0)).toBe(true);

  now += WINDOW_MS; // everything slid out
  expect(s.points().every((p) => p.opsPerS === 0)).toBe(true);
});

test('at most 100 values per dimension; the rest are _OTHER', () => {
  const s = new OperationSeries(() => 5 * BUCKET_MS);
  for (let i = 0; i < 1000; i++) s.record({ durationS: 0.001, error: false, kept: false, tenant: `t${i}` });
  expect(s.points({ dim: 'tenant', value: 't99' }).some((p) => p.opsPerS > 0)).toBe(true);
  expect(s.points({ dim: 'tenant', value: 't100' }).some((p) => p.opsPerS > 0)).toBe(false);
  expect(s.points({ dim: 'tenant', value: '_OTHER' }).reduce((a, p) => a + p.opsPerS, 0)).toBe(900);
});

test('quantile: null without data; the bin that holds the rank', () => {
  expect(quantile(new Uint32Array(10), 0.5)).toBeNull();
});
