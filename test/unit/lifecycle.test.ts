// One operation's lifecycle on its own, with a recording span, owner and local trace: every
// transition from open to each end (table-driven), what each end writes, that exactly one end
// happens, and what listeners and the keep stage hear.
import { Attributes, AttributeValue, Link, ROOT_CONTEXT, Span, SpanContext, SpanStatus, SpanStatusCode, TimeInput, trace } from '@opentelemetry/api';
import { parseBody, RpcMessage } from '../../src/jsonrpc/parse';
import type { LocalTrace } from '../../src/tracing/keep';
import { EndedOperation, Operation } from '../../src/tracing/lifecycle';

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
  jest.useFakeTimers();
  try {
    const { op, reports, keepCalls } = setup();
    jest.advanceTimersByTime(1500);
    op.expired();
    expect(reports[0].durationS).toBeCloseTo(1.5, 3);
    expect(keepCalls[0][3]).toBeCloseTo(1.5, 3);
  } finally {
    jest.useRealTimers();
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
