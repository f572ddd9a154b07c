// The lifecycle (one end per operation) and keep-errors/keep-slow per local trace, without servers:
// the head sampler drops everything here (always_off), so only what the keep stage decides is exported.
import { ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { parseBody } from '../../src/jsonrpc/parse';
import { KeepStage } from '../../src/tracing/keep';
import { MetricLabels } from '../../src/tracing/labels';
import type { EndedOperation, Operation } from '../../src/tracing/lifecycle';
import { newCounters } from '../../src/tracing/metrics';
import { Tracing } from '../../src/tracing/operations';

const CONN = { transport: 'tcp' as const, protocolName: 'http' as const };

function setup(keep: { errors: boolean; slowS: number | null } = { errors: true, slowS: null }, maxHeld = 1024, sampled = false) {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  const counters = newCounters();
  const provider = new BasicTracerProvider({ sampler: sampled ? new AlwaysOnSampler() : new AlwaysOffSampler(), spanProcessors: [processor] });
  const stage = new KeepStage({ ...keep, maxHeld, maxValueLength: 64 }, (s) => processor.onEnd(s), counters, resourceFromAttributes({ 'service.name': 't' }), { name: 't' });
  const tracing = new Tracing(provider.getTracer('t'), new W3CTraceContextPropagator(), new MetricLabels(100), undefined, stage);
  const ended: EndedOperation[] = [];
  tracing.onEnded((op) => ended.push(op));
  const names = () => exporter.getFinishedSpans().map((s) => s.name).sort();
  const byName = (n: string) => exporter.getFinishedSpans().find((s) => s.name === n) as ReadableSpan;
  return { exporter, counters, stage, tracing, ended, names, byName };
}

const msg = (value: unknown) => parseBody(JSON.stringify(value))!.messages[0];
const call = (id: number, tool: string, args: unknown = {}) => msg({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: args } });
const elicit = (id: number) => msg({ jsonrpc: '2.0', id, method: 'elicitation/create', params: { message: 'sure?' } });
const result = (id: number, r: unknown = { content: [] }) => msg({ jsonrpc: '2.0', id, result: r });
const rpcError = (id: number) => msg({ jsonrpc: '2.0', id, error: { code: -32602, message: 'bad params' } });

type Ending = [name: string, end: (op: Operation) => void, exported: string | null, outcome: string | null, lifecycleEnd: string];
const ENDINGS: Ending[] = [
  ['answered', (op) => op.answered(result(1)), null, null, 'answered'],
  ['a tool isError', (op) => op.answered(result(1, { content: [], isError: true })), 'error', null, 'failed'],
  ['a JSON-RPC error', (op) => op.answered(rpcError(1)), 'error', null, 'failed'],
  ['an upstream failure', (op) => op.failed('MTP_UPSTREAM_TIMEOUT', 'timed out'), 'error', null, 'failed'],
  ['cancelled by its sender', (op) => op.cancelled('user pressed stop'), null, 'cancelled', 'cancelled'],
  ['expired', (op) => op.expired(), 'incomplete', 'expired', 'expired'],
  ['client gone', (op) => op.clientGone(), 'incomplete', 'client_abort', 'client_gone'],
  ['upstream gone', (op) => op.upstreamGone(), 'incomplete', 'no_response', 'upstream_gone'],
  ['dropped by the bounds', (op) => op.dropped(), 'incomplete', 'dropped', 'dropped'],
  ['shut down', (op) => op.shutDown(), 'incomplete', 'shutdown', 'shut_down'],
];

describe.each(ENDINGS)('an unsampled operation that ends: %s', (_name, end, exported, outcome, lifecycleEnd) => {
  test(exported ? `is exported, kept as ${exported}` : 'is not exported', () => {
    const { tracing, names, byName, ended, counters } = setup();
    const op = tracing.startServer(call(1, 'add'), CONN, ROOT_CONTEXT, { 'tenant.id': 't1' });
    end(op);
    expect(ended.map((e) => e.end)).toEqual([lifecycleEnd]);
    if (!exported) {
      expect(names()).toEqual([]);
      return;
    }
    expect(names()).toEqual(['tools/call add']);
    const s = byName('tools/call add');
    expect(s.attributes['mcp_trace_proxy.sampling.kept']).toBe(exported);
    expect(s.attributes).toMatchObject({ 'gen_ai.tool.name': 'add', 'jsonrpc.request.id': '1', 'tenant.id': 't1', 'mcp.method.name': 'tools/call' });
    expect(s.attributes['mcp_trace_proxy.outcome']).toBe(outcome ?? undefined);
    expect(s.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(TraceFlags.SAMPLED);
    expect(s.spanContext().spanId).toBe(op.span.spanContext().spanId); // the id the upstream was told
    expect(counters.keptSpans).toEqual({ [exported]: 1 });
  });

  test('ends once: every later event is ignored, and it is reported once', () => {
    const { tracing, ended } = setup();
    const op = tracing.startServer(call(1, 'add'), CONN, ROOT_CONTEXT);
    end(op);
    for (const [, again] of ENDINGS) again(op);
    expect(ended.map((e) => e.end)).toEqual([lifecycleEnd]);
    expect(op.ending).toBe(lifecycleEnd);
    expect(() => op.event('mcp.progress')).toThrow('an event reached an ended operation');
  });
});

test('the injected context keeps the head decision (-00), with the ids the kept span will have', () => {
  const { tracing } = setup();
  const op = tracing.startServer(call(1, 'add'), CONN, ROOT_CONTEXT);
  const carrier: Record<string, string> = {};
  new W3CTraceContextPropagator().inject(op.context, carrier, { set: (c, k, v) => ((c as Record<string, string>)[k] = v) });
  expect(carrier.traceparent).toBe(`00-${op.span.spanContext().traceId}-${op.span.spanContext().spanId}-00`);
});

test('a failing child keeps its whole local trace: the parent is exported when it ends, though it succeeded (no orphan)', () => {
  const { tracing, names, byName } = setup();
  const parent = tracing.startServer(call(1, 'book'), CONN, ROOT_CONTEXT);
  const child = tracing.startClient(elicit(0), CONN, parent, ROOT_CONTEXT);
  child.answered(rpcError(0));
  expect(names()).toEqual(['elicitation/create']);
  parent.answered(result(1));
  expect(names()).toEqual(['elicitation/create', 'tools/call book']);
  expect(byName('tools/call book').attributes['mcp_trace_proxy.sampling.kept']).toBe('error');
  expect(byName('elicitation/create').parentSpanContext?.spanId).toBe(byName('tools/call book').spanContext().spanId);
});

test('a child that ended well waits for its parent: exported with a failing parent, dropped with a good one', () => {
  const { tracing, names, stage } = setup();
  const bad = tracing.startServer(call(1, 'bad'), CONN, ROOT_CONTEXT);
  tracing.startClient(elicit(0), CONN, bad, ROOT_CONTEXT).answered(result(0, { action: 'accept' }));
  const good = tracing.startServer(call(2, 'good'), CONN, ROOT_CONTEXT);
  tracing.startClient(elicit(1), CONN, good, ROOT_CONTEXT).answered(result(1, { action: 'accept' }));
  expect(stage.size).toBe(2);
  good.answered(result(2));
  bad.failed('MTP_UPSTREAM_RESET', 'reset');
  expect(names()).toEqual(['elicitation/create', 'tools/call bad']);
  expect(stage.size).toBe(0);
});

test('children of a discarded trace are never held: 2,100 answered after their parent leave the buffer empty', () => {
  const { tracing, names, stage, counters } = setup();
  for (let i = 0; i < 2100; i++) {
    const parent = tracing.startServer(call(i, 'ask'), CONN, ROOT_CONTEXT);
    const child = tracing.startClient(elicit(i), CONN, parent, ROOT_CONTEXT);
    parent.answered(result(i));
    child.answered(result(i, { action: 'accept' }));
  }
  expect(names()).toEqual([]);
  expect(stage.size).toBe(0);
  expect(counters.keepBufferDropped).toBe(0);
});

test('a child that fails after its kept parent ended is exported too', () => {
  const { tracing, names } = setup();
  const parent = tracing.startServer(call(1, 'bad'), CONN, ROOT_CONTEXT);
  const child = tracing.startClient(elicit(0), CONN, parent, ROOT_CONTEXT);
  parent.failed('MTP_UPSTREAM_RESET', 'reset');
  child.expired();
  expect(names()).toEqual(['elicitation/create', 'tools/call bad']);
});

test('held records are bounded; past the bound they are counted', () => {
  const { tracing, counters, stage } = setup(undefined, 10);
  for (let i = 0; i < 15; i++) {
    const parent = tracing.startServer(call(i, 'p'), CONN, ROOT_CONTEXT); // stays open: its child waits
    tracing.startClient(elicit(i), CONN, parent, ROOT_CONTEXT).answered(result(i, {}));
  }
  expect(stage.size).toBe(10);
  expect(counters.keepBufferDropped).toBe(5);
});

test('keep-slow keeps what is slower than the threshold; with keep-errors off a failure is left to the head sampler', () => {
  const slow = setup({ errors: false, slowS: 0 });
  slow.tracing.startServer(call(1, 'x'), CONN, ROOT_CONTEXT).answered(result(1));
  expect(slow.byName('tools/call x').attributes['mcp_trace_proxy.sampling.kept']).toBe('slow');
  const strict = setup({ errors: false, slowS: 3600 });
  strict.tracing.startServer(call(1, 'x'), CONN, ROOT_CONTEXT).failed('MTP_UPSTREAM_RESET', 'reset');
  expect(strict.names()).toEqual([]);
});

test('a held operation keeps no reference to its message or arguments, and cuts long values', () => {
  const { tracing, byName } = setup();
  const secret = 'x'.repeat(100_000);
  const op = tracing.startServer(call(1, 'y'.repeat(100), { blob: secret }), CONN, ROOT_CONTEXT);
  const seen = new Set<unknown>();
  const holds = (v: unknown, depth: number): boolean => {
    if (v === secret) return true;
    if (typeof v === 'string' && v.length > 1000) return true;
    if (!v || typeof v !== 'object' || seen.has(v) || depth > 8) return false;
    seen.add(v);
    return Object.values(v as object).some((x) => holds(x, depth + 1));
  };
  expect(holds(op, 0)).toBe(false);
  op.failed('MTP_UPSTREAM_RESET', 'reset');
  expect(byName(`tools/call ${'y'.repeat(100)}`).attributes['gen_ai.tool.name']).toBe('y'.repeat(64));
});

test('a sampled operation is an SDK span: the keep stage is not involved', () => {
  const { tracing, names, counters } = setup(undefined, 1024, true);
  tracing.startServer(call(1, 'ok'), CONN, ROOT_CONTEXT).answered(result(1));
  expect(names()).toEqual(['tools/call ok']);
  expect(counters.keptSpans).toEqual({});
});
