// Metrics at /metrics agree with the spans; log lines carry the ids of spans that exist.
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { parsePrometheus, sample, total } from '../helpers/prometheus';
import { TracedProxy, startProxy } from '../helpers/proxy';

let server: TestServer;
let px: TracedProxy;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await px.close();
  await server.close();
});

const OP = 'mcp_server_operation_duration';

test('after a known sequence of calls, /metrics holds exactly those counts per tool and error.type', async () => {
  px = await startProxy(server.url);
  const c = await connectClient(px.url);
  for (let i = 0; i < 3; i++) await c.client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
  for (let i = 0; i < 2; i++) await c.client.callTool({ name: 'fail', arguments: {} });
  await c.client.callTool({ name: 'slow', arguments: { ms: 150 } });
  await expect(c.client.getPrompt({ name: 'nope' })).rejects.toThrow();
  const during = parsePrometheus(await (await fetch(`${px.proxy.adminUrl}/metrics`)).text());
  expect(sample(during, 'mcp_trace_proxy_sessions_active')).toBe(1);
  await c.transport.terminateSession(); // DELETE ends the session
  await c.close();

  const res = await fetch(`${px.proxy.adminUrl}/metrics`);
  expect(res.status).toBe(200);
  const m = parsePrometheus(await res.text());
  const tool = (name: string, extra: Record<string, string> = {}) => ({ mcp_method_name: 'tools/call', gen_ai_tool_name: name, ...extra });

  expect(sample(m, `${OP}_count`, tool('add'))).toBe(3);
  expect(total(m, `${OP}_count`, tool('add', { error_type: 'tool_error' }))).toBe(0);
  expect(sample(m, `${OP}_count`, tool('fail', { error_type: 'tool_error' }))).toBe(2);
  expect(sample(m, `${OP}_count`, { mcp_method_name: 'prompts/get', gen_ai_prompt_name: 'nope', error_type: '-32602' })).toBe(1);
  // Bucket placement: the 150 ms call is above 0.1 s and within 0.2 s.
  expect(sample(m, `${OP}_bucket`, tool('slow', { le: '0.1' }))).toBe(0);
  expect(sample(m, `${OP}_bucket`, tool('slow', { le: '0.2' }))).toBe(1);
  expect(sample(m, `${OP}_bucket`, tool('slow', { le: '+Inf' }))).toBe(1);
  // Consistent with the spans: one operation counted per span.
  expect(total(m, `${OP}_count`)).toBe(px.spans().length);
  // No unbounded labels.
  expect(m.some((s) => 'jsonrpc_request_id' in s.labels || 'mcp_session_id' in s.labels || 'client_address' in s.labels)).toBe(false);
  // The proxy's own counters.
  expect(sample(m, 'mcp_trace_proxy_sessions_active')).toBe(0);
  expect(sample(m, 'mcp_server_session_duration_count')).toBe(1);
  expect(sample(m, 'mcp_trace_proxy_messages_total', { mcp_trace_proxy_direction: 'client_to_server' })).toBeGreaterThanOrEqual(8);
  expect(sample(m, 'mcp_trace_proxy_http_requests_total')).toBeGreaterThanOrEqual(8);
});

test('the access log has one line per operation whose trace id is an exported span', async () => {
  px = await startProxy(server.url, { accessLog: true });
  const c = await connectClient(px.url);
  await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
  await c.client.callTool({ name: 'fail', arguments: {} });
  await c.close();
  const span = await px.span('tools/call fail');
  const lines = px.logs.filter((l) => l.startsWith('info mcp '));
  const parsed = lines.map((l) => JSON.parse(l.slice('info mcp '.length)) as Record<string, string | number>);
  const failLine = parsed.find((p) => p.target === 'fail')!;
  expect(failLine).toMatchObject({ method: 'tools/call', status: 'error', error_type: 'tool_error', trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
  expect(typeof failLine.duration_ms).toBe('number');
  const spanIds = new Set(px.spans().map((s) => s.spanContext().spanId));
  expect(parsed.length).toBe(px.spans().length);
  for (const p of parsed) expect(spanIds.has(p.span_id as string)).toBe(true);
});

test('--trace-response names the trace in a traceresponse header', async () => {
  px = await startProxy(server.url, { traceResponse: true });
  const res = await fetch(px.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}',
  });
  await res.text();
  const span = await px.span('initialize');
  expect(res.headers.get('traceresponse')).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
});
