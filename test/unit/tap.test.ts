// The tap and its correlator, without servers: end exactly once, expiry, bounds, cancellation only
// within its own scope and direction, exact ids, and the `_meta` injection rule.
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { Scope } from '../../src/pipeline/scope';
import { InjectMeta, Tap } from '../../src/pipeline/tap';
import { newCounters } from '../../src/tracing/metrics';
import { createPropagator } from '../../src/tracing/propagation';
import type { EndedOperation } from '../../src/tracing/lifecycle';
import { Tracing } from '../../src/tracing/operations';
import { MetricLabels } from '../../src/tracing/labels';

const conn = { transport: 'tcp' as const, protocolName: 'http' as const };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let taps: Tap[] = [];
afterEach(() => {
  for (const t of taps) t.shutdown();
  taps = [];
});

function setup(opts: { ttlMs?: number; maxPerScope?: number; maxTotal?: number; injectMeta?: InjectMeta } = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const ended: EndedOperation[] = [];
  const tracing = new Tracing(provider.getTracer('t'), createPropagator(['tracecontext', 'baggage']), new MetricLabels(100));
  tracing.onEnded((op) => ended.push(op));
  const counters = newCounters();
  const tap = new Tap(tracing, counters, {
    injectMeta: opts.injectMeta ?? 'auto', maxFrameBytes: 1 << 20,
    limits: { ttlMs: opts.ttlMs ?? 60_000, maxPerScope: opts.maxPerScope ?? 1000, maxTotal: opts.maxTotal ?? 10_000 },
  }, quiet);
  taps.push(tap);
  const span = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name);
  return { exporter, tap, ended, counters, span };
}
const http = (tap: Tap, scope = Scope.exchange('http'), era = true) => tap.channel(scope, conn, ROOT_CONTEXT, era);

test('a response ends its span once; a late duplicate and a later cancel change nothing', () => {
  const { tap, ended, span } = setup();
  const s = Scope.session('http', 'sess');
  const a = http(tap, s);
  tap.fromClient(a, '{"jsonrpc":"2.0","id":"7","method":"ping"}');
  const b = http(tap, s);
  tap.fromServer(b, '{"jsonrpc":"2.0","id":7,"result":{}}'); // 7 is not "7"
  expect(span('ping')).toBeUndefined();
  tap.fromServer(b, '{"jsonrpc":"2.0","id":"7","error":{"code":-32601,"message":"no"}}');
  tap.fromServer(b, '{"jsonrpc":"2.0","id":"7","result":{}}');
  tap.fromClient(b, '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"7"}}');
  expect(span('ping')!.attributes['error.type']).toBe('-32601');
  expect(ended.filter((e) => e.method === 'ping')).toHaveLength(1);
  expect(tap.correlator.size).toBe(0);
});

test('ids 2^53 and 2^53+1 are different requests', () => {
  const { tap, exporter } = setup();
  const s = Scope.session('http', 's');
  tap.fromClient(http(tap, s), '{"jsonrpc":"2.0","id":9007199254740992,"method":"tools/call","params":{"name":"a"}}');
  tap.fromClient(http(tap, s), '{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"name":"b"}}');
  tap.fromServer(http(tap, s), '{"jsonrpc":"2.0","id":9007199254740993,"result":{}}');
  const done = exporter.getFinishedSpans();
  expect(done.map((x) => x.name)).toEqual(['tools/call b']);
  expect(done[0].attributes['jsonrpc.request.id']).toBe('9007199254740993');
  expect(done[0].attributes['mcp_trace_proxy.outcome']).toBeUndefined();
});

test('a cancellation reaches only its own scope and direction', () => {
  const { tap, span } = setup();
  const victim = Scope.session('http', 'victim');
  tap.fromClient(http(tap, victim), '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"victim"}}');
  const serverReq = http(tap, victim);
  tap.fromServer(serverReq, '{"jsonrpc":"2.0","id":3,"method":"sampling/createMessage","params":{}}');
  // Another client, even one naming the same session id as text, is another scope.
  const attacker = http(tap, Scope.session('http', 'victim'));
  tap.fromClient(attacker, '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"attack"}}');
  expect(span('tools/call victim')).toBeUndefined();
  // The client cancelling its own id 3 does not end the server's request 3 (the other direction).
  tap.fromClient(http(tap, victim), '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"user"}}');
  const call = span('tools/call victim')!;
  expect(call.attributes['mcp_trace_proxy.outcome']).toBe('cancelled');
  expect(call.events.find((e) => e.name === 'mcp.cancelled')?.attributes?.['mcp.cancel.reason']).toBe('user');
  expect(call.status.code).toBe(SpanStatusCode.UNSET);
  expect(span('sampling/createMessage')).toBeUndefined();
});

test('sessionless server→client requests of two exchanges do not share a scope', () => {
  const { tap, span } = setup();
  const one = http(tap);
  const two = http(tap);
  tap.fromServer(one, '{"jsonrpc":"2.0","id":0,"method":"roots/list"}');
  tap.fromServer(two, '{"jsonrpc":"2.0","id":0,"method":"elicitation/create","params":{}}');
  expect(span('roots/list')).toBeUndefined(); // the second id 0 did not supersede the first
  tap.settle(one, 200); // exchange over: its unanswerable server request ends
  expect(span('roots/list')!.attributes['mcp_trace_proxy.outcome']).toBe('no_response');
  expect(span('elicitation/create')).toBeUndefined();
});

test('in a session, a client disconnect leaves the request pending; without one it is client_abort', () => {
  const { tap, span } = setup();
  const s = Scope.session('http', 's');
  const post = http(tap, s);
  tap.fromClient(post, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"resumed"}}');
  tap.clientGone(post, true);
  expect(span('tools/call resumed')).toBeUndefined();
  tap.fromServer(http(tap, s), '{"jsonrpc":"2.0","id":1,"result":{"content":[]}}'); // on the GET or a resumed stream
  expect(span('tools/call resumed')!.attributes['mcp_trace_proxy.outcome']).toBeUndefined();
  const lone = http(tap);
  tap.fromClient(lone, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"gone"}}');
  tap.clientGone(lone, true);
  expect(span('tools/call gone')!.attributes['mcp_trace_proxy.outcome']).toBe('client_abort');
});

test('what is never answered expires after the pending timeout, on a monotonic clock', () => {
  const { tap, span, counters } = setup({ ttlMs: 1000 });
  const ch = http(tap, Scope.session('http', 's'));
  tap.fromClient(ch, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","_meta":{"progressToken":"p"}}}');
  expect(tap.correlator.size).toBe(2); // by id, and by progress token
  tap.settle(ch, 202); // its response ended without the answer, which the session may still deliver
  tap.correlator.sweep(performance.now() + 500);
  expect(span('tools/call slow')).toBeUndefined();
  tap.correlator.sweep(performance.now() + 1001);
  expect(span('tools/call slow')!.attributes['mcp_trace_proxy.outcome']).toBe('expired');
  expect(tap.correlator.size).toBe(0);
  expect(counters.pendingDropped).toBe(1);
});

test('a request does not expire while its exchange is open: the upstream timeout answers first, then its stream decides', () => {
  const { tap, span } = setup({ ttlMs: 1000 });
  const ch = http(tap);
  tap.fromClient(ch, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}');
  tap.correlator.sweep(performance.now() + 5000);
  expect(span('tools/call slow')).toBeUndefined();
  tap.fail(ch, 'MTP_UPSTREAM_TIMEOUT', 'no response headers within the upstream timeout');
  expect(span('tools/call slow')!.attributes['error.type']).toBe('MTP_UPSTREAM_TIMEOUT');
  const streamed = http(tap);
  tap.fromClient(streamed, '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"streamed"}}');
  tap.accepted(streamed, 200); // an event stream: its headers came at once
  tap.correlator.sweep(performance.now() + 5000);
  expect(span('tools/call streamed')).toBeUndefined(); // the client still holds its stream
  tap.settle(streamed, 200);
  expect(span('tools/call streamed')!.attributes['mcp_trace_proxy.outcome']).toBe('no_response');
});

test('pending requests are bounded per scope and in total; what is dropped is counted', () => {
  const { tap, exporter, counters } = setup({ maxPerScope: 10, maxTotal: 25 });
  const s = Scope.session('http', 'flood');
  for (let i = 0; i < 100; i++) tap.fromClient(http(tap, s), `{"jsonrpc":"2.0","id":${i},"method":"ping"}`);
  expect(tap.correlator.size).toBe(10);
  for (let i = 0; i < 20; i++) tap.fromClient(http(tap, Scope.session('http', `s${i}`)), '{"jsonrpc":"2.0","id":1,"method":"ping"}');
  expect(tap.correlator.size).toBe(25);
  expect(counters.pendingDropped).toBe(95);
  expect(exporter.getFinishedSpans().every((x) => x.attributes['mcp_trace_proxy.outcome'] === 'dropped')).toBe(true);
});

test('a parent from _meta wins over the header context, which becomes a link', () => {
  const { tap, exporter } = setup();
  const headerCtx = trace.setSpanContext(ROOT_CONTEXT, { traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 });
  const ch = tap.channel(Scope.exchange('http'), conn, headerCtx, true);
  tap.fromClient(ch, `{"jsonrpc":"2.0","method":"notifications/initialized","params":{"_meta":{"traceparent":"00-${'a'.repeat(32)}-${'b'.repeat(16)}-01"}}}`);
  tap.accepted(ch, 202);
  const [span] = exporter.getFinishedSpans();
  expect(span.spanContext().traceId).toBe('a'.repeat(32));
  expect(span.parentSpanContext?.spanId).toBe('b'.repeat(16));
  expect(span.links.map((l) => l.context.spanId)).toEqual(['2'.repeat(16)]);
});

describe('the _meta rule', () => {
  const bare = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}';
  const withMeta = '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"baggage":"k=v","x":1}}}';

  test('auto: no _meta is created on an exchange not known to be session-era', () => {
    const { tap } = setup();
    expect(tap.fromClient(http(tap, Scope.exchange('http'), false), bare)).toBe(bare);
  });

  test('auto: a _meta the client sent gets the trace keys; keys not written (baggage here: none in context) stay', () => {
    const { tap } = setup();
    const out = tap.fromClient(http(tap, Scope.exchange('http'), false), withMeta)!;
    expect(out).toMatch(/^\{"jsonrpc":"2\.0","id":1,"method":"tools\/list","params":\{"_meta":\{"traceparent":"00-[0-9a-f]{32}-[0-9a-f]{16}-01",/);
    expect(JSON.parse(out).params._meta).toMatchObject({ baggage: 'k=v', x: 1 });
  });

  test('auto: session-era exchanges get a new _meta, except on initialize itself (the server has not chosen its revision)', () => {
    const { tap } = setup();
    const list = '{"jsonrpc":"2.0","id":2,"method":"tools/list"}';
    expect(JSON.parse(tap.fromClient(http(tap, Scope.exchange('http'), true), list)!).params._meta.traceparent).toMatch(/^00-/);
    expect(tap.fromClient(http(tap, Scope.exchange('http'), true), bare)).toBe(bare);
  });

  test('always creates, never touches nothing', () => {
    const always = setup({ injectMeta: 'always' }).tap;
    expect(JSON.parse(always.fromClient(http(always, Scope.exchange('http'), false), bare)!).params._meta).toBeDefined();
    const never = setup({ injectMeta: 'never' }).tap;
    expect(never.fromClient(http(never, Scope.exchange('http'), true), withMeta)).toBe(withMeta);
  });

  test('on a connection, the initialize response decides: a pre-2026-07-28 revision allows a new _meta', () => {
    const { tap } = setup();
    const ch = tap.channel(Scope.connection('stdio'), { transport: 'pipe' }, ROOT_CONTEXT, false);
    expect(tap.fromClient(ch, bare)).toBe(bare);
    tap.fromServer(ch, '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18"}}');
    const ping = '{"jsonrpc":"2.0","id":2,"method":"ping"}';
    expect(JSON.parse(tap.fromClient(ch, ping)!).params._meta.traceparent).toMatch(/^00-/);
    const modern = tap.channel(Scope.connection('stdio'), { transport: 'pipe' }, ROOT_CONTEXT, false);
    tap.fromClient(modern, bare);
    tap.fromServer(modern, '{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2026-07-28"}}');
    expect(tap.fromClient(modern, ping)).toBe(ping);
  });
});
