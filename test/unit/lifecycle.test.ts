// One operation's lifecycle on its own, with a recording span, owner and local trace: every
// transition from open to each end (table-driven), what each end writes, that exactly one end
// happens, and what listeners and the keep stage hear. Then the keep stage on its own: held records,
// the decision per local trace, and its bounds.
import {
  Attributes, AttributeValue, Link, ROOT_CONTEXT, Span, SpanContext, SpanKind, SpanStatus, SpanStatusCode, TimeInput, trace, TraceFlags,
} from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { parseBody, RpcMessage } from '../../src/jsonrpc/parse';
import { HeldSpan, KeepOptions, KeepStage, LocalTrace } from '../../src/tracing/keep';
import { EndedOperation, Operation } from '../../src/tracing/lifecycle';
import { newCounters } from '../../src/tracing/metrics';

class RecordingSpan implements Span {
  readonly attributes: Record<string, AttributeValue> = {};
  readonly events: { name: string; attributes?: Attributes }[] = [];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  ends = 0;
  writes = 0;
  constructor(private readonly recording = true, private readonly ctx: SpanContext = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 0 }) {}
  spanContext(): SpanContext { return this.ctx; }
  setAttribute(key: string, value: AttributeValue): this { this.writes++; this.attributes[key] = value; return this; }
  setAttributes(attributes: Attributes): this { for (const [k, v] of Object.entries(attributes)) this.setAttribute(k, v as AttributeValue); return this; }
  addEvent(name: string, attributes?: Attributes | TimeInput): this { this.writes++; this.events.push({ name, attributes: attributes as Attributes | undefined }); return this; }
  addLink(_link: Link): this { return this; }
  addLinks(_links: Link[]): this { return this; }
  setStatus(status: SpanStatus): this { this.writes++; this.status = status; return this; }
  updateName(_name: string): this { return this; }
  end(): void { this.ends++; }
  isRecording(): boolean { return this.recording && this.ends === 0; }
  recordException(): void {}
}

const msg = (value: unknown) => parseBody(JSON.stringify(value))!.messages[0];
const result = (r: unknown = { content: [] }) => msg({ jsonrpc: '2.0', id: 1, result: r });
const rpcError = (message = 'bad params') => msg({ jsonrpc: '2.0', id: 1, error: { code: -32602, message } });

interface Options {
  method?: string;
  kind?: 'server' | 'client';
  target?: string;
  metricAttrs?: Attributes | null;
  local?: boolean;
  recording?: boolean;
  openinference?: boolean;
  captured?: string;
}

function setup(o: Options = {}) {
  const span = new RecordingSpan(o.recording ?? true);
  const reports: EndedOperation[] = [];
  const captureCalls: [string, RpcMessage][] = [];
  const keepCalls: [span: Span, failure: boolean, error: boolean, durationS: number, spanEndsThen: number][] = [];
  const owner = {
    openinference: o.openinference ?? false,
    captureResult: (method: string, res: RpcMessage) => {
      captureCalls.push([method, res]);
      return o.captured;
    },
    errorLabel: (t: string) => `label(${t})`,
    resultSize: () => undefined,
    report: (op: EndedOperation) => reports.push(op),
  };
  const local = o.local === false ? null : ({
    ended: (s: Span, failure: boolean, error: boolean, durationS: number) => {
      keepCalls.push([s, failure, error, durationS, span.ends]);
      return 'kept-because';
    },
  } as unknown as LocalTrace);
  const metricAttrs = o.metricAttrs === undefined ? { 'mcp.method.name': o.method ?? 'tools/call' } : o.metricAttrs;
  const caller = { 'tenant.id': 't1' };
  const op = new Operation(owner, span, ROOT_CONTEXT, o.method ?? 'tools/call', o.kind ?? 'server', o.target ?? 'add', metricAttrs, local, caller);
  return { op, span, reports, keepCalls, captureCalls, caller, metricAttrs };
}

type Row = {
  name: string;
  act: (op: Operation) => void;
  end: string;
  outcome?: string;
  failure: boolean;
  error: boolean;
  errorType?: string;
  status: SpanStatus;
  attributes: Record<string, AttributeValue>;
  events: { name: string; attributes?: Attributes }[];
};

const UNSET = { code: SpanStatusCode.UNSET };
const TABLE: Row[] = [
  { name: 'a result', act: (op) => op.answered(result()), end: 'answered', failure: false, error: false, status: UNSET, attributes: {}, events: [] },
  {
    name: 'a JSON-RPC error', act: (op) => op.answered(rpcError()), end: 'failed', failure: true, error: true, errorType: '-32602',
    status: { code: SpanStatusCode.ERROR, message: 'bad params' }, attributes: { 'error.type': '-32602', 'rpc.response.status_code': '-32602' }, events: [],
  },
  {
    name: 'a tool\'s isError', act: (op) => op.answered(result({ content: [], isError: true })), end: 'failed', failure: true, error: true, errorType: 'tool_error',
    status: { code: SpanStatusCode.ERROR, message: 'tool returned isError: true' }, attributes: { 'error.type': 'tool_error' }, events: [],
  },
  {
    name: 'a transport failure', act: (op) => op.failed('MTP_UPSTREAM_RESET', 'the upstream reset'), end: 'failed', failure: true, error: true, errorType: 'MTP_UPSTREAM_RESET',
    status: { code: SpanStatusCode.ERROR, message: 'the upstream reset' }, attributes: { 'error.type': 'MTP_UPSTREAM_RESET' }, events: [],
  },
  { name: 'delivered', act: (op) => op.delivered(), end: 'delivered', failure: false, error: false, status: UNSET, attributes: {}, events: [] },
  {
    name: 'cancelled', act: (op) => op.cancelled('user pressed stop'), end: 'cancelled', outcome: 'cancelled', failure: false, error: false, status: UNSET,
    attributes: { 'mcp_trace_proxy.outcome': 'cancelled' }, events: [{ name: 'mcp.cancelled', attributes: { 'mcp.cancel.reason': 'user pressed stop' } }],
  },
  {
    name: 'client gone', act: (op) => op.clientGone(), end: 'client_gone', outcome: 'client_abort', failure: true, error: false, status: UNSET,
    attributes: { 'mcp_trace_proxy.outcome': 'client_abort' }, events: [{ name: 'mcp.cancelled', attributes: { 'mcp.cancel.reason': 'client closed the connection' } }],
  },
  {
    name: 'upstream gone', act: (op) => op.upstreamGone(), end: 'upstream_gone', outcome: 'no_response', failure: true, error: false, status: UNSET,
    attributes: { 'mcp_trace_proxy.outcome': 'no_response' }, events: [],
  },
  {
    name: 'expired', act: (op) => op.expired(), end: 'expired', outcome: 'expired', failure: true, error: false, status: UNSET,
    attributes: { 'mcp_trace_proxy.outcome': 'expired' }, events: [],
  },
  {
    name: 'dropped', act: (op) => op.dropped(), end: 'dropped', outcome: 'dropped', failure: true, error: false, status: UNSET,
    attributes: { 'mcp_trace_proxy.outcome': 'dropped' }, events: [],
  },
  {
    name: 'shut down', act: (op) => op.shutDown(), end: 'shut_down', outcome: 'shutdown', failure: true, error: false, status: UNSET,
    attributes: { 'mcp_trace_proxy.outcome': 'shutdown' }, events: [],
  },
];

describe.each(TABLE.map((r) => [r.name, r] as const))('open → %s', (_name, row) => {
  test('writes its end on the span once, tells the keep stage before the span ends, and reports once', () => {
    const { op, span, reports, keepCalls, caller } = setup();
    expect(op.isEnded).toBe(false);
    expect(op.ending).toBeUndefined();
    row.act(op);
    expect(op.isEnded).toBe(true);
    expect(op.ending).toBe(row.end);
    expect(span.attributes).toEqual(row.attributes);
    expect(span.status).toEqual(row.status);
    expect(span.events).toEqual(row.events);
    expect(span.ends).toBe(1);
    expect(keepCalls).toHaveLength(1);
    const [keptSpan, failure, error, durationS, spanEndsThen] = keepCalls[0];
    expect(keptSpan).toBe(span);
    expect([failure, error]).toEqual([row.failure, row.error]);
    expect(durationS).toBeGreaterThanOrEqual(0);
    expect(spanEndsThen).toBe(0);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toEqual({
      kind: 'server', method: 'tools/call', target: 'add', end: row.end, durationS, errorType: row.errorType, outcome: row.outcome,
      traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), caller, kept: 'kept-because',
      metricAttributes: row.errorType ? { 'mcp.method.name': 'tools/call', 'error.type': `label(${row.errorType})` } : { 'mcp.method.name': 'tools/call' },
    });
  });

  test('every later event is ignored: nothing more is written, kept or reported', () => {
    const { op, span, reports, keepCalls } = setup();
    row.act(op);
    const writes = span.writes;
    for (const other of TABLE) other.act(op);
    op.setSession('late-session');
    expect(op.ending).toBe(row.end);
    expect(span.writes).toBe(writes);
    expect(span.ends).toBe(1);
    expect(keepCalls).toHaveLength(1);
    expect(reports).toHaveLength(1);
    expect(() => op.event('notifications/progress')).toThrow('an event reached an ended operation');
  });

  test('without a local trace or listeners it still ends once', () => {
    const { op, span, reports } = setup({ local: false, metricAttrs: null });
    const seen: string[] = [];
    op.whenEnded(() => seen.push('before'));
    row.act(op);
    op.whenEnded(() => seen.push('after'));
    expect(op.ending).toBe(row.end);
    expect(span.ends).toBe(1);
    expect(reports).toEqual([]);
    expect(seen).toEqual(['before', 'after']);
  });
});

test('a listener-less operation with a local trace still tells the keep stage', () => {
  const { op, keepCalls, reports } = setup({ metricAttrs: null });
  op.expired();
  expect(keepCalls.map(([, f, e]) => [f, e])).toEqual([[true, false]]);
  expect(reports).toEqual([]);
});

test('without a local trace nothing is kept', () => {
  const { op, reports } = setup({ local: false });
  op.failed('MTP_X', 'x');
  expect(reports[0].kept).toBeUndefined();
});

test('whenEnded: callbacks registered while open run once, at the end, before the report; later ones run at once', () => {
  const { op, reports } = setup();
  const seen: string[] = [];
  op.whenEnded(() => seen.push(`a:${reports.length}`));
  op.whenEnded(() => seen.push(`b:${reports.length}`));
  expect(seen).toEqual([]);
  op.answered(result());
  expect(seen).toEqual(['a:0', 'b:0']);
  op.whenEnded(() => seen.push('c'));
  expect(seen).toEqual(['a:0', 'b:0', 'c']);
  op.expired();
  expect(seen).toEqual(['a:0', 'b:0', 'c']);
});

test('notifications: the first 32 are events, all are counted on the span at the end', () => {
  const { op, span } = setup();
  for (let i = 0; i < 40; i++) op.event('notifications/progress', { progress: i });
  expect(span.events).toHaveLength(32);
  expect(span.events[31]).toEqual({ name: 'notifications/progress', attributes: { progress: 31 } });
  expect(span.attributes['mcp_trace_proxy.notifications']).toBeUndefined();
  op.answered(result());
  expect(span.attributes['mcp_trace_proxy.notifications']).toBe(40);
});

test('notifications: exactly 32 are all events; none leaves the count off the span', () => {
  const a = setup();
  for (let i = 0; i < 32; i++) a.op.event('notifications/message');
  a.op.delivered();
  expect(a.span.events).toHaveLength(32);
  expect(a.span.attributes['mcp_trace_proxy.notifications']).toBe(32);
  const b = setup();
  b.op.delivered();
  expect('mcp_trace_proxy.notifications' in b.span.attributes).toBe(false);
});

test('the session: mcp.session.id, and session.id with OpenInference', () => {
  const plain = setup();
  plain.op.setSession('s-1');
  expect(plain.span.attributes).toEqual({ 'mcp.session.id': 's-1' });
  const oi = setup({ openinference: true });
  oi.op.setSession('s-1');
  expect(oi.span.attributes).toEqual({ 'mcp.session.id': 's-1', 'session.id': 's-1' });
});

test('a captured result is recorded, and as output.value with OpenInference', () => {
  const plain = setup({ captured: '{"content":[]}' });
  const res = result();
  plain.op.answered(res);
  expect(plain.captureCalls).toEqual([['tools/call', res]]);
  expect(plain.span.attributes).toEqual({ 'gen_ai.tool.call.result': '{"content":[]}' });
  const oi = setup({ captured: '{"content":[]}', openinference: true });
  oi.op.answered(result());
  expect(oi.span.attributes).toEqual({ 'gen_ai.tool.call.result': '{"content":[]}', 'output.value': '{"content":[]}', 'output.mime_type': 'application/json' });
  const none = setup({ openinference: true });
  none.op.answered(result());
  expect(none.span.attributes).toEqual({});
});

test('a span that is not recording gets nothing from the answer, but the end still says failed', () => {
  const { op, span, captureCalls, reports } = setup({ recording: false, captured: 'x' });
  op.answered(rpcError());
  expect(captureCalls).toEqual([]);
  expect(span.attributes).toEqual({});
  expect(span.status).toEqual(UNSET);
  expect(op.ending).toBe('failed');
  expect(reports[0].errorType).toBe('-32602');
  expect(reports[0].metricAttributes).toEqual({ 'mcp.method.name': 'tools/call', 'error.type': 'label(-32602)' });
});

test('a JSON-RPC error without a message gets one', () => {
  const { op, span } = setup();
  op.answered(msg({ jsonrpc: '2.0', id: 1, error: { code: -32000, message: '' } }));
  expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'JSON-RPC error -32000' });
});

test('a cancellation reason is cut to 256 characters; without one the event has no attributes', () => {
  const long = setup();
  long.op.cancelled('r'.repeat(300));
  expect(long.span.events).toEqual([{ name: 'mcp.cancelled', attributes: { 'mcp.cancel.reason': 'r'.repeat(256) } }]);
  const none = setup();
  none.op.cancelled();
  expect(none.span.events).toEqual([{ name: 'mcp.cancelled', attributes: undefined }]);
  const empty = setup();
  empty.op.cancelled('');
  expect(empty.span.events).toEqual([{ name: 'mcp.cancelled', attributes: undefined }]);
});

test('the duration is measured from the start to the end, in seconds', () => {
  const now = jest.spyOn(performance, 'now');
  try {
    now.mockReturnValue(1000);
    const { op, reports, keepCalls } = setup();
    now.mockReturnValue(2500);
    op.expired();
    expect(reports[0].durationS).toBeCloseTo(1.5, 6);
    expect(keepCalls[0][3]).toBeCloseTo(1.5, 6);
  } finally {
    now.mockRestore();
  }
});

test('a client operation reports its kind, method and target as given', () => {
  const { op, reports } = setup({ kind: 'client', method: 'elicitation/create', target: 'form' });
  op.answered(msg({ jsonrpc: '2.0', id: 1, result: { action: 'accept' } }));
  expect(reports[0]).toMatchObject({ kind: 'client', method: 'elicitation/create', target: 'form', end: 'answered' });
});

test('its context carries its span, under the parent given', () => {
  const { op, span } = setup();
  expect(trace.getSpan(op.context)).toBe(span);
});

// ---- The keep stage: what an operation's end leads to when the head sampler dropped it ----

function keep(options: Partial<KeepOptions> = {}) {
  const exported: ReadableSpan[] = [];
  const counters = newCounters();
  const resource = resourceFromAttributes({ 'service.name': 'svc' });
  const scope = { name: 'scope-name', version: '9' };
  const stage = new KeepStage({ errors: true, slowS: null, maxHeld: 100, maxValueLength: 16, ...options }, (s) => exported.push(s), counters, resource, scope);
  let n = 0;
  const held = (name = 'op', parent?: SpanContext) =>
    new HeldSpan(stage, name, SpanKind.SERVER, { traceId: 'c'.repeat(32), spanId: (++n).toString(16).padStart(16, '0'), traceFlags: 0 }, parent, []);
  const names = () => exported.map((s) => `${s.name}:${s.attributes['mcp_trace_proxy.sampling.kept']}`);
  return { stage, exported, counters, resource, scope, held, names };
}

describe('the keep stage decides why', () => {
  test.each([
    // errors, slowS, failure, error, durationS, reason
    [true, null, true, true, 0, 'error'],
    [true, null, true, false, 0, 'incomplete'],
    [true, null, false, false, 100, undefined],
    [false, null, true, true, 100, undefined],
    [false, 1, true, true, 1, undefined],
    [false, 1, true, true, 1.001, 'slow'],
    [true, 1, false, false, 2, 'slow'],
    [true, 1, true, false, 2, 'incomplete'],
    [true, 0, false, false, 0, undefined],
  ] as const)('errors %s, slow %s: failure %s, error %s, %s s → %s', (errors, slowS, failure, error, durationS, reason) => {
    const { stage } = keep({ errors, slowS });
    expect(stage.reasonFor(failure, error, durationS)).toBe(reason);
  });
});

describe('a held record', () => {
  test('keeps attributes, ignores undefined and null, and cuts long strings only', () => {
    const { held } = keep({ maxValueLength: 4 });
    const s = held();
    s.setAttribute('a', 'abcd').setAttribute('b', 'abcde').setAttribute('n', 123456).setAttribute('u', undefined);
    s.setAttribute('z', null as unknown as AttributeValue);
    s.setAttributes({ c: 'xyzxyz', d: true });
    expect(s.attributes).toStrictEqual({ a: 'abcd', b: 'abcd', n: 123456, c: 'xyzx', d: true });
    expect(Object.keys(s.attributes)).toEqual(['a', 'b', 'n', 'c', 'd']);
  });

  test('an array value is kept whole, however many elements it has', () => {
    const { held } = keep({ maxValueLength: 2 });
    const s = held();
    s.setAttribute('list', ['a', 'b', 'c', 'd']);
    expect(s.attributes.list).toEqual(['a', 'b', 'c', 'd']);
  });

  test('keeps at most 128 attributes; a known key is still overwritten; the rest are counted as dropped', () => {
    const { held } = keep();
    const s = held();
    for (let i = 0; i < 130; i++) s.setAttribute(`k${i}`, i);
    expect(Object.keys(s.attributes)).toHaveLength(128);
    expect(s.attributes.k127).toBe(127);
    expect('k128' in s.attributes).toBe(false);
    s.setAttribute('k0', 'again');
    expect(s.attributes.k0).toBe('again');
    expect(s.readable('error').droppedAttributesCount).toBe(2);
  });

  test('exactly 128 attributes drop none', () => {
    const { held } = keep();
    const s = held();
    for (let i = 0; i < 128; i++) s.setAttribute(`k${i}`, i);
    expect(s.readable('error').droppedAttributesCount).toBe(0);
  });

  test('events keep their attributes; a time given instead of attributes is not taken for them', () => {
    const { held } = keep();
    const s = held();
    s.addEvent('one', { x: 1 });
    s.addEvent('two', 1234);
    s.addEvent('three', new Date());
    s.addEvent('four', [1, 2]);
    s.addEvent('five');
    expect(s.events.map((e) => [e.name, e.attributes])).toEqual([['one', { x: 1 }], ['two', {}], ['three', {}], ['four', {}], ['five', {}]]);
    const now = Date.now();
    expect(Math.abs(hrTimeToMilliseconds(s.events[0].time) - now)).toBeLessThan(5000);
    expect(s.events[0].droppedAttributesCount).toBe(0);
  });

  test('links, status and name end up in what is exported', () => {
    const { held, resource, scope } = keep();
    const parent = { traceId: 'c'.repeat(32), spanId: 'f'.repeat(16), traceFlags: 0 };
    const s = held('first', parent);
    const l1 = { context: { traceId: '1'.repeat(32), spanId: '1'.repeat(16), traceFlags: 1 } };
    const l2 = { context: { traceId: '2'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 } };
    const l3 = { context: { traceId: '3'.repeat(32), spanId: '3'.repeat(16), traceFlags: 1 } };
    s.addLink(l1).addLinks([l2, l3]).setStatus({ code: SpanStatusCode.ERROR, message: 'boom' }).updateName('second');
    s.recordException(new Error('not recorded'));
    s.end();
    const r = s.readable('incomplete');
    expect(r.name).toBe('second');
    expect(r.kind).toBe(SpanKind.SERVER);
    expect(r.links).toEqual([l1, l2, l3]);
    expect(r.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
    expect(r.parentSpanContext).toBe(parent);
    expect(r.resource).toBe(resource);
    expect(r.instrumentationScope).toBe(scope);
    expect(r.ended).toBe(true);
    expect(r.events).toEqual([]);
    expect([r.droppedEventsCount, r.droppedLinksCount]).toEqual([0, 0]);
    expect(r.attributes).toEqual({ 'mcp_trace_proxy.sampling.kept': 'incomplete' });
  });

  test('is exported sampled, with its own ids, its times and duration', () => {
    const now = jest.spyOn(performance, 'now');
    try {
      const { held } = keep();
      now.mockReturnValue(1000);
      const s = held();
      expect(s.isRecording()).toBe(true);
      now.mockReturnValue(1250);
      s.end();
      expect(s.isRecording()).toBe(false);
      now.mockReturnValue(2250);
      s.end(); // a second end changes nothing
      const r = s.readable('error');
      expect(r.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(TraceFlags.SAMPLED);
      expect(r.spanContext().spanId).toBe(s.spanContext().spanId);
      expect(s.spanContext().traceFlags).toBe(0); // the record itself keeps the head decision
      expect(hrTimeToMilliseconds(r.duration)).toBeCloseTo(250, 3);
      expect(hrTimeToMilliseconds(r.startTime)).toBeCloseTo(performance.timeOrigin + 1000, 0);
      expect(hrTimeToMilliseconds(r.endTime)).toBeCloseTo(performance.timeOrigin + 1250, 0);
    } finally {
      now.mockRestore();
    }
  });

  test('a record exported before it ends is given the current time as its end', () => {
    const now = jest.spyOn(performance, 'now');
    try {
      const { held } = keep();
      now.mockReturnValue(1000);
      const s = held();
      now.mockReturnValue(1400);
      expect(hrTimeToMilliseconds(s.readable('error').duration)).toBeCloseTo(400, 3);
    } finally {
      now.mockRestore();
    }
  });
});

describe('a local trace', () => {
  test('a failing root is kept and exported at once; later operations are exported as they end, with their own reason when they have one', () => {
    const { stage, held, names, counters } = keep({ slowS: 5 });
    const t = stage.newTrace();
    const root = held('root');
    t.join(root);
    expect(t.ended(root, true, true, 0)).toBe('error');
    expect(names()).toEqual(['root:error']);
    expect(t.recording).toBe(true);
    const late = held('late');
    t.join(late);
    expect(t.ended(late, false, false, 0)).toBe('error');
    const slow = held('slow');
    t.join(slow);
    expect(t.ended(slow, false, false, 6)).toBe('slow');
    expect(names()).toEqual(['root:error', 'late:error', 'slow:slow']);
    expect(counters.keptSpans).toEqual({ error: 2, slow: 1 });
  });

  test('children that ended well are held until the root decides: kept with a failing root, in their order', () => {
    const { stage, held, names } = keep();
    const t = stage.newTrace();
    const root = held('root');
    t.join(root);
    const [a, b] = [held('a'), held('b')];
    t.join(a);
    t.join(b);
    expect(t.ended(a, false, false, 0)).toBeUndefined();
    expect(t.ended(b, false, false, 0)).toBeUndefined();
    expect(stage.size).toBe(2);
    expect(names()).toEqual([]);
    expect(t.ended(root, true, false, 0)).toBe('incomplete');
    expect(names()).toEqual(['a:incomplete', 'b:incomplete', 'root:incomplete']); // the held ones as the trace is decided, then the root
    expect(stage.size).toBe(0);
  });

  test('a root that ends well discards the trace: held children go, later ones are neither held nor exported', () => {
    const { stage, held, names } = keep();
    const t = stage.newTrace();
    const root = held('root');
    t.join(root);
    const child = held('child');
    t.join(child);
    t.ended(child, false, false, 0);
    expect(stage.size).toBe(1);
    expect(t.ended(root, false, false, 0)).toBeUndefined();
    expect(stage.size).toBe(0);
    expect(t.recording).toBe(false);
    const late = held('late');
    expect(t.ended(late, true, true, 0)).toBeUndefined();
    expect(names()).toEqual([]);
  });

  test('the first operation to join is the root, not a later one', () => {
    const { stage, held, names } = keep();
    const t = stage.newTrace();
    const root = held('root');
    const child = held('child');
    t.join(root);
    t.join(child);
    t.ended(child, false, false, 0); // held, not taken for the root
    expect(t.recording).toBe(true);
    expect(stage.size).toBe(1);
    t.ended(root, true, true, 0);
    expect(names()).toEqual(['child:error', 'root:error']);
  });

  test('an SDK span (the head sampler kept it) is not the keep stage\'s business', () => {
    const { stage, names } = keep();
    const t = stage.newTrace();
    const sdkSpan = trace.wrapSpanContext({ traceId: 'd'.repeat(32), spanId: 'e'.repeat(16), traceFlags: 1 });
    expect(t.ended(sdkSpan, true, true, 0)).toBeUndefined();
    expect(names()).toEqual([]);
    expect(t.recording).toBe(true);
  });

  test('held records are bounded in all: past maxHeld they are counted, not held, and not exported later', () => {
    const { stage, held, names, counters } = keep({ maxHeld: 2 });
    const t = stage.newTrace();
    const root = held('root');
    t.join(root);
    for (const name of ['a', 'b', 'c']) {
      const s = held(name);
      t.join(s);
      t.ended(s, false, false, 0);
    }
    expect(stage.size).toBe(2);
    expect(counters.keepBufferDropped).toBe(1);
    const other = stage.newTrace();
    const r2 = held('r2');
    other.join(r2);
    const d = held('d');
    other.join(d);
    other.ended(d, false, false, 0);
    expect(counters.keepBufferDropped).toBe(2);
    t.ended(root, true, true, 0);
    expect(names()).toEqual(['a:error', 'b:error', 'root:error']);
    expect(stage.size).toBe(0);
    expect(stage.reserve()).toBe(true);
    expect(stage.reserve()).toBe(true);
    expect(stage.reserve()).toBe(false);
    expect(stage.size).toBe(2);
  });

  test('releasing more than was reserved is a bug, caught where it happens', () => {
    const { stage } = keep();
    stage.reserve();
    stage.release(1);
    expect(stage.size).toBe(0);
    expect(() => stage.release(1)).toThrow('more held records released than reserved');
  });
});
