// OTLP metrics, end to end: the real CLI exports its MCP histograms and proxy counters over
// OTLP/HTTP protobuf to the test receiver, which decodes them with its own copy of the schema.
import { ValueType } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { listening, runCli as run } from '../helpers/cli';
import { connectClient } from '../helpers/mcp-client';
import { TestServer } from '../helpers/mcp-test-server';
import { OtlpReceiver, ReceivedMetric, ReceivedMetricPoint, startOtlpReceiver } from '../helpers/otlp-receiver';
import { withServerAndReceiver } from '../helpers/peers';

const OP = 'mcp.server.operation.duration';
const BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
const CUMULATIVE = 2;

const toolPoint = (m: ReceivedMetric | undefined, tool: string, errorType?: string): ReceivedMetricPoint | undefined =>
  m?.points.find((p) => p.attributes['gen_ai.tool.name'] === tool && p.attributes['error.type'] === errorType);

describe('the test receiver decodes what the real OTLP/proto metrics exporter sends', () => {
  let receiver: OtlpReceiver;
  let provider: MeterProvider;
  afterEach(async () => {
    await provider.shutdown().catch(() => undefined);
    await receiver.close();
  });

  test.each([['plain', undefined], ['gzip', 'gzip']])('sum, gauge and histogram points (%s)', async (_label, compression) => {
    receiver = await startOtlpReceiver();
    const exporter = new OTLPMetricExporter({
      url: receiver.metricsUrl,
      ...(compression ? { compression: compression as NonNullable<ConstructorParameters<typeof OTLPMetricExporter>[0]>['compression'] } : {}),
    });
    provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'metrics-receiver-test' }),
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
    });
    const meter = provider.getMeter('receiver-meter', '4.5.6');
    meter.createCounter('c.int', { unit: '{request}', description: 'an int counter', valueType: ValueType.INT }).add(5, { route: '/a' });
    meter.createUpDownCounter('c.updown', { valueType: ValueType.INT }).add(-7);
    meter.createObservableGauge('g.double', { unit: 'By' }).addCallback((r) => r.observe(2.5, { k: true }));
    const h = meter.createHistogram('h.dur', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } });
    for (const v of [0.05, 0.5, 0.7, 3]) h.record(v, { tool: 'x' });
    await provider.forceFlush();

    const metrics = await receiver.waitForMetrics((ms) => ms.some((m) => m.name === 'h.dur'));
    const byName = (n: string) => metrics.find((m) => m.name === n)!;
    expect(byName('c.int')).toMatchObject({
      export: 0, kind: 'sum', unit: '{request}', description: 'an int counter', temporality: CUMULATIVE, isMonotonic: true,
      resource: expect.objectContaining({ 'service.name': 'metrics-receiver-test' }), scope: { name: 'receiver-meter', version: '4.5.6' },
      points: [expect.objectContaining({ attributes: { route: '/a' }, value: 5 })],
    });
    expect(byName('c.updown')).toMatchObject({ kind: 'sum', isMonotonic: false, points: [expect.objectContaining({ value: -7 })] });
    expect(byName('g.double')).toMatchObject({ kind: 'gauge', unit: 'By', points: [expect.objectContaining({ attributes: { k: true }, value: 2.5 })] });
    const [p] = byName('h.dur').points;
    expect(byName('h.dur')).toMatchObject({ kind: 'histogram', unit: 's', temporality: CUMULATIVE });
    expect(p).toMatchObject({ attributes: { tool: 'x' }, count: 4, min: 0.05, max: 3, bucketCounts: [1, 2, 1], explicitBounds: [0.1, 1] });
    expect(p.sum).toBeCloseTo(4.25);
    expect(p.timeUnixNano).toBeGreaterThan(BigInt(Date.now() - 60_000) * 1_000_000n);
    expect(p.startTimeUnixNano).toBeLessThanOrEqual(p.timeUnixNano);
    const req = receiver.requests.find((r) => r.path === '/v1/metrics')!;
    expect(req.headers['content-type']).toBe('application/x-protobuf');
    expect(req.headers['content-encoding']).toBe(compression);
    expect(receiver.spans).toHaveLength(0);
  });

  test('waitForMetrics times out naming the metrics it did receive', async () => {
    receiver = await startOtlpReceiver();
    provider = new MeterProvider({
      readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: receiver.metricsUrl }), exportIntervalMillis: 60_000 })],
    });
    provider.getMeter('m').createCounter('only.this').add(1);
    await provider.forceFlush();
    await expect(receiver.waitForMetrics((ms) => ms.some((m) => m.name === 'missing'), 200)).rejects.toThrow(
      /timed out after 200ms; received 1 metrics export\(s\).*only\.this/,
    );
  });
});

describe('the CLI', () => {
  let server: TestServer;
  let receiver: OtlpReceiver;
  withServerAndReceiver((s, r) => void ((server = s), (receiver = r)));

  test('exports the operation histogram and proxy counters over OTLP; SIGTERM exits 0', async () => {
    const p = run(['--upstream', server.url, '--port', '0', '--admin-port', '0'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
    });
    try {
      const { url } = await listening(p);
      const c = await connectClient(url);
      for (let i = 0; i < 3; i++) await c.client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
      for (let i = 0; i < 2; i++) await c.client.callTool({ name: 'fail', arguments: {} });

      // One export (cumulative, so any later one too) holding both tools' final counts.
      const metrics = await receiver.waitForMetrics(
        (ms) => ms.some((m) => m.name === OP && toolPoint(m, 'add')?.count === 3 && toolPoint(m, 'fail', 'tool_error')?.count === 2),
        10_000,
      );
      await c.close();
      const op = metrics.find((m) => m.name === OP && toolPoint(m, 'add')?.count === 3 && toolPoint(m, 'fail', 'tool_error')?.count === 2)!;
      expect(op).toMatchObject({ kind: 'histogram', unit: 's', temporality: CUMULATIVE });
      expect(op.resource['service.name']).toBe('mcp-trace-proxy');
      const add = toolPoint(op, 'add')!;
      const fail = toolPoint(op, 'fail', 'tool_error')!;
      expect(add.attributes['mcp.method.name']).toBe('tools/call');
      expect(add.explicitBounds).toEqual(BUCKETS);
      expect(fail.explicitBounds).toEqual(BUCKETS);
      expect(add.bucketCounts).toHaveLength(BUCKETS.length + 1);
      expect(add.bucketCounts!.reduce((a, b) => a + b, 0)).toBe(3);
      expect(add.sum).toBeGreaterThan(0);
      // No unbounded attributes on the histogram.
      expect(op.points.some((pt) => 'jsonrpc.request.id' in pt.attributes || 'mcp.session.id' in pt.attributes)).toBe(false);

      // The proxy's own counters travel in the same export.
      const requests = metrics.find((m) => m.export === op.export && m.name === 'mcp_trace_proxy.http.requests');
      expect(requests).toMatchObject({ kind: 'sum', isMonotonic: true, temporality: CUMULATIVE });
      expect(requests!.points[0].value).toBeGreaterThanOrEqual(5);
      expect(requests!.resource['service.name']).toBe('mcp-trace-proxy');

      p.child.kill('SIGTERM');
      expect(await p.exit).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
    expect(receiver.requests.filter((r) => r.path === '/v1/metrics').length).toBeGreaterThanOrEqual(1);
  });

  test('with OTEL_METRICS_EXPORTER=none there is no /metrics and nothing reaches /v1/metrics', async () => {
    const p = run(['--upstream', server.url, '--port', '0', '--admin-port', '0'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
    });
    try {
      const { url, admin } = await listening(p);
      const res = await fetch(`${admin}/metrics`);
      expect(res.status).toBe(404);
      await res.text();
      const c = await connectClient(url);
      await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
      await c.close();
      await new Promise((r) => setTimeout(r, 1000));
      expect(receiver.requests.filter((r) => r.path === '/v1/metrics')).toHaveLength(0);
      expect(receiver.metrics).toHaveLength(0);
      p.child.kill('SIGTERM');
      expect(await p.exit).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
    expect(receiver.requests.filter((r) => r.path === '/v1/metrics')).toHaveLength(0);
    // Traces still go out: only metrics are off.
    await receiver.waitForSpans((s) => s.some((x) => x.name === 'tools/call add'));
  });
});
