// HTTP edges, each against a real upstream over loopback: trailers relayed when the client asks for
// them, requests the proxy cannot forward as framed refused before they reach the upstream (a
// transfer coding other than chunked: 501; more header fields than it forwards: 431), and the
// upstream timeout decided by the proxy's own timer.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { TracedProxy, startProxy } from '../helpers/proxy';

let px: TracedProxy | undefined;
const servers: http.Server[] = [];
afterEach(async () => {
  await px?.close();
  px = undefined;
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`;
}

/** An upstream that answers every request with a JSON-RPC result, and counts what reached it. */
async function countingUpstream(): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const url = await listen((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":{}}'));
  });
  return { url, hits: () => hits };
}

interface Answer { status: number; headers: http.IncomingHttpHeaders; trailers: NodeJS.Dict<string>; body: string }

function request(url: string, headers: http.OutgoingHttpHeaders, payload: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A raw request: its header section written as given, the answer's status line and body read back. */
function raw(port: number, head: string, body = ''): Promise<{ statusLine: string; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    sock.on('data', (d) => (got += d.toString()));
    sock.on('error', reject);
    sock.on('close', () => resolve({ statusLine: got.split('\r\n')[0], body: got.slice(got.indexOf('\r\n\r\n') + 4) }));
    sock.end(`${head}\r\n\r\n${body}`);
  });
}

const PING = '{"jsonrpc":"2.0","id":1,"method":"ping"}';

function fields(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `x-f${i}: ${i}`);
}

test('a client that sent TE: trailers gets the upstream\'s trailer fields after the body, announced by Trailer', async () => {
  const url = await listen((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', trailer: 'x-checksum' });
    res.write('{"jsonrpc":"2.0","id":1,');
    res.addTrailers({ 'x-checksum': 'sha256=abc' });
    res.end('"result":{}}');
  });
  px = await startProxy(url);
  const res = await request(px.url, { te: 'trailers' }, PING);
  expect(res.status).toBe(200);
  expect(res.body).toBe('{"jsonrpc":"2.0","id":1,"result":{}}');
  expect(res.headers.trailer).toBe('x-checksum');
  expect(res.trailers).toEqual({ 'x-checksum': 'sha256=abc' });
});

test('Transfer-Encoding: gzip, chunked is refused with 501 and never forwarded', async () => {
  const up = await countingUpstream();
  px = await startProxy(up.url);
  const res = await request(px.url, { 'transfer-encoding': 'gzip, chunked' }, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
  expect(res.status).toBe(501);
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.body).toBe('{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"mcp-trace-proxy: transfer coding \\"gzip, chunked\\" is not supported, only chunked","data":{"code":"MTP_TRANSFER_CODING"}}}');
  expect(up.hits()).toBe(0);
});

test('more than 1,000 header fields is refused with 431, not forwarded without the fields after the 1,000th', async () => {
  const up = await countingUpstream();
  px = await startProxy(up.url);
  // Content-Length comes last, as in the issue: Node's default limit dropped it with the body.
  const res = await raw(px.proxy.port, ['POST /mcp HTTP/1.1', 'host: 127.0.0.1', 'content-type: application/json', ...fields(998), `content-length: ${PING.length}`, 'connection: close'].join('\r\n'), PING);
  expect(res.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  expect(res.body).toBe('{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"mcp-trace-proxy: more than 1000 request header fields","data":{"code":"MTP_HEADER_FIELDS_TOO_MANY"}}}');
  expect(up.hits()).toBe(0);
});

test('a header section larger than Node\'s size limit gets 431, not 400', async () => {
  const up = await countingUpstream();
  px = await startProxy(up.url);
  const res = await raw(px.proxy.port, ['POST /mcp HTTP/1.1', 'host: 127.0.0.1', `x-big: ${'a'.repeat(20_000)}`, 'content-length: 0', 'connection: close'].join('\r\n'));
  expect(res.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  expect(up.hits()).toBe(0);
});

test('a WebSocket handshake with more than 1,000 header fields is refused with 431 before the upstream is asked', async () => {
  const up = await countingUpstream();
  px = await startProxy(up.url);
  const res = await raw(px.proxy.port, [
    'GET /mcp HTTP/1.1', 'host: 127.0.0.1', 'upgrade: websocket', 'connection: Upgrade', 'sec-websocket-version: 13',
    'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol: mcp', ...fields(995),
  ].join('\r\n'));
  expect(res.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  expect(res.body).toBe('mcp-trace-proxy: more than 1000 request header fields\n');
  expect(up.hits()).toBe(0);
});

test('no response headers within --upstream-timeout: 504 with the request id, decided by the proxy\'s own timer', async () => {
  const url = await listen(() => { /* never answers */ });
  px = await startProxy(url, { upstreamTimeoutMs: 1200 });
  const started = performance.now();
  const res = await request(px.url, {}, '{"jsonrpc":"2.0","id":"t-1","method":"tools/list"}');
  expect(res.status).toBe(504);
  expect(res.body).toBe('{"jsonrpc":"2.0","id":"t-1","error":{"code":-32001,"message":"mcp-trace-proxy: upstream did not answer in time","data":{"code":"MTP_UPSTREAM_TIMEOUT"}}}');
  expect(performance.now() - started).toBeGreaterThanOrEqual(1195); // never before the timeout (a timer may round down 1 ms)
  // The log names the wait: undici's coarse timer said only "Headers Timeout Error".
  expect(px.logs.join('\n')).toContain('"cause":"no response headers within 1200 ms"');
});
