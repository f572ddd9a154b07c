// Without servers: the correlator's lasting entries, notifications routed by what they carry, and
// MRTR rounds held in the scope that received them.
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { Correlator } from '../../src/pipeline/correlator';
import { Scope } from '../../src/pipeline/scope';
import { Tap } from '../../src/pipeline/tap';
import { newCounters } from '../../src/tracing/metrics';
import { createPropagator } from '../../src/tracing/propagation';
import { Tracing } from '../../src/tracing/operations';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let taps: Tap[] = [];
afterEach(() => {
  for (const t of taps) t.shutdown();
  taps = [];
});

function setup(limits = { ttlMs: 1000, maxPerScope: 1000, maxTotal: 10_000 }) {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracing = new Tracing(provider.getTracer('t'), createPropagator(['tracecontext', 'baggage']));
  const counters = newCounters();
  const tap = new Tap(tracing, counters, { injectMeta: 'auto', maxFrameBytes: 1 << 20, limits }, quiet);
  taps.push(tap);
  const span = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name);
  const stdio = () => tap.channel(Scope.connection('stdio'), { transport: 'pipe' }, ROOT_CONTEXT, false);
  return { tap, counters, span, stdio, exporter };
}

describe('correlator', () => {
  test('a lasting entry outlives the expiry, yet the bounds still push it out; unmarked, its clock starts again', () => {
    const dropped: [string, string][] = [];
    const c = new Correlator<string>({ ttlMs: 100, maxPerScope: 2, maxTotal: 10 }, (v, why) => dropped.push([v, why]), () => now);
    let now = 0;
    const s = Scope.connection('stdio');
    c.put(s, 'a', 'listen', true);
    c.put(s, 'b', 'call');
    now = 500;
    c.sweep();
    expect(dropped).toEqual([['call', 'expired']]);
    c.mark(s, 'listen', false);
    now = 550;
    c.sweep();
    expect(c.get(s, 'a')).toBe('listen');
    now = 600;
    c.sweep();
    expect(dropped).toEqual([['call', 'expired'], ['listen', 'expired']]);
    c.put(s, 'x', 'l1', true);
    c.put(s, 'y', 'l2', true);
    c.put(s, 'z', 'l3', true);
    expect(dropped.at(-1)).toEqual(['l1', 'evicted']);
    c.close();
  });
});

describe('notifications', () => {
  test('on a connection, one that names nothing while several are open reaches none and is counted', () => {
    const { tap, counters, span, stdio } = setup();
    const ch = stdio();
    tap.fromClient(ch, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}}');
    tap.fromClient(ch, '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"b"}}');
    tap.fromServer(ch, '{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"?"}}');
    tap.fromServer(ch, '{"jsonrpc":"2.0","id":1,"result":{}}');
    tap.fromServer(ch, '{"jsonrpc":"2.0","id":2,"result":{}}');
    expect(span('tools/call a')!.events).toEqual([]);
    expect(span('tools/call b')!.events).toEqual([]);
    expect(counters.unroutedNotifications).toBe(1);
  });

  test('a subscriptionId reaches its listen only, and one naming a listen that is not open reaches no other', () => {
    const { tap, counters, span, stdio } = setup();
    const ch = stdio();
    tap.fromClient(ch, '{"jsonrpc":"2.0","id":"L","method":"subscriptions/listen","params":{"notifications":{}}}');
    tap.fromClient(ch, '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"a"}}');
    tap.fromServer(ch, '{"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{"_meta":{"io.modelcontextprotocol/subscriptionId":"L"}}}');
    tap.fromServer(ch, '{"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{"_meta":{"io.modelcontextprotocol/subscriptionId":"other"}}}');
    tap.fromServer(ch, '{"jsonrpc":"2.0","id":3,"result":{}}');
    tap.fromClient(ch, '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"L"}}');
    expect(span('subscriptions/listen')!.attributes['mcp_trace_proxy.notifications']).toBe(1);
    expect(span('subscriptions/listen')!.attributes['mcp_trace_proxy.outcome']).toBe('cancelled');
    expect(span('tools/call a')!.events).toEqual([]);
    expect(counters.unroutedNotifications).toBe(0);
  });
});

describe('MRTR rounds', () => {
  const ask = (id: number, state: string) => `{"jsonrpc":"2.0","id":${id},"result":{"resultType":"input_required","requestState":"${state}"}}`;
  const retry = (id: number, state: string) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"t","inputResponses":{},"requestState":"${state}"}}`;

  test('three rounds on a connection: numbered, each linked to the one before, one hash for the call', () => {
    const { tap, stdio, exporter } = setup();
    const ch = stdio();
    tap.fromClient(ch, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"}}');
    tap.fromServer(ch, ask(1, 's1'));
    tap.fromClient(ch, retry(2, 's1'));
    tap.fromServer(ch, ask(2, 's2'));
    tap.fromClient(ch, retry(3, 's2'));
    tap.fromServer(ch, '{"jsonrpc":"2.0","id":3,"result":{"content":[]}}');
    const [r1, r2, r3] = exporter.getFinishedSpans();
    expect([r1, r2, r3].map((s) => s.attributes['mcp.request.round'])).toEqual([1, 2, 3]);
    expect(new Set([r1, r2, r3].map((s) => s.attributes['mcp.request.state_hash'])).size).toBe(1);
    expect(r2.links.map((l) => l.context.spanId)).toEqual([r1.spanContext().spanId]);
    expect(r3.links.map((l) => l.context.spanId)).toEqual([r2.spanContext().spanId]);
  });

  test('a round is held in the connection that received it: another connection presenting its state gets no link', () => {
    const { tap, stdio, exporter } = setup();
    const mine = stdio();
    tap.fromClient(mine, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"}}');
    tap.fromServer(mine, ask(1, 'x'));
    const theirs = stdio();
    tap.fromClient(theirs, retry(2, 'x'));
    tap.fromServer(theirs, '{"jsonrpc":"2.0","id":2,"result":{}}');
    const two = exporter.getFinishedSpans()[1];
    expect(two.links).toEqual([]);
    expect(two.attributes['mcp.request.round']).toBeUndefined();
  });

  test('a plain answer makes no round', () => {
    const { tap, stdio, span } = setup();
    const ch = stdio();
    tap.fromClient(ch, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"}}');
    tap.fromServer(ch, '{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","requestState":"no"}}');
    expect(span('tools/call t')!.attributes['mcp.request.round']).toBeUndefined();
    expect(span('tools/call t')!.attributes['mcp.request.state_hash']).toBeUndefined();
  });
});
