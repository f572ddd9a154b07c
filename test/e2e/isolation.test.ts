// No client reaches another's telemetry. A request's scope, session tracking and cancellations take
// effect only once the upstream accepted it: a request refused (400 for a bad MCP-Protocol-Version,
// 404 for a wrong path) that names a victim's Mcp-Session-Id touches nothing of the victim's. And
// two clients that use the same request ids at once each get their own span, on every transport
// that carries many clients (Streamable HTTP, legacy HTTP+SSE, WebSocket). Real peers on loopback.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import WebSocket, { WebSocketServer } from 'ws';
import { z } from 'zod';
import { ConnectedClient, connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { parsePrometheus, sample } from '../helpers/prometheus';
import { TracedProxy, startProxy } from '../helpers/proxy';

const OUTCOME = 'mcp_trace_proxy.outcome';
const SESSION = 'mcp.session.id';
const REQUEST_ID = 'jsonrpc.request.id';
const RESULT = 'gen_ai.tool.call.result';
/** Long enough that the attacks, a few loopback requests, end well before it on a loaded machine; checked below. */
const SLOW_MS = 3000;

let px: TracedProxy | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await px?.close();
  px = undefined;
});

async function until<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const spansNamed = (name: string): ReadableSpan[] => px!.spans().filter((s) => s.name === name);

describe('Streamable HTTP: a refused request naming a victim\'s session touches nothing of the victim\'s', () => {
  let server: TestServer;
  let victim: ConnectedClient;
  let sessionId: string;

  beforeEach(async () => {
    server = await startTestServer();
    cleanups.push(() => server.close());
    px = await startProxy(server.url);
    victim = await connectClient(px.url);
    cleanups.push(() => victim.close());
    sessionId = victim.transport.sessionId as string;
    expect(sessionId).toEqual(expect.any(String));
  });

  async function sessionsActive(): Promise<number> {
    return sample(parsePrometheus(await (await fetch(`${px!.proxy.adminUrl}/metrics`)).text()), 'mcp_trace_proxy_sessions_active');
  }

  /** The victim's slow tool call, once the upstream has it: its promise and its exact request id. */
  async function victimCall(options: { signal?: AbortSignal } = {}) {
    const call = victim.client.callTool({ name: 'slow', arguments: { ms: SLOW_MS } }, undefined, options);
    const req = await until(
      () => server.received.find((r) => r.body.includes('"name":"slow"')),
      (r) => r !== undefined, 'the victim\'s call to reach the upstream',
    );
    const id = (JSON.parse(req!.body.toString()) as { id: number | string }).id;
    return { call, id };
  }

  // Each refusal: the upstream itself says no, before any message acts.
  const REFUSALS = {
    'a bad MCP-Protocol-Version (400)': { path: '/mcp', headers: { 'mcp-protocol-version': '1999-01-01' }, status: 400 },
    'a wrong path (404)': { path: '/elsewhere', headers: {}, status: 404 },
  } as const;
  const ATTACKS = {
    'a notifications/cancelled naming the victim\'s request id': (id: number | string) => ({
      method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'forged' } }),
    }),
    'a request reusing the victim\'s request id': (id: number | string) => ({
      method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'steal', arguments: {} } }),
    }),
    'a DELETE of the victim\'s session': () => ({ method: 'DELETE', body: undefined }),
  } as const;

  describe.each(Object.keys(REFUSALS) as (keyof typeof REFUSALS)[])('refused for %s', (refusal) => {
    test.each(Object.keys(ATTACKS) as (keyof typeof ATTACKS)[])('%s: the victim\'s span ends answered, the session still tracked', async (attack) => {
      const before = await sessionsActive();
      expect(before).toBe(1);
      const { call, id } = await victimCall();
      const r = REFUSALS[refusal];
      const a = ATTACKS[attack](id);
      const res = await fetch(new URL(r.path, px!.proxy.url), {
        method: a.method, body: a.body,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, ...r.headers },
      });
      expect(res.status).toBe(r.status);
      await res.text();
      // The attack was over while the victim's call was still open; else this test proves nothing.
      expect(spansNamed('tools/call slow')).toEqual([]);
      expect(await sessionsActive()).toBe(before);

      expect(await call).toEqual({ content: [{ type: 'text', text: 'slept' }] });
      const [span] = await until(() => spansNamed('tools/call slow'), (s) => s.length > 0, 'the victim\'s span');
      expect(span.attributes[REQUEST_ID]).toBe(String(id));
      expect(span.attributes[SESSION]).toBe(sessionId);
      expect(span.attributes[OUTCOME]).toBeUndefined();
      expect(span.status.code).toBe(0); // UNSET
      expect(span.events.map((e) => e.name)).not.toContain('mcp.cancelled');
      expect(spansNamed('tools/call slow')).toHaveLength(1);

      // The session is still the victim's: a later request correlates in it.
      expect(await victim.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).toEqual({ content: [{ type: 'text', text: '5' }] });
      const [add] = await until(() => spansNamed('tools/call add'), (s) => s.length > 0, 'the victim\'s later span');
      expect(add.attributes[SESSION]).toBe(sessionId);
      expect(add.attributes[OUTCOME]).toBeUndefined();
      expect(await sessionsActive()).toBe(before);
    }, 30_000);
  });

  test('positive control: the victim\'s own notifications/cancelled, accepted, cancels its span', async () => {
    const ac = new AbortController();
    const { call, id } = await victimCall({ signal: ac.signal });
    ac.abort('the user gave up');
    await expect(call).rejects.toThrow();
    const [span] = await until(() => spansNamed('tools/call slow'), (s) => s.length > 0, 'the victim\'s span');
    expect(span.attributes[REQUEST_ID]).toBe(String(id));
    expect(span.attributes[OUTCOME]).toBe('cancelled');
    expect(span.events.map((e) => e.name)).toContain('mcp.cancelled');
    expect(span.status.code).toBe(0); // a cancellation is not an error
    const [note] = await until(() => spansNamed('notifications/cancelled'), (s) => s.length > 0, 'the cancel\'s own span');
    expect(note.attributes[OUTCOME]).toBeUndefined(); // delivered: the upstream accepted it
    expect(note.status.code).toBe(0);
  }, 30_000);
});

describe('two clients use the same request ids at once: each span is answered with its own result', () => {
  test('Streamable HTTP, two sessions of the SDK server', async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    px = await startProxy(server.url, { captureResults: true });
    const a = await connectClient(px.url);
    cleanups.push(() => a.close());
    const b = await connectClient(px.url);
    cleanups.push(() => b.close());
    // Both clients sent the same requests so far, so their next ids are equal.
    const slow = a.client.callTool({ name: 'slow', arguments: { ms: SLOW_MS } });
    await until(() => server.received.filter((r) => r.body.includes('"name":"slow"')), (r) => r.length === 1, 'A\'s call at the upstream');
    expect(await b.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).toEqual({ content: [{ type: 'text', text: '5' }] });
    expect(spansNamed('tools/call slow')).toEqual([]); // A's call was open all the while
    expect(await slow).toEqual({ content: [{ type: 'text', text: 'slept' }] });

    const [slowSpan] = await until(() => spansNamed('tools/call slow'), (s) => s.length > 0, 'A\'s span');
    const [addSpan] = spansNamed('tools/call add');
    expect(addSpan.attributes[REQUEST_ID]).toBe(slowSpan.attributes[REQUEST_ID]);
    expect(slowSpan.attributes[SESSION]).toBe(a.transport.sessionId);
    expect(addSpan.attributes[SESSION]).toBe(b.transport.sessionId);
    expect(slowSpan.attributes[SESSION]).not.toBe(addSpan.attributes[SESSION]);
    for (const s of [slowSpan, addSpan]) expect(s.attributes[OUTCOME]).toBeUndefined();
    expect(slowSpan.attributes[RESULT]).toContain('slept');
    expect(addSpan.attributes[RESULT]).toContain('"5"');
  }, 30_000);

  test('legacy HTTP+SSE, two sessions of an SDK SSEServerTransport server', async () => {
    // A legacy server whose `hold` tool answers only when the test releases it.
    const transports = new Map<string, SSEServerTransport>();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held = 0;
    const httpServer = http.createServer(async (req, res) => {
      if (req.method === 'GET' && req.url === '/sse') {
        const t = new SSEServerTransport('/messages', res);
        transports.set(t.sessionId, t);
        const mcp = new McpServer({ name: 'legacy-isolation', version: '1.0.0' });
        mcp.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
        mcp.registerTool('hold', { inputSchema: {} }, async () => {
          held++;
          await released;
          return { content: [{ type: 'text', text: 'held' }] };
        });
        res.on('close', () => transports.delete(t.sessionId));
        await mcp.connect(t);
        return;
      }
      if (req.method === 'POST' && req.url?.startsWith('/messages')) {
        const t = transports.get(new URL(req.url, 'http://x').searchParams.get('sessionId') ?? '');
        if (!t) return void res.writeHead(404).end();
        await t.handlePostMessage(req, res);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      release();
      for (const t of transports.values()) await t.close();
      httpServer.closeAllConnections();
      await new Promise((r) => httpServer.close(r));
    });
    px = await startProxy(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/sse`, { captureResults: true });
    const connect = async () => {
      const c = new Client({ name: 'legacy-client', version: '1.0.0' });
      await c.connect(new SSEClientTransport(new URL(px!.url)));
      cleanups.push(() => c.close());
      return c;
    };
    const a = await connect();
    const b = await connect();
    const hold = a.callTool({ name: 'hold', arguments: {} });
    await until(() => held, (n) => n === 1, 'A\'s call at the upstream');
    expect(await b.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).toEqual({ content: [{ type: 'text', text: '5' }] });
    release();
    expect(await hold).toEqual({ content: [{ type: 'text', text: 'held' }] });

    const [holdSpan] = await until(() => spansNamed('tools/call hold'), (s) => s.length > 0, 'A\'s span');
    const [addSpan] = spansNamed('tools/call add');
    expect(addSpan.attributes[REQUEST_ID]).toBe(holdSpan.attributes[REQUEST_ID]);
    expect(holdSpan.attributes[SESSION]).not.toBe(addSpan.attributes[SESSION]);
    for (const s of [holdSpan, addSpan]) expect(s.attributes[OUTCOME]).toBeUndefined();
    expect(holdSpan.attributes[RESULT]).toContain('held');
    expect(addSpan.attributes[RESULT]).toContain('"5"');
  }, 30_000);

  test('WebSocket, two connections: both requests pending at the upstream at once', async () => {
    // An upstream that answers only once both connections' requests came, each with its own argument.
    const waiting: { ws: WebSocket; id: unknown; who: string }[] = [];
    const httpServer = http.createServer();
    const wss = new WebSocketServer({ server: httpServer, handleProtocols: (p) => (p.has('mcp') ? 'mcp' : false) });
    wss.on('connection', (ws) => ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { id: unknown; params: { arguments: { who: string } } };
      waiting.push({ ws, id: m.id, who: m.params.arguments.who });
      if (waiting.length < 2) return;
      for (const w of waiting.splice(0)) w.ws.send(JSON.stringify({ jsonrpc: '2.0', id: w.id, result: { content: [{ type: 'text', text: `for ${w.who}` }] } }));
    }));
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
      httpServer.closeAllConnections();
      await new Promise((r) => httpServer.close(r));
    });
    px = await startProxy(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/ws`, { captureResults: true, captureArguments: true });
    const open = async () => {
      const ws = new WebSocket(px!.url.replace(/^http:/, 'ws:'), ['mcp']);
      cleanups.push(() => ws.terminate());
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      return ws;
    };
    const clients = { A: await open(), B: await open() };
    const answers = Object.entries(clients).map(([who, ws]) => {
      const answer = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'whoami', arguments: { who } } }));
      return answer;
    });
    const [toA, toB] = (await Promise.all(answers)).map((t) => JSON.parse(t) as { id: number; result: { content: { text: string }[] } });
    expect(toA).toMatchObject({ id: 7, result: { content: [{ text: 'for A' }] } });
    expect(toB).toMatchObject({ id: 7, result: { content: [{ text: 'for B' }] } });

    const spans = await until(() => spansNamed('tools/call whoami'), (s) => s.length === 2, 'both spans');
    for (const s of spans) {
      expect(s.attributes[REQUEST_ID]).toBe('7');
      expect(s.attributes[OUTCOME]).toBeUndefined();
      const who = (JSON.parse(String(s.attributes['gen_ai.tool.call.arguments'])) as { who: string }).who;
      expect(s.attributes[RESULT]).toContain(`for ${who}`);
    }
    expect(spans.map((s) => JSON.parse(String(s.attributes['gen_ai.tool.call.arguments'])).who).sort()).toEqual(['A', 'B']);
  }, 30_000);
});
