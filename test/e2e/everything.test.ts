// The reference server (@modelcontextprotocol/server-everything, streamableHttp) behind the proxy.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Everything, startEverything } from '../helpers/everything';
import { TracedProxy, startProxy } from '../helpers/proxy';
import * as sc from '../../src/tracing/semconv';

let everything: Everything;
let px: TracedProxy;

beforeAll(async () => {
  everything = await startEverything();
});
afterAll(async () => {
  await everything?.close();
});
beforeEach(async () => {
  px = await startProxy(everything.url);
});
afterEach(async () => {
  await px.close();
});

async function sampler(url: string) {
  const client = new Client({ name: 'sampling-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled!' },
  }));
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

test('tool calls return what they return directly, and each is a span', async () => {
  const direct = await sampler(everything.url);
  const proxied = await sampler(px.url);
  try {
    for (const c of [direct, proxied]) expect((await c.listTools()).tools.length).toBeGreaterThan(5);
    const args = { name: 'get-sum', arguments: { a: 20, b: 22 } };
    expect(await proxied.callTool(args)).toEqual(await direct.callTool(args));
    const echo = await proxied.callTool({ name: 'echo', arguments: { message: 'hello' } });
    expect(JSON.stringify(echo)).toContain('hello');
  } finally {
    await direct.close();
    await proxied.close();
  }
  const sum = await px.span('tools/call get-sum');
  expect(sum.attributes[sc.ATTR_GEN_AI_TOOL_NAME]).toBe('get-sum');
  expect(sum.attributes[sc.ATTR_MCP_SESSION_ID]).toEqual(expect.any(String));
  await px.span('tools/call echo');
  await px.span('tools/list');
});

test('a server→client sampling request is a CLIENT span under the tool call that asked for it', async () => {
  const client = await sampler(px.url);
  try {
    const res = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 10 } });
    expect(JSON.stringify(res)).toContain('sampled!');
  } finally {
    await client.close();
  }
  const call = await px.span('tools/call trigger-sampling-request');
  const sampling = await px.span('sampling/createMessage');
  expect(sampling.kind).toBe(SpanKind.CLIENT);
  expect(sampling.status.code).toBe(SpanStatusCode.UNSET);
  expect(sampling.spanContext().traceId).toBe(call.spanContext().traceId);
  expect(sampling.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
  expect(sampling.attributes[sc.ATTR_MCP_PROXY_OUTCOME]).toBeUndefined(); // ended by the client's response
});
