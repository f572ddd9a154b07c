// The 2024-11-05 HTTP+SSE transport: GET /sse with an endpoint event, POSTs answered 202, responses on the stream.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { z } from 'zod';
import { Everything, startEverything } from '../helpers/everything';
import { TracedProxy, startProxy } from '../helpers/proxy';
import * as sc from '../../src/tracing/semconv';

interface SseTestServer {
  url: string;
  posts: { url: string; body: string }[];
  close(): Promise<void>;
}

/** An SDK SSEServerTransport server. `absoluteEndpoint`: announce the POST URL as an absolute URL. */
async function startSseServer(absoluteEndpoint: boolean): Promise<SseTestServer> {
  const transports = new Map<string, SSEServerTransport>();
  const posts: { url: string; body: string }[] = [];
  let base = '';
  const server = http.createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === '/sse') {
      const t = new SSEServerTransport(absoluteEndpoint ? `${base}/messages` : '/messages', res);
      transports.set(t.sessionId, t);
      const mcp = new McpServer({ name: 'sse-test', version: '1.0.0' });
      mcp.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
      mcp.registerTool('echo_meta', { inputSchema: {} }, async (_a, extra) => ({ content: [{ type: 'text', text: JSON.stringify(extra._meta ?? null) }] }));
      mcp.registerTool('fail', { inputSchema: {} }, async () => ({ content: [{ type: 'text', text: 'no' }], isError: true }));
      res.on('close', () => transports.delete(t.sessionId));
      await mcp.connect(t);
      return;
    }
    if (req.method === 'POST' && req.url?.startsWith('/messages')) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString();
      posts.push({ url: req.url, body });
      const t = transports.get(new URL(req.url, 'http://x').searchParams.get('sessionId') ?? '');
      if (!t) return void res.writeHead(404).end();
      await t.handlePostMessage(req, res, JSON.parse(body));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/sse`,
    posts,
    close: async () => {
      for (const t of transports.values()) await t.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function connect(url: string) {
  const client = new Client({ name: 'legacy-client', version: '1.0.0' });
  await client.connect(new SSEClientTransport(new URL(url)));
  return client;
}

describe.each([false, true])('SDK SSEServerTransport (absolute endpoint: %s)', (absolute) => {
  let server: SseTestServer;
  let px: TracedProxy;
  beforeEach(async () => {
    server = await startSseServer(absolute);
    px = await startProxy(server.url);
  });
  afterEach(async () => {
    await px.close();
    await server.close();
  });

  test('a session returns what it returns directly; POSTs go through the proxy; responses on the stream end the spans', async () => {
    const direct = await connect(server.url);
    const proxied = await connect(px.url);
    try {
      expect((await proxied.listTools()).tools.map((t) => t.name)).toEqual((await direct.listTools()).tools.map((t) => t.name));
      expect(await proxied.callTool({ name: 'add', arguments: { a: 2, b: 2 } })).toEqual({ content: [{ type: 'text', text: '4' }] });
      const fail = await proxied.callTool({ name: 'fail', arguments: {} });
      expect(fail.isError).toBe(true);
      const res = await proxied.callTool({ name: 'echo_meta', arguments: {} });
      const meta = JSON.parse((res.content as { text: string }[])[0].text) as { traceparent: string };
      const echo = await px.span('tools/call echo_meta');
      expect(meta.traceparent).toBe(`00-${echo.spanContext().traceId}-${echo.spanContext().spanId}-01`);
    } finally {
      await direct.close();
      await proxied.close();
    }
    const add = await px.span('tools/call add');
    expect(add.kind).toBe(SpanKind.SERVER);
    expect(add.attributes[sc.ATTR_MCP_PROXY_OUTCOME]).toBeUndefined(); // ended by its response, not by expiry
    const sessionId = add.attributes[sc.ATTR_MCP_SESSION_ID];
    expect(server.posts.some((p) => p.url.includes(`sessionId=${sessionId}`))).toBe(true);
    const fail = await px.span('tools/call fail');
    expect(fail.status.code).toBe(SpanStatusCode.ERROR);
    expect(fail.attributes[sc.ATTR_ERROR_TYPE]).toBe('tool_error');
    // With an absolute endpoint the proxy rewrote it, so the proxied client's POSTs came through the proxy.
    expect(px.spans().filter((s) => s.name === 'tools/call add')).toHaveLength(1);
  });
});

describe('server-everything in sse mode', () => {
  let everything: Everything;
  let px: TracedProxy;
  beforeAll(async () => {
    everything = await startEverything('sse');
  });
  afterAll(async () => {
    await everything.close();
  });
  beforeEach(async () => {
    px = await startProxy(everything.url);
  });
  afterEach(async () => {
    await px.close();
  });

  test('initialize, list tools, call a tool, and a tool error', async () => {
    const client = await connect(px.url);
    try {
      expect((await client.listTools()).tools.length).toBeGreaterThan(3);
      expect(JSON.stringify(await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }))).toContain('3');
      await client.callTool({ name: 'no-such-tool', arguments: {} }).catch(() => undefined);
    } finally {
      await client.close();
    }
    for (const name of ['initialize', 'tools/list', 'tools/call get-sum']) {
      const span = await px.span(name);
      expect(span.attributes[sc.ATTR_MCP_PROXY_OUTCOME]).toBeUndefined();
      expect(span.attributes[sc.ATTR_MCP_SESSION_ID]).toEqual(expect.any(String));
    }
    expect((await px.span('tools/call no-such-tool')).status.code).toBe(SpanStatusCode.ERROR);
  });
});
