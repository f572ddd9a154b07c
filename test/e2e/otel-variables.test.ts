// The OTEL_* variables run for real: the CLI in front of the SDK test server, a real OTLP receiver,
// and what the upstream actually received. Samplers, propagators, OTEL_SDK_DISABLED, exporter
// headers, compression, resource attributes, attribute length limit, the traces endpoint, and a
// DNS failure.
import { listening, runCli as run, Proc } from '../helpers/cli';
import { connectClient } from '../helpers/mcp-client';
import { RawRequest, TestServer } from '../helpers/mcp-test-server';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver';
import { parsePrometheus, total } from '../helpers/prometheus';
import { withServerAndReceiver } from '../helpers/peers';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

let server: TestServer;
let receiver: OtlpReceiver;
withServerAndReceiver((s, r) => void ((server = s), (receiver = r)));

interface Run { proc: Proc; spans: ReceivedSpan[]; metrics: string; toolCall: RawRequest }

/**
 * Runs the CLI, makes a session with the client's `headers`, reads /metrics, then SIGTERM: after
 * exit 0 the receiver holds everything the proxy was ever going to send.
 */
async function session(env: Record<string, string>, headers: Record<string, string> = {}, args: string[] = []): Promise<Run> {
  const proc = run(['--upstream', server.url, '--port', '0', '--admin-port', '0', ...args], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env });
  let metrics = '';
  try {
    const { url, admin } = await listening(proc);
    const c = await connectClient(url, { headers });
    await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await c.close();
    const res = await fetch(`${admin}/metrics`);
    metrics = res.status === 200 ? await res.text() : `${res.status}`;
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  } finally {
    proc.child.kill('SIGKILL');
  }
  const toolCall = server.received.find((r) => r.body.toString().includes('"tools/call"'));
  if (!toolCall) throw new Error('the upstream got no tools/call');
  return { proc, spans: [...receiver.spans], metrics, toolCall };
}

const meta = (r: RawRequest): Record<string, unknown> =>
  ((JSON.parse(r.body.toString()) as { params?: { _meta?: Record<string, unknown> } }).params?._meta ?? {});
const addCount = (m: string): number => total(parsePrometheus(m), 'mcp_server_operation_duration_count', { gen_ai_tool_name: 'add' });

describe('samplers', () => {
  test('traceidratio at 0 exports nothing, still counts metrics, and tells the upstream not-sampled', async () => {
    const r = await session({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    expect(r.spans).toHaveLength(0);
    expect(addCount(r.metrics)).toBe(1);
    expect(r.toolCall.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(meta(r.toolCall).traceparent).toBe(r.toolCall.headers.traceparent);
  });

  test.each([
    ['parentbased_always_on', {}],
    ['parentbased_traceidratio', { OTEL_TRACES_SAMPLER_ARG: '1' }],
  ])('%s with a sampled-out parent exports nothing, counts metrics, and the upstream gets the not-sampled flag', async (sampler, extra) => {
    const r = await session({ OTEL_TRACES_SAMPLER: sampler, ...extra }, { traceparent: `00-${TRACE}-${PARENT}-00` });
    expect(r.spans).toHaveLength(0);
    expect(addCount(r.metrics)).toBe(1);
    const tp = r.toolCall.headers.traceparent as string;
    expect(tp).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
    expect(tp).not.toContain(PARENT);
    expect(meta(r.toolCall).traceparent).toBe(tp);
  });

  test('parentbased_always_off with a sampled parent still follows the parent', async () => {
    const r = await session({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, { traceparent: `00-${TRACE}-${PARENT}-01` });
    const add = r.spans.find((s) => s.name === 'tools/call add')!;
    expect(add.traceId).toBe(TRACE);
    expect(r.toolCall.headers.traceparent).toBe(`00-${TRACE}-${add.spanId}-01`);
  });
});

describe('propagators', () => {
  test('b3: a client sending b3 continues its trace, and the upstream receives b3 naming the proxy span', async () => {
    const r = await session({ OTEL_PROPAGATORS: 'b3' }, { b3: `${TRACE}-${PARENT}-1` });
    const add = r.spans.find((s) => s.name === 'tools/call add')!;
    expect(add.traceId).toBe(TRACE);
    expect(add.parentSpanId).toBe(PARENT);
    expect(r.toolCall.headers.b3).toBe(`${TRACE}-${add.spanId}-1`);
    expect(r.toolCall.headers.traceparent).toBeUndefined();
    expect(meta(r.toolCall).traceparent).toBeUndefined(); // _meta reserves the W3C keys only
  });

  test('b3multi: X-B3-* in, X-B3-* out', async () => {
    const r = await session({ OTEL_PROPAGATORS: 'b3multi' }, { 'X-B3-TraceId': TRACE, 'X-B3-SpanId': PARENT, 'X-B3-Sampled': '1' });
    const add = r.spans.find((s) => s.name === 'tools/call add')!;
    expect(add.traceId).toBe(TRACE);
    expect(add.parentSpanId).toBe(PARENT);
    expect(r.toolCall.headers).toMatchObject({ 'x-b3-traceid': TRACE, 'x-b3-spanid': add.spanId, 'x-b3-sampled': '1' });
    expect(r.toolCall.headers.b3).toBeUndefined();
  });

  test("none: the client's context is not extracted and the proxy injects nothing; spans are exported as roots", async () => {
    const clientTp = `00-${TRACE}-${PARENT}-01`;
    const r = await session({ OTEL_PROPAGATORS: 'none' }, { traceparent: clientTp });
    const add = r.spans.find((s) => s.name === 'tools/call add')!;
    expect(add.parentSpanId).toBe('');
    expect(add.traceId).not.toBe(TRACE);
    for (const req of server.received) {
      expect(req.headers.traceparent).toBe(clientTp); // the client's own header, passed through untouched
      expect(req.headers.b3).toBeUndefined();
      expect(req.body.toString()).not.toMatch(/traceparent|tracestate|baggage/);
    }
  });
});

test('OTEL_SDK_DISABLED=true on HTTP: bytes forwarded unchanged, nothing injected, nothing exported', async () => {
  const proc = run(['--upstream', server.url, '--port', '0', '--admin-port', '0'], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' });
  try {
    const { url, admin } = await listening(proc);
    const body = '{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}';
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body });
    expect(res.status).toBe(200);
    await res.text();
    const c = await connectClient(url);
    await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await c.close();
    expect((await fetch(`${admin}/metrics`)).status).toBe(404);
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
    expect(server.received[0].body.toString()).toBe(body);
  } finally {
    proc.child.kill('SIGKILL');
  }
  for (const req of server.received) {
    expect(req.headers.traceparent).toBeUndefined();
    expect(req.body.toString()).not.toContain('traceparent');
  }
  expect(receiver.requests).toHaveLength(0);
});

describe('at the receiver', () => {
  test('OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TRACES_HEADERS and OTEL_EXPORTER_OTLP_COMPRESSION=gzip arrive as set; OTEL_RESOURCE_ATTRIBUTES is on the resource', async () => {
    const r = await session({
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=k-123,authorization=Basic%20cGstbGY6c2stbGY=,x-signal=any',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-signal=traces',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging,service.namespace=mcp,openinference.project.name=mcp-servers',
    });
    const req = receiver.requests.find((x) => x.path === '/v1/traces')!;
    expect(req.headers['x-api-key']).toBe('k-123');
    expect(req.headers.authorization).toBe('Basic cGstbGY6c2stbGY='); // the Langfuse recipe's form
    expect(req.headers['x-signal']).toBe('traces'); // the per-signal variable wins
    expect(req.headers['content-encoding']).toBe('gzip');
    const add = r.spans.find((s) => s.name === 'tools/call add')!;
    expect(add.resource).toMatchObject({ 'deployment.environment.name': 'staging', 'service.namespace': 'mcp', 'openinference.project.name': 'mcp-servers', 'service.name': 'mcp-trace-proxy' });
  });

  test('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT truncates attribute values', async () => {
    const r = await session({ OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '8' }, {}, ['--capture-arguments']);
    const add = r.spans.find((s) => s.name === 'tools/call add')!;
    expect(add.attributes['gen_ai.tool.call.arguments']).toBe('{"a":1,"'); // the first 8 characters of {"a":1,"b":2}
    expect(String(add.attributes['mcp.session.id'])).toHaveLength(8);
    for (const v of Object.values(add.attributes)) if (typeof v === 'string') expect(v.length).toBeLessThanOrEqual(8);
  });

  test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given, over the base endpoint', async () => {
    const r = await session({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9/unused', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesUrl });
    expect(r.spans.some((s) => s.name === 'tools/call add')).toBe(true);
    expect(receiver.requests.every((x) => x.path === '/v1/traces')).toBe(true);
  });
});

test('OTEL_BSP_EXPORT_TIMEOUT: an export the collector never answers is abandoned and counted as a failure', async () => {
  const hanging = await startOtlpReceiver({ hang: true });
  const proc = run(['--upstream', server.url, '--port', '0', '--admin-port', '0'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: hanging.url, OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_BSP_EXPORT_TIMEOUT: '200', OTEL_EXPORTER_OTLP_TIMEOUT: '600000',
  });
  try {
    const { url, admin } = await listening(proc);
    const c = await connectClient(url);
    await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await c.close();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const m = parsePrometheus(await (await fetch(`${admin}/metrics`)).text());
      if (total(m, 'mcp_trace_proxy_span_export_failures_total') > 0) break;
      if (Date.now() > deadline) throw new Error('no export failure counted within 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(hanging.requests.length).toBeGreaterThan(0); // sent, never answered
  } finally {
    // Not SIGTERM: its flush would wait for the 600 s OTLP timeout, which is the point of the setting.
    proc.child.kill('SIGKILL');
    await proc.exit;
    await hanging.close();
  }
});

test('a DNS failure answers 503 with a JSON-RPC error, and the span says MTP_UPSTREAM_DNS', async () => {
  const proc = run(['--upstream', 'http://mcp-server.invalid:3001/mcp', '--port', '0', '--admin-port', '0'], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
  try {
    const { url, admin } = await listening(proc);
    const res = await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":"dns-1","method":"tools/list"}',
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', id: 'dns-1', error: { code: expect.any(Number) } });
    const m = parsePrometheus(await (await fetch(`${admin}/metrics`)).text());
    expect(total(m, 'mcp_trace_proxy_upstream_errors_total', { error_type: 'MTP_UPSTREAM_DNS' })).toBe(1);
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  } finally {
    proc.child.kill('SIGKILL');
  }
  const span = (await receiver.waitForSpans((s) => s.some((x) => x.name === 'tools/list'))).find((x) => x.name === 'tools/list')!;
  expect(span.attributes['error.type']).toBe('MTP_UPSTREAM_DNS');
  expect(span.status.code).toBe(2);
});
