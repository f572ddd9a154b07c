#!/usr/bin/env node
'use strict';
// The floor the OpenTelemetry JS SDK sets under one traced request, in CPU µs, in one process.
// Issue 12 gives the proxy at 100% sampling with OTLP export at most 1.5× the CPU per request of
// the bare undici forwarder, so tracing has (1.5 − 1) × forwarder µs in all. Each stage below is
// a piece of that work done with the SDK alone, the proxy left out. What the SDK spends here the
// proxy cannot save, whatever its own code does.
//
// Method: process.cpuUsage() (user + system, every thread: GC helpers included) over many
// iterations, after a warm-up; the median of --rounds rounds. Loops yield to the event loop every
// CHUNK operations (the BatchSpanProcessor only frees its export slot in a microtask), so every
// stage runs the same way. The "empty op" row is that harness's own cost. Nothing is asserted.
//
//   npm run bench:spans [-- --forwarder-us 43 --iterations 200000 --rounds 5 --default-heap]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const FORWARDER_US = opt('forwarder-us', 43);
const ITERATIONS = opt('iterations', 200_000);
const ROUNDS = opt('rounds', 5);
const WARMUP = Math.max(1000, Math.round(ITERATIONS / 4));
// The CLI keeps V8's young generation at 1 MB semi-spaces (src/heap.ts): do the same, so the GC
// share of each figure is the proxy's. --default-heap measures with Node's defaults instead.
const DEFAULT_HEAP = args.includes('--default-heap');
if (!DEFAULT_HEAP) v8.setFlagsFromString('--semi-space-growth-factor=1');
// A full GC between stages, so no stage pays for the previous one's garbage.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const { ROOT_CONTEXT, SpanKind, TraceFlags, trace } = require('@opentelemetry/api');
const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = require('@opentelemetry/core');
const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources');
const { AlwaysOnSampler, BatchSpanProcessor, NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
// The serializer the http/protobuf OTLP exporter (the proxy's default) hands each batch to.
const { ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');

const ROOT = path.join(__dirname, '..');

// ---- The request and the response, as the CPU benchmark sends them -------------------------------
// The body bench/post.lua posts, read from it so the two cannot drift apart.
const REQ_BODY = /wrk\.body\s*=\s*'([^']*)'/.exec(fs.readFileSync(path.join(__dirname, 'post.lua'), 'utf8'))[1];
// What bench/upstream.js answers to it (answer(): the request's id, then a fixed result).
const RES_BODY = `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}]}}`;
// node:http's IncomingHttpHeaders for that wrk request: no traceparent, so a new trace starts.
const HEADERS = {
  host: '127.0.0.1:8080', 'content-length': String(REQ_BODY.length), 'content-type': 'application/json',
  accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18',
};
const getter = { keys: (h) => Object.keys(h), get: (h, k) => h[k] };
const setter = { set: (c, k, v) => { c[k] = v; } };

// ---- What the proxy puts on a tools/call span ------------------------------------------------------
// Read off a real run: node dist/cli.js --upstream <bench/upstream.js> --admin-port off, exporting
// OTLP http/json to a receiver, sent the post.lua request once (default options: --openinference on,
// no session, no caller rules, no captures). At start only mcp.method.name, so a sampler that drops
// the span saves the rest; then requestAttributes() (built per request) and the OpenInference pair.
// A successful response adds nothing (responseOutcome() is {}).
const SPAN_NAME = 'tools/call echo';
const START_ATTRS = { 'mcp.method.name': 'tools/call' };
const requestAttributes = (i) => ({
  'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo', 'gen_ai.operation.name': 'execute_tool',
  'jsonrpc.request.id': '1', 'mcp.protocol.version': '2025-06-18', 'network.transport': 'tcp',
  'network.protocol.name': 'http', 'network.protocol.version': '1.1', 'server.address': '127.0.0.1',
  'server.port': 8080, 'client.address': '127.0.0.1', 'client.port': 40000 + (i % 10),
});
const OI_ATTRS = { 'openinference.span.kind': 'TOOL', 'tool.name': 'echo' };
const NO_OUTCOME = {};
// mcp.server.operation.duration's attributes, from the same run with OTEL_METRICS_EXPORTER=otlp
// (metricAttributes(): built per operation; error.type only on failure).
const metricAttributes = () => ({
  'mcp.method.name': 'tools/call', 'network.transport': 'tcp', 'gen_ai.tool.name': 'echo',
  'gen_ai.operation.name': 'execute_tool', 'mcp.protocol.version': '2025-06-18', 'network.protocol.name': 'http',
});
const DURATION_BUCKETS_S = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]; // src/tracing/semconv.ts

// ---- The SDK, set up as src/tracing/sdk.ts does ----------------------------------------------------
const RESOURCE = defaultResource().merge(resourceFromAttributes({ 'service.name': 'mcp-trace-proxy', 'service.version': '0.1.0' }));
const tracerWith = (processor) =>
  new NodeTracerProvider({ resource: RESOURCE, sampler: new AlwaysOnSampler(), spanProcessors: [processor] }).getTracer('mcp-trace-proxy', '0.1.0');
// Stage 2's processor: the span is built and ended, then nothing happens to it.
const noopTracer = tracerWith({ onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} });
// Stage 3's: a real BatchSpanProcessor (128-span batches, like the proxy) whose exporter serializes
// each batch as the OTLP http/protobuf exporter does and drops the bytes: everything but the HTTP POST.
const exported = { spans: 0, bytes: 0, batches: 0 };
const serializingExporter = {
  export(spans, done) {
    exported.bytes += ProtobufTraceSerializer.serializeRequest(spans).length;
    exported.spans += spans.length;
    exported.batches++;
    done({ code: 0 });
  },
  shutdown: async () => {},
};
const bsp = new BatchSpanProcessor(serializingExporter, { maxExportBatchSize: 128 });
const bspTracer = tracerWith(bsp);
// The proxy calls its propagator directly (src/tracing/propagation.ts). W3C trace context alone,
// and the proxy's default OTEL_PROPAGATORS=tracecontext,baggage for comparison.
const W3C = new W3CTraceContextPropagator();
const DEFAULT_PROPAGATOR = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });

// One tools/call span with the proxy's per-span context work: extract from the request headers,
// the span, trace.setSpan for the operation's context, inject into the forwarded headers, end.
let ended = 0;
function tracedSpan(tracer, i) {
  const parent = W3C.extract(ROOT_CONTEXT, HEADERS, getter);
  const span = tracer.startSpan(SPAN_NAME, { kind: SpanKind.SERVER, attributes: START_ATTRS }, parent);
  span.setAttributes(requestAttributes(i));
  span.setAttributes(OI_ATTRS);
  const carrier = {};
  W3C.inject(trace.setSpan(parent, span), carrier, setter);
  span.setAttributes(NO_OUTCOME);
  span.end();
  ended++;
  return carrier;
}

// The context work alone, around a span that already exists (no SDK span).
const SOME_SPAN = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
function contextOnly(p) {
  const parent = p.extract(ROOT_CONTEXT, HEADERS, getter);
  const carrier = {};
  p.inject(trace.setSpan(parent, SOME_SPAN), carrier, setter);
  return carrier;
}

// Stage 4: the operation histogram, with a reader that never collects during the run.
const meterProvider = new MeterProvider({
  resource: RESOURCE,
  readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 })],
});
const histogram = meterProvider.getMeter('mcp-trace-proxy', '0.1.0').createHistogram('mcp.server.operation.duration', {
  unit: 's', description: 'Duration of MCP operations the server handled, seen by the proxy', advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
});
const record = (i) => histogram.record(0.0004 + (i % 100) * 1e-5, metricAttributes());

// ---- The harness ------------------------------------------------------------------------------------
const CHUNK = 64;
const turn = () => new Promise(setImmediate);
let sink; // results land here, so no operation is optimized away

async function run(op, n) {
  for (let i = 0; i < n;) {
    const end = Math.min(n, i + CHUNK);
    for (; i < end; i++) sink = op(i);
    await turn();
  }
}

/** CPU µs per op: median and range over the rounds. `perOp` splits a batch op into its items. */
async function measure(op, n = ITERATIONS, perOp = 1) {
  gc();
  await run(op, Math.max(1, Math.round(n / 4)));
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.cpuUsage();
    await run(op, n);
    const d = process.cpuUsage(t0);
    rounds.push((d.user + d.system) / (n * perOp));
  }
  rounds.sort((a, b) => a - b);
  return { median: rounds[Math.floor(rounds.length / 2)], min: rounds[0], max: rounds[rounds.length - 1] };
}

// 128 ended spans, as one export batch holds them.
function endedBatch() {
  const batch = [];
  const tracer = tracerWith({ onStart() {}, onEnd: (s) => batch.push(s), forceFlush: async () => {}, shutdown: async () => {} });
  for (let i = 0; batch.length < 128; i++) tracedSpan(tracer, i);
  return batch;
}

async function main() {
  const budget = FORWARDER_US * 0.5;
  const rows = [];
  const stage = async (name, op, n, perOp) => {
    const r = await measure(op, n, perOp);
    rows.push({ name, ...r });
    process.stderr.write(`${name}: ${r.median.toFixed(2)} µs\n`);
  };
  const load0 = os.loadavg()[0];

  await stage('empty op (the harness itself)', () => 0);
  await stage('1. JSON.parse, request + response body', () => [JSON.parse(REQ_BODY), JSON.parse(RES_BODY)]);
  await stage('2. span + context work, no-op processor', (i) => tracedSpan(noopTracer, i));
  await stage('2a. of which context work: extract, setSpan, inject (W3C tracecontext)', () => contextOnly(W3C));
  await stage('2b. context work with the proxy default, tracecontext + baggage', () => contextOnly(DEFAULT_PROPAGATOR));
  await stage('2c. bare span: startSpan(1 attribute) + end, no-op processor', () => {
    const s = noopTracer.startSpan(SPAN_NAME, { kind: SpanKind.SERVER, attributes: START_ATTRS }, ROOT_CONTEXT);
    s.end();
    return s;
  });
  const batchEnded0 = ended;
  await stage('3. stage 2 into a BatchSpanProcessor (128/batch), protobuf-serializing exporter', (i) => tracedSpan(bspTracer, i));
  const bspEnded = ended - batchEnded0;
  await bsp.forceFlush();
  const batch = endedBatch();
  await stage('3a. of which protobuf serialization, per span (128-span batches)', () => ProtobufTraceSerializer.serializeRequest(batch), Math.ceil(ITERATIONS / 128), 128);
  await stage('4. histogram.record, 6 attributes', record);
  const fullEnded0 = ended;
  await stage('5. full round: 1 + 3 + 4 per request', (i) => {
    sink = JSON.parse(REQ_BODY);
    const carrier = tracedSpan(bspTracer, i);
    sink = JSON.parse(RES_BODY);
    record(i);
    return carrier;
  });
  const fullEnded = ended - fullEnded0;
  await bsp.forceFlush();

  const cpu = os.cpus();
  const ver = (p) => JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version;
  const L = [];
  L.push('## OpenTelemetry SDK floor per traced request (bench/span-cost.js)', '');
  L.push(`Machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, Node ${process.version}, ${os.type()} ${os.release()}; load average ${load0.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end.`);
  L.push(`SDK: @opentelemetry/api ${ver('@opentelemetry/api')}, sdk-trace-node ${ver('@opentelemetry/sdk-trace-node')}, sdk-metrics ${ver('@opentelemetry/sdk-metrics')}, otlp-transformer ${ver('@opentelemetry/otlp-transformer')}.`);
  L.push(`Method: process.cpuUsage() user + system over ${ITERATIONS} ops per round (3a: ${Math.ceil(ITERATIONS / 128)} batches), after ${WARMUP} warm-up ops; median (and min–max) of ${ROUNDS} rounds. Heap: ${DEFAULT_HEAP ? "Node's defaults" : 'semi-space growth factor 1, as the CLI sets it'}.`);
  L.push(`Budget: 1.5× − 1× a ${FORWARDER_US} µs/request forwarder = ${budget.toFixed(1)} µs/request for all of tracing (--forwarder-us).`, '');
  L.push('| stage | CPU µs per op | min–max | share of the budget |', '|---|--:|--:|--:|');
  for (const r of rows) L.push(`| ${r.name} | ${r.median.toFixed(2)} | ${r.min.toFixed(2)}–${r.max.toFixed(2)} | ${((100 * r.median) / budget).toFixed(0)} % |`);
  L.push('');
  L.push(`Export check: ${exported.spans} of ${bspEnded + fullEnded} spans ended in stages 3 and 5 were serialized (${exported.batches} batches, ${(exported.bytes / Math.max(1, exported.spans)).toFixed(0)} bytes/span), so none were dropped from a full queue.`);
  L.push('Not included: the HTTP POST of each batch to the collector, the proxy\'s own code (body reads, its JSON-RPC parse, correlation, header rules). Stage 4 applies only when metrics are read: with `--admin-port off` and the default OTEL_METRICS_EXPORTER=prometheus, the proxy records none.');
  process.stdout.write(L.join('\n') + '\n');
  await meterProvider.shutdown();
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
