// Keep-errors and keep-slow in the SDK: the sampler records what the head sampler drops without
// sampling it, Operation marks what failed or was slow, and the processor exports marked spans and
// their local children, bounded.
import { ROOT_CONTEXT, SpanKind, TraceFlags, context, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { parseBody } from '../../src/jsonrpc/parse';
import { KeepProcessor, KeepSampler } from '../../src/tracing/keep';
import { MetricLabels } from '../../src/tracing/labels';
import { newCounters } from '../../src/tracing/metrics';
import { KeepOptions, Tracing } from '../../src/tracing/spans';

const KEPT = 'mcp_trace_proxy.sampling.kept';
const CONN = { transport: 'tcp' as const, protocolName: 'http' as const };

function setup(keep: KeepOptions = { errors: true, slowS: null }) {
  const exporter = new InMemorySpanExporter();
  const counters = newCounters();
  const provider = new BasicTracerProvider({
    sampler: new KeepSampler(new AlwaysOffSampler()),
    spanProcessors: [new KeepProcessor([new SimpleSpanProcessor(exporter)], counters)],
  });
  const tracer = provider.getTracer('test');
  const tracing = new Tracing(tracer, new W3CTraceContextPropagator(), new MetricLabels(100), undefined, () => {}, keep);
  return { exporter, counters, tracer, tracing };
}

const msg = (text: string) => parseBody(text)!.messages[0];
const call = (id: number, tool: string) => msg(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: {} } }));
const toolError = (id: number) => msg(JSON.stringify({ jsonrpc: '2.0', id, result: { content: [], isError: true } }));
const ok = (id: number) => msg(JSON.stringify({ jsonrpc: '2.0', id, result: { content: [] } }));

test('the sampler records what the head sampler drops, unsampled: the injected traceparent keeps the drop', () => {
  const r = new KeepSampler(new TraceIdRatioBasedSampler(0)).shouldSample(ROOT_CONTEXT, '4bf92f3577b34da6a3ce929d0e0e4736', 'x', SpanKind.SERVER, {}, []);
  expect(r.decision).toBe(1); // RECORD (record only)
  const { tracing } = setup();
  const op = tracing.startServer(call(1, 'add'), CONN, ROOT_CONTEXT);
  expect(op.span.isRecording()).toBe(true);
  expect(op.span.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(0);
  const carrier: Record<string, string> = {};
  new W3CTraceContextPropagator().inject(op.context, carrier, { set: (c, k, v) => ((c as Record<string, string>)[k] = v) });
  expect(carrier.traceparent).toMatch(/-00$/);
  op.respond(ok(1));
});

test('a dropped operation that fails is exported, marked error, with its full attributes and the caller; a success is not', () => {
  const { exporter, counters, tracing } = setup();
  tracing.startServer(call(1, 'add'), CONN, ROOT_CONTEXT, { 'tenant.id': 't1' }).respond(ok(1));
  tracing.startServer(call(2, 'fail'), CONN, ROOT_CONTEXT, { 'tenant.id': 't1' }).respond(toolError(2));
  tracing.startServer(call(3, 'up'), CONN, ROOT_CONTEXT).fail('MTP_UPSTREAM_TIMEOUT', 'timed out');
  tracing.startServer(call(4, 'gone'), CONN, ROOT_CONTEXT).abandon('cancelled');
  const spans = exporter.getFinishedSpans();
  expect(spans.map((s) => s.name)).toEqual(['tools/call fail', 'tools/call up']);
  expect(spans[0].attributes).toMatchObject({ [KEPT]: 'error', 'gen_ai.tool.name': 'fail', 'error.type': 'tool_error', 'tenant.id': 't1', 'jsonrpc.request.id': '2' });
  expect(spans[0].spanContext().traceFlags & TraceFlags.SAMPLED).toBe(TraceFlags.SAMPLED);
  expect(spans[1].attributes).toMatchObject({ [KEPT]: 'error', 'error.type': 'MTP_UPSTREAM_TIMEOUT' });
  expect(counters.keptSpans).toEqual({ error: 2 });
});

test('keep-slow marks an operation longer than the threshold; --no-keep-errors leaves failures to the head sampler', () => {
  const { exporter, tracing } = setup({ errors: false, slowS: 0 });
  tracing.startServer(call(1, 'fail'), CONN, ROOT_CONTEXT).respond(toolError(1));
  const [s] = exporter.getFinishedSpans();
  expect(s.attributes[KEPT]).toBe('slow'); // any duration is over 0 s; errors are not kept here, slowness is
  const strict = setup({ errors: false, slowS: 3600 });
  strict.tracing.startServer(call(1, 'fail'), CONN, ROOT_CONTEXT).respond(toolError(1));
  expect(strict.exporter.getFinishedSpans()).toHaveLength(0);
});

test('local children follow their parent: kept with a kept parent (before or after it ends), dropped with a dropped one', () => {
  const { exporter, tracer } = setup();
  const child = (parent: ReturnType<typeof tracer.startSpan>, name: string) => tracer.startSpan(name, { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), parent));

  const kept = tracer.startSpan('kept-root');
  child(kept, 'early-child').end();
  const late = child(kept, 'late-child');
  kept.setAttribute(KEPT, 'error');
  kept.end();
  late.end();

  const dropped = tracer.startSpan('dropped-root');
  child(dropped, 'dropped-child').end();
  dropped.end();

  const byName = new Map(exporter.getFinishedSpans().map((s) => [s.name, s]));
  expect([...byName.keys()].sort()).toEqual(['early-child', 'kept-root', 'late-child']);
  expect(byName.get('early-child')!.attributes[KEPT]).toBe('error');
  expect(byName.get('late-child')!.attributes[KEPT]).toBe('error');
  expect(byName.get('early-child')!.parentSpanContext?.spanId).toBe(byName.get('kept-root')!.spanContext().spanId);
});

test('children waiting for a parent are bounded; the ones dropped are counted', () => {
  const { counters, tracer } = setup();
  for (let i = 0; i < 1100; i++) {
    const parent = tracer.startSpan(`p${i}`); // never ends here: its children wait
    tracer.startSpan('c', {}, trace.setSpan(context.active(), parent)).end();
  }
  expect(counters.keepBufferDropped).toBe(1100 - 1024);
});
