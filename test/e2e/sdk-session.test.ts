// The official SDK client through the proxy to a real SDK server: results identical to direct,
// one correctly named and attributed span per operation.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { TracedProxy, startProxy } from '../helpers/proxy';
import * as sc from '../../src/tracing/semconv';

let server: TestServer;
let px: TracedProxy;

beforeEach(async () => {
  server = await startTestServer();
  px = await startProxy(server.url);
});

afterEach(async () => {
  await px.close();
  await server.close();
});

async function session(url: string) {
  const c = await connectClient(url);
  try {
    return {
      tools: (await c.client.listTools()).tools.map((t) => t.name).sort(),
      add: await c.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }),
      fail: await c.client.callTool({ name: 'fail', arguments: {} }),
      prompt: await c.client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } }),
      resource: await c.client.readResource({ uri: 'test://info' }),
    };
  } finally {
    await c.close();
  }
}

test('the SDK client gets the same results through the proxy as directly', async () => {
  const direct = await session(server.url);
  const proxied = await session(px.url);
  expect(proxied).toEqual(direct);
  expect(proxied.add).toEqual({ content: [{ type: 'text', text: '5' }] });
});

test('each operation is one SERVER span named and attributed per the MCP conventions', async () => {
  await session(px.url);
  const add = await px.span('tools/call add');
  expect(add.kind).toBe(SpanKind.SERVER);
  expect(add.status.code).toBe(SpanStatusCode.UNSET);
  expect(add.attributes).toMatchObject({
    [sc.ATTR_MCP_METHOD_NAME]: 'tools/call',
    [sc.ATTR_GEN_AI_TOOL_NAME]: 'add',
    [sc.ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
    [sc.ATTR_NETWORK_TRANSPORT]: 'tcp',
    [sc.ATTR_NETWORK_PROTOCOL_NAME]: 'http',
    [sc.ATTR_NETWORK_PROTOCOL_VERSION]: '1.1',
    [sc.ATTR_SERVER_ADDRESS]: '127.0.0.1',
    [sc.ATTR_CLIENT_ADDRESS]: '127.0.0.1',
  });
  expect(typeof add.attributes[sc.ATTR_JSONRPC_REQUEST_ID]).toBe('string');
  expect(add.attributes[sc.ATTR_MCP_PROTOCOL_VERSION]).toMatch(/^\d{4}-\d{2}-\d{2}$/);

  const init = await px.span('initialize');
  const sessionId = init.attributes[sc.ATTR_MCP_SESSION_ID];
  expect(sessionId).toEqual(expect.any(String));
  expect(add.attributes[sc.ATTR_MCP_SESSION_ID]).toBe(sessionId);

  const fail = await px.span('tools/call fail');
  expect(fail.status.code).toBe(SpanStatusCode.ERROR);
  expect(fail.attributes[sc.ATTR_ERROR_TYPE]).toBe('tool_error');
  expect(fail.status.message).not.toContain('it failed'); // the tool's own text stays private

  const prompt = await px.span('prompts/get greet');
  expect(prompt.attributes[sc.ATTR_GEN_AI_PROMPT_NAME]).toBe('greet');
  const read = await px.span('resources/read');
  expect(read.attributes[sc.ATTR_MCP_RESOURCE_URI]).toBe('test://info');
  const note = await px.span('notifications/initialized');
  expect(note.attributes[sc.ATTR_JSONRPC_REQUEST_ID]).toBeUndefined();

  // One span per operation: no duplicates, none for the GET stream or DELETE.
  const names = px.spans().map((s) => s.name).sort();
  expect(names).toEqual(['initialize', 'notifications/initialized', 'prompts/get greet', 'resources/read', 'tools/call add', 'tools/call fail', 'tools/list']);
});

test('a JSON-RPC error response sets error.type, rpc.response.status_code and the message', async () => {
  const c = await connectClient(px.url);
  await expect(c.client.getPrompt({ name: 'no-such-prompt' })).rejects.toThrow();
  await c.close();
  const span = await px.span('prompts/get no-such-prompt');
  expect(span.status.code).toBe(SpanStatusCode.ERROR);
  expect(span.attributes[sc.ATTR_ERROR_TYPE]).toBe('-32602');
  expect(span.attributes[sc.ATTR_RPC_RESPONSE_STATUS_CODE]).toBe('-32602');
  expect(span.status.message).toMatch(/no-such-prompt/);
});

test('progress and log notifications on the stream become events on the request span', async () => {
  const c = await connectClient(px.url);
  const seen: number[] = [];
  await c.client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
  await c.close();
  expect(seen).toEqual([1, 2, 3]);
  const span = await px.span('tools/call progress');
  const progress = span.events.filter((e) => e.name === sc.EVENT_PROGRESS);
  expect(progress.map((e) => e.attributes?.[sc.ATTR_EVENT_PROGRESS])).toEqual([1, 2, 3]);
  expect(progress[0].attributes?.[sc.ATTR_EVENT_PROGRESS_TOTAL]).toBe(3);
  expect(span.events.some((e) => e.name === sc.EVENT_LOG_MESSAGE && e.attributes?.[sc.ATTR_EVENT_LOG_LEVEL] === 'info')).toBe(true);
});

test('a cancelled request ends its span with the cancellation recorded, not as an error', async () => {
  const c = await connectClient(px.url);
  const ac = new AbortController();
  const call = c.client.callTool({ name: 'slow', arguments: { ms: 5000 } }, undefined, { signal: ac.signal });
  await new Promise((r) => setTimeout(r, 200));
  ac.abort('user gave up');
  await expect(call).rejects.toThrow();
  const span = await px.span('tools/call slow');
  await c.close();
  expect(span.events.map((e) => e.name)).toContain(sc.EVENT_CANCELLED);
  expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  expect(span.attributes[sc.ATTR_MCP_PROXY_OUTCOME]).toMatch(/cancelled|client_abort/);
  await px.span('notifications/cancelled');
});

test('credentials and cookies never reach a span', async () => {
  const c = await connectClient(px.url, { headers: { authorization: 'Bearer sekrit-token', cookie: 'sid=sekrit-cookie' } });
  await c.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
  await c.close();
  await px.span('tools/call add');
  const dump = JSON.stringify(px.spans().map((s) => [s.attributes, s.events, s.status, s.links]));
  expect(dump).not.toMatch(/sekrit/);
  expect(px.logs.join('\n')).not.toMatch(/sekrit/);
});

test('JSON responses (enableJsonResponse) are correlated as well as SSE ones', async () => {
  const jsonServer = await startTestServer({ jsonResponse: true });
  const p = await startProxy(jsonServer.url);
  try {
    const c = await connectClient(p.url);
    expect(await c.client.callTool({ name: 'add', arguments: { a: 40, b: 2 } })).toEqual({ content: [{ type: 'text', text: '42' }] });
    await c.close();
    const span = await p.span('tools/call add');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes[sc.ATTR_MCP_PROXY_OUTCOME]).toBeUndefined();
  } finally {
    await p.close();
    await jsonServer.close();
  }
});
