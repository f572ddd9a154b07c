// RecentSpans: the live view's in-memory ring (bounds, filters, summary, subscribers).
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { MAX_LISTENERS, MAX_VALUE_CHARS, RecentSpans, SpanRecord, estimateBytes } from '../../src/ui/recent';

let n = 0;
const hex = (i: number, len: number) => i.toString(16).padStart(len, '0');

function rec(over: Partial<SpanRecord> & { attrs?: Record<string, string | number> } = {}): SpanRecord {
  n++;
  const { attrs, ...rest } = over;
  const startMs = 1_700_000_000_000 + n;
  const durationMs = rest.durationMs ?? 10;
  return {
    traceId: hex(n, 32),
    spanId: hex(n, 16),
    name: 'tools/call add',
    kind: 'server',
    startMs,
    endMs: startMs + durationMs,
    durationMs,
    status: { code: 'unset' },
    attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add', 'mcp.session.id': 's1', ...attrs },
    events: [],
    links: [],
    ...rest,
  };
}

describe('bounds', () => {
  test('keeps the last N spans, newest first, and forgets the evicted ones by trace too', () => {
    const r = new RecentSpans(3);
    const all = [rec(), rec(), rec(), rec(), rec()];
    for (const s of all) r.add(s);
    expect(r.size).toBe(3);
    expect(r.list().map((s) => s.spanId)).toEqual([all[4], all[3], all[2]].map((s) => s.spanId));
    expect(r.trace(all[0].traceId)).toEqual([]);
    expect(r.trace(all[4].traceId)).toEqual([all[4]]);
    expect(r.list({ traceId: all[1].traceId })).toEqual([]);
  });

  test('stays under its byte budget by evicting the oldest', () => {
    const r = new RecentSpans(1000, 20_000);
    for (let i = 0; i < 200; i++) r.add(rec({ attrs: { big: 'x'.repeat(1000) } }));
    expect(r.sizeBytes).toBeLessThanOrEqual(20_000);
    expect(r.size).toBeGreaterThan(5);
    expect(r.size).toBeLessThan(20);
    // the kept ones are the newest
    expect(r.list({ limit: 1 })[0].spanId).toBe(hex(n, 16));
  });

  test('the size estimate is at least the JSON length, and not far above it', () => {
    for (const r of [
      rec(),
      rec({ attrs: { big: 'x'.repeat(5000), n: 12345.678 } }),
      rec({ events: [{ name: 'mcp.progress', timeMs: 1, attributes: { 'mcp.progress.value': 1 } }], links: [{ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }] }),
      rec({ status: { code: 'error', message: 'm'.repeat(300) }, attributes: { arr: ['a', 'bb', 'ccc'], t: true } }),
    ]) {
      const json = JSON.stringify(r).length;
      expect(estimateBytes(r)).toBeGreaterThanOrEqual(json);
      expect(estimateBytes(r)).toBeLessThan(json * 1.5 + 500);
    }
  });

  test('a span larger than the whole budget is skipped, not stored', () => {
    const r = new RecentSpans(10, 5_000);
    r.add(rec());
    r.add(rec({ attrs: { huge: 'y'.repeat(10_000) } }));
    expect(r.size).toBe(1);
  });

  test('very long string attribute values are cut in the view copy', async () => {
    const r = new RecentSpans(10);
    const provider = new NodeTracerProvider({ spanProcessors: [r] });
    const span = provider.getTracer('t').startSpan('x', { attributes: { long: 'z'.repeat(MAX_VALUE_CHARS + 50), arr: ['a', 'b'] } });
    span.end();
    const kept = r.list()[0];
    expect((kept.attributes.long as string).length).toBeLessThan(MAX_VALUE_CHARS + 20);
    expect(kept.attributes.long).toMatch(/…\[truncated\]$/);
    expect(kept.attributes.arr).toEqual(['a', 'b']);
    await provider.shutdown();
  });

  test('a buffer of one, and a nonsense size, still work', () => {
    const r = new RecentSpans(0);
    r.add(rec());
    r.add(rec());
    expect(r.size).toBe(1);
  });
});

describe('from real spans', () => {
  test('copies ids, parent, kind, times, status, attributes, events and links', async () => {
    const r = new RecentSpans(10);
    const provider = new NodeTracerProvider({ spanProcessors: [r] });
    const tracer = provider.getTracer('t');
    const linked = tracer.startSpan('linked');
    linked.end();
    const parent = tracer.startSpan('tools/call progress', { kind: SpanKind.SERVER, attributes: { 'mcp.method.name': 'tools/call' } });
    const child = tracer.startSpan('sampling/createMessage', { kind: SpanKind.CLIENT, links: [{ context: linked.spanContext(), attributes: { why: 'test' } }] },
      trace.setSpan(context.active(), parent));
    child.end();
    parent.addEvent('mcp.progress', { 'mcp.progress.value': 1, 'mcp.progress.total': 3 });
    parent.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    parent.end();

    const spans = r.trace(parent.spanContext().traceId);
    expect(spans.map((s) => s.name)).toEqual(['tools/call progress', 'sampling/createMessage']);
    const [p, c] = spans;
    expect(p).toMatchObject({
      traceId: parent.spanContext().traceId,
      spanId: parent.spanContext().spanId,
      kind: 'server',
      status: { code: 'error', message: 'boom' },
      attributes: { 'mcp.method.name': 'tools/call' },
      events: [{ name: 'mcp.progress', attributes: { 'mcp.progress.value': 1, 'mcp.progress.total': 3 } }],
    });
    expect(p.parentSpanId).toBeUndefined();
    expect(p.endMs).toBeGreaterThanOrEqual(p.startMs);
    expect(p.durationMs).toBeGreaterThanOrEqual(0);
    expect(Math.abs(p.startMs - Date.now())).toBeLessThan(60_000);
    expect(p.events[0].timeMs).toBeGreaterThanOrEqual(p.startMs);
    expect(c).toMatchObject({ kind: 'client', parentSpanId: p.spanId, status: { code: 'unset' } });
    expect(c.links).toEqual([{ traceId: linked.spanContext().traceId, spanId: linked.spanContext().spanId, attributes: { why: 'test' } }]);
    // plain data: survives JSON unchanged
    expect(JSON.parse(JSON.stringify(spans))).toEqual(spans);
    await provider.shutdown();
  });
});

describe('filters', () => {
  const r = new RecentSpans(100);
  const add = rec({ durationMs: 5 });
  const slow = rec({ durationMs: 500, attrs: { 'mcp.session.id': 's2' } });
  const fail = rec({ name: 'tools/call fail', status: { code: 'error', message: 'it failed' }, attrs: { 'gen_ai.tool.name': 'fail' } });
  const list = rec({ name: 'tools/list', attributes: { 'mcp.method.name': 'tools/list', 'mcp.session.id': 's1' } });
  for (const s of [add, slow, fail, list]) r.add(s);
  const ids = (xs: SpanRecord[]) => xs.map((s) => s.spanId);

  test.each([
    [{}, [list, fail, slow, add]],
    [{ method: 'tools/call' }, [fail, slow, add]],
    [{ method: 'tools/list' }, [list]],
    [{ tool: 'add' }, [slow, add]],
    [{ tool: 'fail' }, [fail]],
    [{ status: 'error' as const }, [fail]],
    [{ status: 'ok' as const }, [list, slow, add]],
    [{ session: 's2' }, [slow]],
    [{ minDurationMs: 100 }, [slow]],
    [{ traceId: fail.traceId }, [fail]],
    [{ tool: 'add', session: 's1' }, [add]],
    [{ limit: 2 }, [list, fail]],
    [{ limit: 0 }, []],
    [{ tool: 'nope' }, []],
  ])('%j', (filter, want) => {
    expect(ids(r.list(filter))).toEqual(ids(want));
  });
});

describe('summary', () => {
  test('per tool: count, errors, rate, nearest-rank p50/p95', () => {
    const r = new RecentSpans(1000);
    for (let i = 1; i <= 100; i++) r.add(rec({ durationMs: i }));
    for (let i = 0; i < 4; i++) {
      r.add(rec({ durationMs: 1, attrs: { 'gen_ai.tool.name': 'flaky' }, status: i < 1 ? { code: 'error' } : { code: 'unset' } }));
    }
    r.add(rec({ name: 'tools/list', attributes: { 'mcp.method.name': 'tools/list' }, status: { code: 'error' } }));
    const s = r.summary();
    expect(s.spans).toBe(105);
    expect(s.errors).toBe(2);
    const none = { resultP50Bytes: null, resultP95Bytes: null, resultP50Tokens: null, resultP95Tokens: null };
    expect(s.tools).toEqual([
      { tool: 'add', count: 100, errors: 0, errorRate: 0, p50Ms: 50, p95Ms: 95, ...none },
      { tool: 'flaky', count: 4, errors: 1, errorRate: 0.25, p50Ms: 1, p95Ms: 1, ...none },
    ]);
  });

  test('per tool: nearest-rank p50/p95 of result sizes and tokens, over the calls that have them', () => {
    const r = new RecentSpans(1000);
    for (let i = 1; i <= 20; i++) {
      r.add(rec({ attrs: { 'mcp_trace_proxy.response.result.size': i * 100, 'mcp_trace_proxy.response.result.tokens': i * 10 } }));
    }
    r.add(rec({ status: { code: 'error' } })); // no result: not in the size percentiles
    const [add] = r.summary().tools;
    expect(add).toMatchObject({ count: 21, resultP50Bytes: 1000, resultP95Bytes: 1900, resultP50Tokens: 100, resultP95Tokens: 190 });
  });

  test('is empty for an empty buffer', () => {
    expect(new RecentSpans(10).summary()).toEqual({ spans: 0, errors: 0, tools: [] });
  });
});

describe('subscribers', () => {
  test('get each new span with its JSON, until they unsubscribe', () => {
    const r = new RecentSpans(10);
    const got: string[] = [];
    const unsubscribe = r.subscribe((s, json) => {
      expect(JSON.parse(json)).toEqual(s);
      got.push(s.spanId);
    });
    expect(unsubscribe).not.toBeNull();
    const a = rec();
    r.add(a);
    unsubscribe!();
    r.add(rec());
    expect(got).toEqual([a.spanId]);
    expect(r.listenerCount).toBe(0);
  });

  test('a throwing subscriber does not stop the others or the buffer', () => {
    const r = new RecentSpans(10);
    const got: string[] = [];
    r.subscribe(() => {
      throw new Error('bad');
    });
    r.subscribe((s) => got.push(s.spanId));
    const a = rec();
    expect(() => r.add(a)).not.toThrow();
    expect(got).toEqual([a.spanId]);
    expect(r.size).toBe(1);
  });

  test('are bounded', () => {
    const r = new RecentSpans(10);
    for (let i = 0; i < MAX_LISTENERS; i++) expect(r.subscribe(() => {})).not.toBeNull();
    expect(r.subscribe(() => {})).toBeNull();
  });

  test('are told when the buffer shuts down, and new ones are refused', async () => {
    const r = new RecentSpans(10);
    const closed = jest.fn();
    r.subscribe(() => {}, closed);
    r.add(rec());
    await r.shutdown();
    expect(closed).toHaveBeenCalledTimes(1);
    expect(r.subscribe(() => {})).toBeNull();
    expect(r.list()).toHaveLength(1); // still readable
  });
});
