// Opt-in capture (redacted), Host/Origin allow-lists, and the drain delay at shutdown.
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { TracedProxy, startProxy } from '../helpers/proxy';
import { configFrom } from '../../src/cli/config';
import * as sc from '../../src/tracing/semconv';

let server: TestServer;
let px: TracedProxy;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await px?.close();
  await server.close();
});

test('by default no tool arguments or results are recorded', async () => {
  px = await startProxy(server.url);
  const c = await connectClient(px.url);
  await c.client.callTool({ name: 'add', arguments: { a: 123456, b: 654321 } });
  await c.close();
  const span = await px.span('tools/call add');
  expect(span.attributes[sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();
  expect(span.attributes[sc.ATTR_GEN_AI_TOOL_CALL_RESULT]).toBeUndefined();
  expect(JSON.stringify(px.spans().map((s) => s.attributes))).not.toMatch(/123456|777777/);
});

test('--capture-arguments / --capture-results record them, redacted and truncated', async () => {
  const opts = configFrom({ upstream: server.url }, {});
  px = await startProxy(server.url, { captureArguments: true, captureResults: true, captureMaxLength: 200, redactKeys: [...opts.redactKeys, 'b'] });
  const c = await connectClient(px.url);
  await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
  await c.close();
  const span = await px.span('tools/call add');
  expect(JSON.parse(span.attributes[sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] as string)).toEqual({ a: 1, b: '[REDACTED]' });
  expect(JSON.parse(span.attributes[sc.ATTR_GEN_AI_TOOL_CALL_RESULT] as string)).toEqual({ content: [{ type: 'text', text: '3' }] });
});

test('--allowed-hosts and --allowed-origins answer 403 with a JSON-RPC error', async () => {
  px = await startProxy(server.url, { allowedHosts: ['localhost'], allowedOrigins: ['https://app.example'] });
  const body = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}';
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const byIp = await fetch(px.url, { method: 'POST', headers, body }); // Host: 127.0.0.1:PORT
  expect(byIp.status).toBe(403);
  expect(await byIp.json()).toMatchObject({ error: { message: expect.stringContaining('Host') } });
  const viaLocalhost = px.url.replace('127.0.0.1', 'localhost');
  const badOrigin = await fetch(viaLocalhost, { method: 'POST', headers: { ...headers, origin: 'https://evil.example' }, body });
  expect(badOrigin.status).toBe(403);
  const c = await connectClient(viaLocalhost);
  expect((await c.client.listTools()).tools.length).toBeGreaterThan(0);
  await c.close();
  expect(server.received.every((r) => r.headers.host?.startsWith('localhost'))).toBe(true);
});

test('at shutdown /readyz turns 503 during --drain-delay while requests are still served', async () => {
  px = await startProxy(server.url, { drainDelayMs: 600 });
  const admin = px.proxy.adminUrl!;
  expect((await fetch(`${admin}/readyz`)).status).toBe(200);
  const closing = px.close();
  await new Promise((r) => setTimeout(r, 100));
  expect((await fetch(`${admin}/readyz`)).status).toBe(503);
  const c = await connectClient(px.url); // still accepted during the drain delay
  await c.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
  await c.close();
  await closing;
});
