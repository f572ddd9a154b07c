// Sanity checks for the end-to-end test peers themselves, without any proxy in between,
// so a failing e2e test can be blamed on the proxy rather than on its test rig.
import { startTestServer, type TestServer, type TestServerOptions } from './helpers/mcp-test-server';
import { startEverything } from './helpers/everything';
import { connectClient } from './helpers/mcp-client';

// callTool's result type is a union with the legacy {toolResult} shape, hence the loose typing.
type TextContent = { type: string; text?: string };
const firstText = (res: Record<string, unknown>): string | undefined => (res.content as TextContent[] | undefined)?.[0]?.text;

describe('test server (stateful, SSE responses)', () => {
  let server: TestServer;
  let conn: Awaited<ReturnType<typeof connectClient>>;

  beforeAll(async () => {
    server = await startTestServer();
    conn = await connectClient(server.url, { headers: { 'x-test-header': 'yes' } });
  });
  afterAll(async () => {
    await conn?.close();
    await server?.close();
  });

  it('lists the tools', async () => {
    const { tools } = await conn.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['add', 'echo_meta', 'fail', 'progress', 'slow']));
  });

  it('calls add', async () => {
    const res = await conn.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(firstText(res)).toBe('5');
  });

  it('reports a tool error with isError', async () => {
    const res = await conn.client.callTool({ name: 'fail', arguments: {} });
    expect(res.isError).toBe(true);
    expect(firstText(res)).toBe('it failed');
  });

  it('echoes _meta and HTTP headers', async () => {
    const res = await conn.client.callTool({ name: 'echo_meta', arguments: {}, _meta: { traceparent: 'tp-value' } });
    const seen = JSON.parse(firstText(res)!);
    expect(seen.meta).toEqual({ traceparent: 'tp-value' });
    expect(seen.headers['x-test-header']).toBe('yes');
  });

  it('sends progress notifications when given a progress token', async () => {
    const progress: number[] = [];
    const res = await conn.client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(firstText(res)).toBe('done');
    expect(progress).toEqual([1, 2, 3]);
  });

  it('runs slow, and cancels it on abort', async () => {
    expect(firstText(await conn.client.callTool({ name: 'slow', arguments: { ms: 20 } }))).toBe('slept');
    const ac = new AbortController();
    const call = conn.client.callTool({ name: 'slow', arguments: { ms: 10_000 } }, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort('stop'), 50);
    await expect(call).rejects.toThrow();
    // The session still works after a cancellation.
    expect(firstText(await conn.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } }))).toBe('2');
  });

  it('gets the greet prompt', async () => {
    const res = await conn.client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
    expect(res.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Hello, Ada' } }]);
  });

  it('reads the info resource', async () => {
    const res = await conn.client.readResource({ uri: 'test://info' });
    expect(res.contents).toEqual([expect.objectContaining({ uri: 'test://info', text: 'info' })]);
  });

  it('records raw requests', () => {
    const posts = server.received.filter((r) => r.method === 'POST');
    expect(JSON.parse(posts[0].body.toString()).method).toBe('initialize');
    expect(posts.some((r) => r.body.toString().includes('"name":"add"'))).toBe(true);
    expect(posts[1].headers['mcp-session-id']).toEqual(expect.any(String));
  });

  it('answers unparseable JSON with a JSON-RPC parse error', async () => {
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  });
});

describe.each<[string, TestServerOptions]>([
  ['stateless', { stateless: true }],
  ['jsonResponse', { jsonResponse: true }],
  ['stateless + jsonResponse', { stateless: true, jsonResponse: true }],
])('test server (%s)', (_label, opts) => {
  it('calls add', async () => {
    const server = await startTestServer(opts);
    try {
      const conn = await connectClient(server.url);
      try {
        const res = await conn.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
        expect(firstText(res)).toBe('5');
      } finally {
        await conn.close();
      }
      if (opts.stateless) expect(server.received.every((r) => r.headers['mcp-session-id'] === undefined)).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('server-everything', () => {
  it('lists tools and echoes', async () => {
    const everything = await startEverything();
    try {
      const conn = await connectClient(everything.url);
      try {
        const { tools } = await conn.client.listTools();
        expect(tools.length).toBeGreaterThan(0);
        const res = await conn.client.callTool({ name: 'echo', arguments: { message: 'hi' } });
        expect(firstText(res)).toContain('hi');
      } finally {
        await conn.close();
      }
    } finally {
      await everything.close();
    }
  });
});
