import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { formatSpanLine } from '../../src/tracing/sdk';

test('console lines name the span, mark server→client spans and errors, and carry the trace id', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('t');
  const client = tracer.startSpan('sampling/createMessage', { kind: SpanKind.CLIENT });
  client.end();
  const failed = tracer.startSpan('tools/call fail', { kind: SpanKind.SERVER, attributes: { 'error.type': 'tool_error' } });
  failed.setStatus({ code: SpanStatusCode.ERROR, message: 'tool returned isError: true' });
  failed.end();
  const [c, f] = exporter.getFinishedSpans().map(formatSpanLine);
  expect(c).toMatch(/^span sampling\/createMessage \[client\] [\d.]+ms OK trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16}$/);
  expect(f).toMatch(/^span tools\/call fail [\d.]+ms ERROR tool_error \(tool returned isError: true\) trace_id=/);
});
