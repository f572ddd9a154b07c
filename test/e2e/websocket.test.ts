// The WebSocket bridge between real peers: the SDK's WebSocket client, an SDK server over `ws`,
// the proxy in the middle. Frames, pings and close codes mirrored; one span per operation.
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { TracedProxy, startProxy } from '../helpers/proxy';
import { WsTestServer, startWsServer } from '../helpers/ws-server';
import * as sc from '../../src/tracing/semconv';

// Node 20 has no global WebSocket; the SDK's client transport expects one.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_TP = `00-${CLIENT_TRACE}-00f067aa0ba902b7-01`;

let server: WsTestServer;
let px: TracedProxy;
/** ws:// form of the proxy URL, with the upstream's path. */
let proxyWs: string;
const open: WebSocket[] = [];

beforeEach(async () => {
  server = await startWsServer();
  px = await startProxy(server.url.replace(/^ws:/, 'http:'));
  proxyWs = px.url.replace(/^http:/, 'ws:');
});

afterEach(async () => {
  for (const ws of open.splice(0)) ws.terminate();
  await px.close();
  await server.close();
});

/** A raw `ws` client, resolved once open. */
async function connect(url: string, opts: WebSocket.ClientOptions = {}, protocols: string[] = ['mcp']): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, opts);
  open.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

/** The status of a refused upgrade, read from ws's 'unexpected-response'. */
function refusedStatus(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['mcp']);
    ws.once('open', () => reject(new Error('upgrade unexpectedly accepted')));
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function until(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function session(url: string) {
  const client = new Client({ name: 'ws-test-client', version: '1.0.0' });
  await client.connect(new WebSocketClientTransport(new URL(url)));
  try {
    return {
      server: client.getServerVersion(),
      tools: (await client.listTools()).tools.map((t) => t.name).sort(),
      add: await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }),
      fail: await client.callTool({ name: 'fail', arguments: {} }),
      meta: JSON.parse(((await client.callTool({ name: 'echo_meta', arguments: {} })).content as { text: string }[])[0].text),
    };
  } finally {
    await client.close();
  }
}

function traceparentOf(s: ReadableSpan): string {
  return `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`;
}

test('an SDK session over WebSocket gets the same results through the proxy as directly', async () => {
  const direct = await session(server.url);
  const proxied = await session(proxyWs);
  const { meta: directMeta, ...directRest } = direct;
  const { meta: proxiedMeta, ...proxiedRest } = proxied;
  expect(proxiedRest).toEqual(directRest);
  expect(proxied.add).toEqual({ content: [{ type: 'text', text: '5' }] });
  expect(proxied.fail).toMatchObject({ isError: true });
  expect(directMeta).toBeNull();
  expect(proxiedMeta).toEqual({ traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/) });
});

test('each operation is a span with the WebSocket transport attributes, and _meta names the proxy span', async () => {
  const result = await session(proxyWs);
  const init = await px.span('initialize');
  const list = await px.span('tools/list');
  const add = await px.span('tools/call add');
  const fail = await px.span('tools/call fail');
  const echo = await px.span('tools/call echo_meta');
  for (const s of [init, list, add]) expect(s.status.code).toBe(SpanStatusCode.UNSET);
  expect(add.attributes).toMatchObject({
    [sc.ATTR_MCP_METHOD_NAME]: 'tools/call',
    [sc.ATTR_GEN_AI_TOOL_NAME]: 'add',
    [sc.ATTR_NETWORK_PROTOCOL_NAME]: 'websocket',
    [sc.ATTR_NETWORK_PROTOCOL_VERSION]: '13',
    [sc.ATTR_NETWORK_TRANSPORT]: 'tcp',
    [sc.ATTR_SERVER_ADDRESS]: '127.0.0.1',
    [sc.ATTR_SERVER_PORT]: px.proxy.port,
    [sc.ATTR_CLIENT_ADDRESS]: '127.0.0.1',
  });
  expect(fail.attributes[sc.ATTR_ERROR_TYPE]).toBe('tool_error');
  expect(fail.status.code).toBe(SpanStatusCode.ERROR);
  expect(result.meta.traceparent).toBe(traceparentOf(echo));
  // The injected _meta reached the upstream in the frame itself.
  expect(server.frames.some((f) => f.includes(`"traceparent":"${traceparentOf(echo)}"`))).toBe(true);
});

test("a traceparent on the handshake parents the spans; subprotocol and Authorization reach the upstream", async () => {
  const ws = await connect(proxyWs, { headers: { traceparent: CLIENT_TP, authorization: 'Bearer s3cret', 'mcp-protocol-version': '2025-06-18' } });
  expect(ws.protocol).toBe('mcp');
  const reply = nextMessage(ws);
  ws.send('{"jsonrpc":"2.0","id":7,"method":"tools/list"}');
  expect(JSON.parse((await reply).data.toString())).toMatchObject({ id: 7, result: { tools: expect.any(Array) } });
  const list = await px.span('tools/list');
  expect(list.spanContext().traceId).toBe(CLIENT_TRACE);
  expect(list.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  expect(list.attributes[sc.ATTR_JSONRPC_REQUEST_ID]).toBe('7');
  const hs = server.handshakes[0];
  expect(hs['sec-websocket-protocol']).toBe('mcp');
  expect(hs.authorization).toBe('Bearer s3cret');
  expect(hs['mcp-protocol-version']).toBe('2025-06-18');
  expect(hs['x-forwarded-for']).toBe('127.0.0.1');
  expect(server.frames[0]).toBe(`{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"traceparent":"${traceparentOf(list)}"}}}`);
});

test('non-JSON text and binary frames reach the upstream unchanged, and the answers come back typed', async () => {
  const ws = await connect(proxyWs);
  const bin = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x7b]);
  ws.send('not json {');
  ws.send(bin);
  await until(() => server.frames.length === 1 && server.binaries.length === 1, 'frames at the upstream');
  expect(server.frames).toEqual(['not json {']);
  expect(server.binaries[0].equals(bin)).toBe(true);
  const up = server.sockets[0];
  const text = nextMessage(ws);
  up.send('plain text');
  expect(await text).toEqual({ data: Buffer.from('plain text'), isBinary: false });
  const binary = nextMessage(ws);
  up.send(bin);
  const got = await binary;
  expect(got.isBinary).toBe(true);
  expect(got.data.equals(bin)).toBe(true);
});

test('pings and pongs travel both ways', async () => {
  const ws = await connect(proxyWs);
  const seen = new Promise<Buffer>((r) => server.sockets[0].once('ping', r));
  const pong = new Promise<Buffer>((r) => ws.once('pong', r));
  ws.ping('from-client');
  expect((await seen).toString()).toBe('from-client');
  expect((await pong).toString()).toBe('from-client'); // the upstream's own pong
  const ping = new Promise<Buffer>((r) => ws.once('ping', r));
  server.sockets[0].ping('from-server');
  expect((await ping).toString()).toBe('from-server');
});

test("the server's close code and reason reach the client", async () => {
  const ws = await connect(proxyWs);
  const c = closed(ws);
  server.sockets[0].close(4001, 'session revoked');
  expect(await c).toEqual({ code: 4001, reason: 'session revoked' });
});

test("the client's close code and reason reach the server", async () => {
  const ws = await connect(proxyWs);
  ws.close(4000, 'client done');
  await until(() => server.closes.length === 1, 'the close at the upstream');
  expect(server.closes[0]).toEqual({ code: 4000, reason: 'client done' });
});

test('a request still open when the client leaves ends its span as a client abort', async () => {
  const ws = await connect(proxyWs);
  server.sockets[0].pause(); // the upstream never answers
  ws.send('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}');
  await new Promise((r) => setTimeout(r, 50));
  ws.terminate();
  const add = await px.span('tools/call add');
  expect(add.attributes[sc.ATTR_MCP_PROXY_OUTCOME]).toBe('client_abort');
  server.sockets[0].resume();
});

test('an absolute-form target is reduced to its path on the upstream', async () => {
  const sock = net.connect(px.proxy.port, '127.0.0.1');
  sock.write(
    'GET http://elsewhere.example/ws?x=1 HTTP/1.1\r\nhost: elsewhere.example\r\nupgrade: websocket\r\nconnection: upgrade\r\n'
      + 'sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  const head = await new Promise<string>((resolve) => sock.once('data', (c: Buffer) => resolve(c.toString())));
  sock.destroy();
  expect(head).toMatch(/^HTTP\/1\.1 101 /);
  expect(server.paths).toEqual(['/ws?x=1']);
});

test('an upgrade the upstream refuses in HTTP gets its answer relayed', async () => {
  const r = await refusedStatus(proxyWs.replace(/\/ws$/, '/nope'));
  expect(r).toMatchObject({ status: 404, body: 'no such ws', headers: { 'x-test': 'refused' } });
  expect(px.logs.some((l) => l.startsWith('warn') && l.includes('"status":404'))).toBe(true);
});

test('with the upstream down, the upgrade fails with HTTP 502 and a logged code', async () => {
  const free = net.createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
  const port = (free.address() as AddressInfo).port;
  await new Promise<void>((r) => free.close(() => r()));
  const down = await startProxy(`http://127.0.0.1:${port}/ws`);
  try {
    const r = await refusedStatus(down.url.replace(/^http:/, 'ws:'));
    expect(r.status).toBe(502);
    expect(down.logs.some((l) => l.startsWith('warn') && l.includes('MTP_UPSTREAM_UNREACHABLE'))).toBe(true);
  } finally {
    await down.close();
  }
});

test('an upstream that accepts the connection but never answers the handshake gets HTTP 504', async () => {
  const silent = net.createServer((sock) => sock.on('error', () => undefined));
  const held: net.Socket[] = [];
  silent.on('connection', (sock) => held.push(sock));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const slow = await startProxy(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/ws`, { upstreamTimeoutMs: 200 });
  try {
    const r = await refusedStatus(slow.url.replace(/^http:/, 'ws:'));
    expect(r.status).toBe(504);
    expect(slow.logs.some((l) => l.startsWith('warn') && l.includes('MTP_UPSTREAM_TIMEOUT'))).toBe(true);
  } finally {
    await slow.close();
    for (const sock of held) sock.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test('a slow upstream pushes back on the client instead of filling the proxy', async () => {
  const ws = await connect(proxyWs);
  const up = server.sockets[0];
  up.pause();
  const chunk = Buffer.alloc(1 << 20, 1);
  const total = 16;
  for (let i = 0; i < total; i++) ws.send(chunk);
  await new Promise((r) => setTimeout(r, 1000));
  // Without backpressure the proxy would have read everything and the client's buffer would be empty.
  expect(ws.bufferedAmount).toBeGreaterThan(8 << 20);
  up.resume();
  await until(() => server.binaries.length === total, 'all chunks at the upstream', 10_000);
  expect(ws.bufferedAmount).toBe(0);
});

test('shutdown closes bridged connections with 1001 on both sides', async () => {
  const ws = await connect(proxyWs);
  const c = closed(ws);
  await px.close();
  expect(await c).toMatchObject({ code: 1001 });
  await until(() => server.closes.length === 1, 'the close at the upstream');
  expect(server.closes[0].code).toBe(1001);
});

test('shutdown completes the close handshake even with a side paused by backpressure', async () => {
  const ws = await connect(proxyWs);
  server.sockets[0].pause();
  const chunk = Buffer.alloc(1 << 20, 1);
  for (let i = 0; i < 16; i++) ws.send(chunk);
  await new Promise((r) => setTimeout(r, 1000));
  expect(ws.bufferedAmount).toBeGreaterThan(8 << 20); // the proxy has stopped reading this client
  const c = closed(ws);
  const started = Date.now();
  await px.close();
  expect(await c).toMatchObject({ code: 1001 });
  expect(Date.now() - started).toBeLessThan(5000); // not ws's 30 s close timeout
});
