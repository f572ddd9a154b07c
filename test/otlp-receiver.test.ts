// Proves the test OTLP receiver decodes what the real OTLP/proto exporter sends.
import { SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startOtlpReceiver, type OtlpReceiver, type OtlpReceiverOptions } from './helpers/otlp-receiver';

type ExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;
// The enum lives in @opentelemetry/otlp-exporter-base (only a transitive dependency); its value is 'gzip'.
const GZIP = 'gzip' as ExporterConfig['compression'];

let receiver: OtlpReceiver | undefined;
let provider: BasicTracerProvider | undefined;

async function setup(recvOpts: OtlpReceiverOptions = {}, exporterOpts: ExporterConfig = {}) {
  receiver = await startOtlpReceiver(recvOpts);
  const exporter = new OTLPTraceExporter({ url: receiver.tracesUrl, ...exporterOpts });
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'receiver-test', 'deployment.env': 'ci' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { receiver, exporter, tracer: provider.getTracer('otlp-receiver-test', '1.2.3') };
}

afterEach(async () => {
  await provider?.shutdown().catch(() => undefined);
  await receiver?.close();
  provider = receiver = undefined;
});

const LINKED = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };

test('decodes spans, attributes, events, links, status and resource from the proto exporter', async () => {
  const { receiver, tracer } = await setup();
  // Start time beyond 2^53 ns checks that fixed64 survives decoding exactly.
  const parent = tracer.startSpan('tools/call', {
    kind: SpanKind.SERVER,
    startTime: [1_700_000_000, 123_456_789],
    attributes: {
      's': 'hello', 'i': 42, 'neg': -7, 'd': 3.5, 'b': true,
      'arr': ['x', 'y'], 'nums': [1, 2, 3],
    },
    links: [{ context: LINKED, attributes: { 'link.reason': 'batch' } }],
  });
  parent.addEvent('request.received', { 'ev.size': 10 }, [1_700_000_000, 500_000_000]);
  parent.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  const child = tracer.startSpan('child-op', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), parent));
  child.end();
  parent.end([1_700_000_001, 5]);
  await provider!.forceFlush();

  const spans = await receiver.waitForSpans((s) => s.length >= 2);
  const p = spans.find((s) => s.name === 'tools/call')!;
  const c = spans.find((s) => s.name === 'child-op')!;

  expect(p.traceId).toBe(parent.spanContext().traceId);
  expect(p.spanId).toBe(parent.spanContext().spanId);
  expect(p.parentSpanId).toBe('');
  expect(p.traceState).toBe('');
  expect(p.kind).toBe(2);
  expect(p.startTimeUnixNano).toBe(1_700_000_000_123_456_789n);
  expect(p.endTimeUnixNano).toBe(1_700_000_001_000_000_005n);
  expect(p.attributes).toEqual({ s: 'hello', i: 42, neg: -7, d: 3.5, b: true, arr: ['x', 'y'], nums: [1, 2, 3] });
  expect(p.events).toEqual([
    { name: 'request.received', timeUnixNano: 1_700_000_000_500_000_000n, attributes: { 'ev.size': 10 } },
  ]);
  expect(p.links).toEqual([{ traceId: LINKED.traceId, spanId: LINKED.spanId, attributes: { 'link.reason': 'batch' } }]);
  expect(p.status).toEqual({ code: 2, message: 'boom' });
  expect(p.resource).toMatchObject({ 'service.name': 'receiver-test', 'deployment.env': 'ci' });
  expect(p.scope).toEqual({ name: 'otlp-receiver-test', version: '1.2.3' });

  expect(c.traceId).toBe(p.traceId);
  expect(c.spanId).toBe(child.spanContext().spanId);
  expect(c.parentSpanId).toBe(p.spanId);
  expect(c.kind).toBe(3);
  expect(c.status).toEqual({ code: 0, message: '' });

  expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
  expect(receiver.requests[0]).toMatchObject({ path: '/v1/traces' });
  expect(receiver.requests[0].headers['content-type']).toBe('application/x-protobuf');
});

test('decodes gzip-compressed requests', async () => {
  const { receiver, tracer } = await setup({}, { compression: GZIP });
  tracer.startSpan('zipped', { attributes: { payload: 'a'.repeat(2000) } }).end();
  await provider!.forceFlush();

  const [span] = await receiver.waitForSpans((s) => s.length === 1);
  expect(span.name).toBe('zipped');
  expect(span.kind).toBe(1); // INTERNAL
  expect(span.attributes.payload).toBe('a'.repeat(2000));
  expect(receiver.requests[0].headers['content-encoding']).toBe('gzip');
  expect(receiver.requests[0].bytes).toBeLessThan(2000); // really compressed on the wire
});

test('waitForSpans times out with the names it did receive', async () => {
  const { receiver, tracer } = await setup();
  tracer.startSpan('only-this').end();
  await provider!.forceFlush();
  await expect(receiver.waitForSpans((s) => s.some((x) => x.name === 'missing'), 200)).rejects.toThrow(
    /timed out after 200ms; received 1 span\(s\).*only-this/,
  );
});

test('hang mode records the request but never answers; close() does not wait for it', async () => {
  const { receiver, tracer } = await setup({ hang: true }, { timeoutMillis: 1000 });
  tracer.startSpan('stuck').end();
  await receiver.waitForSpans((s) => s.some((x) => x.name === 'stuck'));
  const t0 = Date.now();
  await receiver.close(); // destroys the hanging socket instead of waiting for the exporter timeout
  expect(Date.now() - t0).toBeLessThan(500);
  await expect(provider!.forceFlush()).rejects.toBeDefined(); // the export fails (retries hit a closed port)
});

test('answers with the configured status (after delayMs) and still records the spans', async () => {
  const { receiver, tracer } = await setup({ status: 400, delayMs: 50 });
  tracer.startSpan('rejected').end();
  await expect(provider!.forceFlush()).rejects.toEqual([expect.objectContaining({ code: 400 })]);
  expect(receiver.spans.map((s) => s.name)).toEqual(['rejected']);
});
