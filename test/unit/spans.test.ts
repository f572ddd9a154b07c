// Correlation: responses end their spans exactly once; what is never answered expires.
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { parseBody } from '../../src/jsonrpc/parse';
import { createPropagator } from '../../src/tracing/propagation';
import * as sc from '../../src/tracing/semconv';
import { EndedOperation, Tracing } from '../../src/tracing/spans';

const conn = { transport: 'tcp' as const, protocolName: 'http' as const };
const msg = (text: string) => parseBody(text)!.messages[0];

function setup(pendingTimeoutMs = 1000) {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const ended: EndedOperation[] = [];
  const tracing = new Tracing(provider.getTracer('t'), createPropagator(['tracecontext', 'baggage']), pendingTimeoutMs, undefined, (op) => ended.push(op));
  return { exporter, tracing, ended };
}

test('a request that is never answered ends as expired after the pending timeout, and leaves the map', () => {
  const { exporter, tracing, ended } = setup(1000);
  const op = tracing.startServer(msg('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","_meta":{"progressToken":"p"}}}'), conn, ROOT_CONTEXT, 's1');
  expect(tracing.pendingCount).toBe(2); // by id, and by progress token
  tracing.sweep(op.startedAt + 999);
  expect(exporter.getFinishedSpans()).toHaveLength(0);
  tracing.sweep(op.startedAt + 1000);
  const [span] = exporter.getFinishedSpans();
  expect(span.attributes[sc.ATTR_MCP_PROXY_OUTCOME]).toBe('expired');
  expect(span.status.code).toBe(SpanStatusCode.UNSET);
  expect(tracing.pendingCount).toBe(0);
  expect(ended).toHaveLength(1);
  tracing.close();
});

test('a response ends its span once; a late duplicate and a later expiry change nothing', () => {
  const { exporter, tracing, ended } = setup();
  tracing.startServer(msg('{"jsonrpc":"2.0","id":"7","method":"ping"}'), conn, ROOT_CONTEXT, 's1');
  expect(tracing.answered('s1', 7, true)).toBeUndefined(); // 7 is not "7"
  const op = tracing.answered('s1', '7', true)!;
  op.respond(msg('{"jsonrpc":"2.0","id":"7","error":{"code":-32601,"message":"no"}}'));
  op.respond(msg('{"jsonrpc":"2.0","id":"7","result":{}}'));
  op.abandon('expired');
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  expect(spans[0].attributes[sc.ATTR_ERROR_TYPE]).toBe('-32601');
  expect(ended.map((e) => e.errorType)).toEqual(['-32601']);
  expect(tracing.pendingCount).toBe(0);
  tracing.close();
});

test('cancellation ends the request span with the reason, not as an error; close() ends the rest as shutdown', () => {
  const { exporter, tracing } = setup();
  tracing.startServer(msg('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}}'), conn, ROOT_CONTEXT, 's');
  tracing.startServer(msg('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"b"}}'), conn, ROOT_CONTEXT, 's');
  tracing.noteNotification(msg('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"user"}}'), 's', []);
  tracing.close();
  const byName = Object.fromEntries(exporter.getFinishedSpans().map((s) => [s.name, s]));
  expect(byName['tools/call a'].events.find((e) => e.name === sc.EVENT_CANCELLED)?.attributes?.[sc.ATTR_EVENT_CANCEL_REASON]).toBe('user');
  expect(byName['tools/call a'].status.code).toBe(SpanStatusCode.UNSET);
  expect(byName['tools/call b'].attributes[sc.ATTR_MCP_PROXY_OUTCOME]).toBe('shutdown');
});

test('a parent from _meta wins over the header context, which becomes a link', () => {
  const { exporter, tracing } = setup();
  const headerCtx = trace.setSpanContext(ROOT_CONTEXT, { traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 });
  const op = tracing.startServer(msg(`{"jsonrpc":"2.0","method":"notifications/initialized","params":{"_meta":{"traceparent":"00-${'a'.repeat(32)}-${'b'.repeat(16)}-01"}}}`), conn, headerCtx, 's');
  op.end();
  const [span] = exporter.getFinishedSpans();
  expect(span.spanContext().traceId).toBe('a'.repeat(32));
  expect(span.parentSpanContext?.spanId).toBe('b'.repeat(16));
  expect(span.links.map((l) => l.context.spanId)).toEqual(['2'.repeat(16)]);
  tracing.close();
});
