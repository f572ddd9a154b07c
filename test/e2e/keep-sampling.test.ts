// Keep every failure, whatever the sampling ratio: the CLI at traceidratio 0.01 in front of the SDK
// test server, a real OTLP receiver. Ten failures all arrive, marked `error`; of 200 successes only
// the head-sampled few; a 2 s call arrives marked `slow` under --keep-slow 1s. The upstream still
// gets the head decision in its traceparent, and the metrics count every operation.
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { randomBytes } from 'node:crypto';
import { listening, runCli } from '../helpers/cli';
import { connectClient } from '../helpers/mcp-client';
import { TestServer } from '../helpers/mcp-test-server';
import { OtlpReceiver } from '../helpers/otlp-receiver';
import { parsePrometheus, total } from '../helpers/prometheus';
import { withServerAndReceiver } from '../helpers/peers';

const KEPT = 'mcp_trace_proxy.sampling.kept';
const RATIO = 0.01;

let server: TestServer;
let receiver: OtlpReceiver;
withServerAndReceiver((s, r) => void ((server = s), (receiver = r)));

/** A client traceparent whose trace the proxy's head sampler drops: the SDK's own sampler decides which. */
function droppedTraceparent(): { traceId: string; traceparent: string } {
  const head = new TraceIdRatioBasedSampler(RATIO);
  for (;;) {
    const traceId = randomBytes(16).toString('hex');
    if (head.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.NOT_RECORD) {
      return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
    }
  }
}

test('at traceidratio 0.01 every failure and the slow call reach the receiver, marked; few successes do', async () => {
  const proc = runCli(['--upstream', server.url, '--port', '0', '--admin-port', '0', '--keep-slow', '1s'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: String(RATIO), OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  const failures: string[] = [];
  let slowTrace = '';
  let metrics = '';
  try {
    const { url, admin } = await listening(proc);
    const c = await connectClient(url);
    for (let i = 0; i < 10; i++) {
      const { traceId, traceparent } = droppedTraceparent();
      failures.push(traceId);
      if (i < 8) {
        expect((await c.client.callTool({ name: 'fail', arguments: {}, _meta: { traceparent } })).isError).toBe(true);
      } else {
        await expect(c.client.getPrompt({ name: 'no-such-prompt', _meta: { traceparent } })).rejects.toThrow(); // a JSON-RPC error
      }
    }
    for (let i = 0; i < 200; i++) await c.client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
    const slow = droppedTraceparent();
    slowTrace = slow.traceId;
    await c.client.callTool({ name: 'slow', arguments: { ms: 2000 }, _meta: { traceparent: slow.traceparent } });
    await c.close();
    metrics = await (await fetch(`${admin}/metrics`)).text();
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0); // after a clean exit the receiver holds every span the proxy sent
  } finally {
    proc.child.kill('SIGKILL');
  }

  const spans = receiver.spans;
  const failed = spans.filter((s) => failures.includes(s.traceId));
  expect(failed).toHaveLength(10);
  for (const s of failed) {
    expect(s.attributes[KEPT]).toBe('error');
    expect(s.status.code).toBe(2); // ERROR
    expect(s.attributes['error.type']).toEqual(expect.any(String));
    expect(s.attributes['mcp.client.name']).toBe('test-client'); // deferred attributes were filled in
  }
  expect(failed.filter((s) => s.name === 'tools/call fail')).toHaveLength(8);

  const adds = spans.filter((s) => s.name === 'tools/call add');
  expect(adds.length).toBeLessThan(20); // about 2 expected; 20 or more has odds below 1e-12
  for (const s of adds) expect(s.attributes[KEPT]).toBeUndefined();

  const slowSpan = spans.filter((s) => s.traceId === slowTrace);
  expect(slowSpan.map((s) => [s.name, s.attributes[KEPT]])).toEqual([['tools/call slow', 'slow']]);

  // The upstream got the head decision (not sampled) for the kept failures.
  for (const traceId of failures) {
    const req = server.received.find((r) => String(r.headers.traceparent ?? '').includes(traceId));
    expect(req?.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
  }

  // Metrics count every operation, sampled or not; the counter reports the kept spans by reason.
  const samples = parsePrometheus(metrics);
  expect(total(samples, 'mcp_server_operation_duration_count', { gen_ai_tool_name: 'add' })).toBe(200);
  expect(total(samples, 'mcp_trace_proxy_spans_kept_total', { reason: 'error' })).toBe(10);
  expect(total(samples, 'mcp_trace_proxy_spans_kept_total', { reason: 'slow' })).toBe(1);
}, 60_000);
