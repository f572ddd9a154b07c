// Sessions, connections and runs of the live view: the pure grouping and the bounded index.
import { RUN_GAP_MS, SpanFacts, groupingOf, startsNewRun } from '../../src/ui/grouping';
import { SessionIndex, SessionOp } from '../../src/ui/sessions';

const T = 'a'.repeat(32);
const facts = (attributes: SpanFacts['attributes'], more: Partial<SpanFacts> = {}): SpanFacts => ({ traceId: T, kind: 'server', attributes, ...more });

describe('groupingOf', () => {
  it('an Mcp-Session-Id (or legacy session) is the session, whatever the transport', () => {
    expect(groupingOf(facts({ 'mcp.session.id': 'abc', 'network.protocol.name': 'http', 'mcp.client.name': 'cli' }))).toEqual({
      by: 'session', key: 'session:abc', label: 'abc', identity: { client: 'cli' },
    });
  });

  it('a WebSocket connection by its peer, stdio as the one connection', () => {
    const ws = groupingOf(facts({ 'network.protocol.name': 'websocket', 'client.address': '127.0.0.1', 'client.port': 5000 }));
    expect(ws).toMatchObject({ by: 'connection', key: 'ws:127.0.0.1:5000' });
    expect(groupingOf(facts({ 'network.transport': 'pipe' }))).toMatchObject({ by: 'connection', key: 'stdio' });
  });

  it('stateless: a propagated trace names the run, with the client identity', () => {
    const g = groupingOf(facts({ 'mcp.client.name': 'agent', 'tenant.id': 't1' }, { parentSpanId: 'f'.repeat(16) }));
    expect(g).toEqual({ by: 'run', key: `run:["agent","t1",null]:${T}`, label: 'trace aaaaaaaa', identity: { client: 'agent', tenant: 't1' } });
  });

  it('stateless without a propagated trace: a run cut at time gaps', () => {
    expect(groupingOf(facts({ 'mcp.client.name': 'agent' }))).toEqual({ by: 'gap', identity: { client: 'agent' } });
    expect(groupingOf(facts({}))).toEqual({ by: 'gap', identity: {} });
  });

  it("a sessionless server→client request goes where its parent goes", () => {
    expect(groupingOf(facts({}, { kind: 'client', parentSpanId: 'p1' }))).toEqual({ by: 'parent', parentSpanId: 'p1' });
  });

  it('a gap longer than RUN_GAP_MS starts a new run; overlap or a short pause does not', () => {
    expect(startsNewRun(undefined, 0)).toBe(true);
    expect(startsNewRun(1000, 1000 + RUN_GAP_MS)).toBe(false);
    expect(startsNewRun(1000, 1001 + RUN_GAP_MS)).toBe(true);
    expect(startsNewRun(5000, 100)).toBe(false);
  });
});

let spanSeq = 0;
function op(startMs: number, more: Partial<SessionOp> = {}): SessionOp {
  const spanId = String(++spanSeq).padStart(16, '0');
  return { traceId: T, spanId, name: 'tools/call add', kind: 'server', startMs, endMs: startMs + 10, durationMs: 10, error: false, ...more };
}

describe('SessionIndex', () => {
  it('totals per session: calls (not notifications), errors, bytes in and out, duration, client and tenant', () => {
    const idx = new SessionIndex();
    const s = { 'mcp.session.id': 'S1' };
    idx.add(facts({ ...s, 'mcp.client.name': 'cli' }), op(0, { name: 'initialize', resultBytes: 100 }));
    idx.add(facts(s), op(20, { name: 'notifications/initialized' }));
    idx.add(facts({ ...s, 'tenant.id': 'acme' }), op(30, { argumentsBytes: 13, resultBytes: 50 }));
    idx.add(facts(s), op(50, { error: true, argumentsBytes: 2, resultBytes: 70, endMs: 95 }));
    const [x] = idx.list();
    expect(x).toEqual({
      id: x.id, by: 'session', label: 'S1', client: 'cli', tenant: 'acme', user: undefined, startMs: 0, endMs: 95, durationMs: 95,
      operations: 4, calls: 3, errors: 1, bytesIn: 15, bytesOut: 220, tokens: undefined, dropped: 0,
    });
    expect(idx.get(x.id)?.operations.map((o) => o.name)).toEqual(['initialize', 'notifications/initialized', 'tools/call add', 'tools/call add']);
  });

  it('bounded: the least recently active session is evicted and counted', () => {
    const idx = new SessionIndex(2, 10);
    idx.add(facts({ 'mcp.session.id': 'A' }), op(0));
    idx.add(facts({ 'mcp.session.id': 'B' }), op(1));
    idx.add(facts({ 'mcp.session.id': 'A' }), op(2)); // A is active again
    idx.add(facts({ 'mcp.session.id': 'C' }), op(3));
    expect(idx.list().map((x) => x.label)).toEqual(['C', 'A']);
    expect(idx.evicted).toBe(1);
  });

  it('bounded: the oldest operations of a session are dropped and counted, the totals keep them', () => {
    const idx = new SessionIndex(10, 3);
    for (let i = 0; i < 5; i++) idx.add(facts({ 'mcp.session.id': 'A' }), op(i * 100, { name: 'op' + i }));
    const [x] = idx.list();
    expect([x.calls, x.dropped]).toEqual([5, 2]);
    expect(idx.get(x.id)?.operations.map((o) => o.name)).toEqual(['op2', 'op3', 'op4']);
  });

  it('stateless runs: one per propagated trace, else split at gaps, per client identity', () => {
    const idx = new SessionIndex();
    const agent = { 'mcp.client.name': 'agent' };
    idx.add(facts(agent), op(0));
    idx.add(facts(agent), op(1000)); // same run
    idx.add(facts({ 'mcp.client.name': 'other' }), op(1500)); // another identity
    idx.add(facts(agent), op(1010 + RUN_GAP_MS + 1)); // after a pause: a new run
    idx.add(facts(agent, { traceId: 'b'.repeat(32), parentSpanId: 'c'.repeat(16) }), op(2000));
    idx.add(facts(agent, { traceId: 'b'.repeat(32), parentSpanId: 'd'.repeat(16) }), op(2500));
    const runs = idx.list().map((x) => [x.by, x.client, x.calls]);
    expect(runs).toEqual([['run', 'agent', 2], ['run', 'agent', 1], ['run', 'other', 1], ['run', 'agent', 2]]);
  });

  it('a sessionless server→client request that ends first joins its parent when the parent ends', () => {
    const idx = new SessionIndex();
    const parent = op(0, { endMs: 100 });
    const child = op(10, { kind: 'client', name: 'sampling/createMessage', parentSpanId: parent.spanId });
    idx.add(facts({}, { kind: 'client', parentSpanId: parent.spanId }), child);
    expect(idx.size).toBe(0);
    idx.add(facts({ 'mcp.client.name': 'agent' }), parent);
    const [x] = idx.list();
    expect(idx.get(x.id)?.operations.map((o) => [o.name, o.parentSpanId ?? null])).toEqual([['tools/call add', null], ['sampling/createMessage', parent.spanId]]);
    // A later child finds its parent's session at once.
    idx.add(facts({}, { kind: 'client', parentSpanId: parent.spanId }), op(50, { kind: 'client', name: 'elicitation/create', parentSpanId: parent.spanId }));
    expect(idx.list()[0].operations).toBe(3);
  });
});
