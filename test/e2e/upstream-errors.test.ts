// Upstream failures give the client a prompt gateway error carrying a JSON-RPC error with the
// request's id, and the span records what happened.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SpanStatusCode } from '@opentelemetry/api';
import { TracedProxy, startProxy } from '../helpers/proxy';
import * as sc from '../../src/tracing/semconv';

let px: TracedProxy | undefined;
let upstream: http.Server | net.Server | undefined;

afterEach(async () => {
  await px?.close();
  px = undefined;
  if (upstream) {
    (upstream as http.Server).closeAllConnections?.();
    await new Promise((r) => upstream!.close(r));
    upstream = undefined;
  }
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function listen(s: http.Server | net.Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  upstream = s;
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`;
}

async function post(url: string, body: string) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body });
  return { status: res.status, body: await res.text() };
}

test('upstream refusing connections: 502 with a JSON-RPC error carrying the id', async () => {
  px = await startProxy(`http://127.0.0.1:${await freePort()}/mcp`);
  const res = await post(px.url, '{"jsonrpc":"2.0","id":"req-7","method":"tools/call","params":{"name":"add"}}');
  expect(res.status).toBe(502);
  expect(JSON.parse(res.body)).toEqual({
    jsonrpc: '2.0',
    id: 'req-7',
    error: { code: -32000, message: expect.stringContaining('refused'), data: { code: 'MTP_UPSTREAM_UNREACHABLE' } },
  });
  const span = await px.span('tools/call add');
  expect(span.status.code).toBe(SpanStatusCode.ERROR);
  expect(span.attributes[sc.ATTR_ERROR_TYPE]).toBe('MTP_UPSTREAM_UNREACHABLE');
});

test('a batch gets an array of errors, one per request id, numbers kept as numbers', async () => {
  px = await startProxy(`http://127.0.0.1:${await freePort()}/mcp`);
  const res = await post(px.url, '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":"1","method":"tools/list"}]');
  expect(res.status).toBe(502);
  expect((JSON.parse(res.body) as { id: unknown }[]).map((e) => e.id)).toEqual([1, '1']);
});

test('no response headers within --upstream-timeout: 504 and the span says so', async () => {
  const url = await listen(http.createServer(() => { /* never answers */ }));
  px = await startProxy(url, { upstreamTimeoutMs: 300 });
  const started = Date.now();
  const res = await post(px.url, '{"jsonrpc":"2.0","id":3,"method":"tools/list"}');
  expect(res.status).toBe(504);
  expect(Date.now() - started).toBeLessThan(5000);
  expect(JSON.parse(res.body)).toMatchObject({ id: 3, error: { code: -32001, data: { code: 'MTP_UPSTREAM_TIMEOUT' } } });
  const span = await px.span('tools/list');
  expect(span.attributes[sc.ATTR_ERROR_TYPE]).toBe('MTP_UPSTREAM_TIMEOUT');
});

test('connection reset before the response: 502', async () => {
  const url = await listen(net.createServer((sock) => sock.once('data', () => sock.resetAndDestroy())));
  px = await startProxy(url);
  const res = await post(px.url, '{"jsonrpc":"2.0","id":4,"method":"tools/list"}');
  expect(res.status).toBe(502);
  expect(JSON.parse(res.body)).toMatchObject({ id: 4, error: { data: { code: 'MTP_UPSTREAM_RESET' } } });
});

test('reset before the first body byte: still a clean 502 for the owed response', async () => {
  const url = await listen(net.createServer((sock) => sock.once('data', () => {
    sock.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n');
    setTimeout(() => sock.resetAndDestroy(), 20);
  })));
  px = await startProxy(url);
  const res = await post(px.url, '{"jsonrpc":"2.0","id":5,"method":"tools/list"}');
  expect(res.status).toBe(502);
  expect(JSON.parse(res.body)).toMatchObject({ id: 5, error: { data: { code: 'MTP_UPSTREAM_RESET' } } });
  const span = await px.span('tools/list');
  expect(span.status.code).toBe(SpanStatusCode.ERROR);
});

test('reset in the middle of a JSON body: the client gets the bytes that came, then a broken connection, not a short body', async () => {
  const url = await listen(net.createServer((sock) => sock.once('data', () => {
    sock.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"jsonrpc":"2.0","id":5,');
    setTimeout(() => sock.resetAndDestroy(), 20);
  })));
  px = await startProxy(url);
  const res = await fetch(px.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{"jsonrpc":"2.0","id":5,"method":"tools/list"}' });
  expect(res.status).toBe(200); // relayed as it came: the status and the first bytes were already on their way
  await expect(res.text()).rejects.toThrow();
  const span = await px.span('tools/list');
  expect(span.status.code).toBe(SpanStatusCode.ERROR);
  expect(span.attributes['error.type']).toBe('MTP_UPSTREAM_RESET');
  expect(px.proxy.stats.upstreamErrors.MTP_UPSTREAM_RESET).toBe(1);
});

test('an HTTP error from the upstream passes through and marks the span', async () => {
  const url = await listen(http.createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}');
  }));
  px = await startProxy(url);
  const res = await post(px.url, '{"jsonrpc":"2.0","id":6,"method":"tools/list"}');
  expect(res.status).toBe(404);
  expect(res.body).toBe('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}');
  const span = await px.span('tools/list');
  expect(span.attributes[sc.ATTR_ERROR_TYPE]).toBe('-32001');
  expect(span.status.message).toBe('Session not found');
});

test('a client abort aborts the upstream request and records the cancellation', async () => {
  let upstreamClosed!: () => void;
  const closed = new Promise<void>((r) => (upstreamClosed = r));
  const url = await listen(http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': open\n\n');
    req.socket.on('close', upstreamClosed);
  }));
  px = await startProxy(url);
  const ac = new AbortController();
  const res = await fetch(px.url, {
    method: 'POST', signal: ac.signal,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"slow"}}',
  });
  expect(res.status).toBe(200);
  ac.abort();
  await closed; // the upstream saw its request end
  const span = await px.span('tools/call slow');
  expect(span.attributes[sc.ATTR_MCP_PROXY_OUTCOME]).toBe('client_abort');
  expect(span.events.map((e) => e.name)).toContain(sc.EVENT_CANCELLED);
  expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
});

test('SSE events reach the client as they are written, not when the stream ends', async () => {
  let send!: (s: string) => void;
  const url = await listen(http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'sess-1' });
    send = (s) => res.write(s);
    res.write('id: 1\nretry: 1000\ndata: \n\n'); // a priming event: empty data is not an error
  }));
  px = await startProxy(url);
  const res = await fetch(px.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":"t1"}}}' });
  expect(res.headers.get('mcp-session-id')).toBe('sess-1');
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const read = async () => dec.decode((await reader.read()).value);
  expect(await read()).toBe('id: 1\nretry: 1000\ndata: \n\n');
  send('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t1","progress":1}}\n\n');
  expect(await read()).toContain('"progress":1');
  send('data: {"jsonrpc":"2.0","id":9,"result":{"content":[]}}\n\n');
  expect(await read()).toContain('"id":9');
  const span = await px.span('tools/call x');
  expect(span.events.filter((e) => e.name === sc.EVENT_PROGRESS)).toHaveLength(1);
  await reader.cancel();
});

test('a chunked JSON response larger than --max-body-bytes is relayed whole, not held', async () => {
  const big = JSON.stringify({ jsonrpc: '2.0', id: 10, result: { content: [{ type: 'text', text: 'y'.repeat(5000) }] } });
  const url = await listen(http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }); // no content-length: chunked
    res.write(big.slice(0, 1000));
    setTimeout(() => res.end(big.slice(1000)), 20);
  }));
  px = await startProxy(url, { maxBodyBytes: 512 });
  const res = await post(px.url, '{"jsonrpc":"2.0","id":10,"method":"tools/list"}');
  expect(res.status).toBe(200);
  expect(res.body).toBe(big);
  expect(px.proxy.stats.oversizedBodies).toBe(1);
  const span = await px.span('tools/list');
  expect(span.attributes[sc.ATTR_MCP_PROXY_OUTCOME]).toBe('no_response'); // its answer was too large to read
});
