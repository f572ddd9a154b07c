// Misbehaving and demanding clients: slow headers that never end, pathological JSON nesting,
// thousands of concurrent connections, absolute-form targets and CONNECT, and an oversized body
// streamed in chunks. The proxy must stay up, keep serving others, and never send a request
// anywhere but the configured upstream.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { TracedProxy, startProxy } from '../helpers/proxy';

jest.setTimeout(60_000);

interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface RawUpstream {
  url: string; // http://127.0.0.1:PORT/mcp
  received: Recorded[];
  close(): Promise<void>;
}

/** The id of a JSON-RPC request, read from the start of the body (no full parse: bodies may be huge or deep). */
function idFrom(body: Buffer): string {
  const m = /"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)/.exec(body.subarray(0, 512).toString('utf8'));
  return m ? m[1] : 'null';
}

/** A plain node:http upstream that records every request and answers JSON-RPC POSTs with their id. */
async function startRawUpstream(): Promise<RawUpstream> {
  const received: Recorded[] = [];
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const answer = req.method === 'POST'
        ? `{"jsonrpc":"2.0","id":${idFrom(body)},"result":{"bytes":${body.length}}}`
        : `{"path":${JSON.stringify(req.url)}}`;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Writes raw bytes on a fresh TCP connection and resolves with everything read until the peer closes (or timeout). */
function rawExchange(port: number, data: string, timeoutMs = 5000): Promise<{ text: string; closedByPeer: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ text, closedByPeer: false });
    }, timeoutMs);
    sock.on('data', (d: Buffer) => (text += d.toString('latin1')));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedByPeer: true });
    });
    sock.write(data);
  });
}

function post(url: string, body: string | Buffer, agent?: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const rpc = (id: number, params: string) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":${params}}`;

/** The `"_meta":{...},` the proxy puts first in params, as written by spliceMeta. */
const META_INSERT = /"_meta":\{"traceparent":"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]"(?:,"tracestate":"[^"]*")?(?:,"baggage":"[^"]*")?\},?/;

let upstream: RawUpstream;
let px: TracedProxy | undefined;

afterEach(async () => {
  await px?.close();
  await upstream?.close();
  px = undefined;
});

test('a client that sends its headers slowly and never finishes reaches nothing upstream; other clients are served meanwhile', async () => {
  upstream = await startRawUpstream();
  const p = (px = await startProxy(upstream.url));
  const { port } = new URL(p.proxy.url);

  // Several slow clients: a request line and headers dripped a few bytes at a time, never ended.
  const partial = 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Slow: ' + 'a'.repeat(200);
  const slow = Array.from({ length: 20 }, () => net.connect(Number(port), '127.0.0.1'));
  const closed = new Set<net.Socket>();
  for (const s of slow) {
    s.on('error', () => {});
    s.on('close', () => closed.add(s));
  }
  let stop = false;
  const drip = (async () => {
    for (let i = 0; !stop && i < partial.length; i += 3) {
      for (const s of slow) if (!s.destroyed) s.write(partial.slice(i, i + 3));
      await sleep(20);
    }
  })();

  // Meanwhile, normal clients get their answers.
  for (let i = 1; i <= 20; i++) {
    const r = await post(p.url, rpc(i, '{"name":"add"}'));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ jsonrpc: '2.0', id: i, result: expect.any(Object) });
    await sleep(15);
  }
  stop = true;
  await drip;

  // Only the complete requests reached the upstream; none of the slow clients' did.
  expect(upstream.received).toHaveLength(20);
  expect(upstream.received.every((r) => !('x-slow' in r.headers))).toBe(true);
  expect(closed.size).toBe(0); // still within headersTimeout (30 s): not cut off early either
  for (const s of slow) s.destroy();

  // After they give up, the proxy is still serving.
  expect((await post(p.url, rpc(99, '{}'))).status).toBe(200);
});

test('a request line that is never finished is not forwarded, and a garbage request line gets 400', async () => {
  upstream = await startRawUpstream();
  const p = (px = await startProxy(upstream.url));
  const port = Number(new URL(p.proxy.url).port);
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  sock.write('GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // no blank line: never complete
  await sleep(300);
  expect(upstream.received).toHaveLength(0);
  sock.destroy();

  const bad = await rawExchange(port, 'NOT A REQUEST\r\n\r\n');
  expect(bad.text).toMatch(/^HTTP\/1\.1 400 /);
  expect(upstream.received).toHaveLength(0);
  expect((await post(p.url, rpc(1, '{}'))).status).toBe(200);
});

test('JSON nested 100,000 deep in params reaches the upstream unchanged but for the injected _meta', async () => {
  upstream = await startRawUpstream();
  const p = (px = await startProxy(upstream.url, { injectMeta: 'always' }));
  const depth = 100_000;
  const deep = '{"k":['.repeat(depth / 2) + '1' + ']}'.repeat(depth / 2);
  const body = rpc(7, `{"name":"deep","arguments":{"x":${deep}}}`);

  const r = await post(p.url, body);
  expect(r.status).toBe(200);
  expect(JSON.parse(r.body)).toEqual({ jsonrpc: '2.0', id: 7, result: { bytes: expect.any(Number) } });

  expect(upstream.received).toHaveLength(1);
  const got = upstream.received[0].body.toString('utf8');
  const prefix = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{';
  expect(got.startsWith(prefix)).toBe(true);
  const inserted = META_INSERT.exec(got.slice(prefix.length));
  expect(inserted?.index).toBe(0);
  expect(got.slice(0, prefix.length) + got.slice(prefix.length + inserted![0].length)).toBe(body);
  expect(upstream.received[0].headers['content-length']).toBe(String(Buffer.byteLength(got)));

  // Still alive and serving.
  expect((await post(p.url, rpc(8, '{}'))).status).toBe(200);
});

test('2,000 concurrent keep-alive connections, one request each, all succeed', async () => {
  upstream = await startRawUpstream();
  const p = (px = await startProxy(upstream.url));
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity });
  const N = 2000;
  try {
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => post(p.url, rpc(i, `{"name":"add","arguments":{"a":${i},"b":${N - i}}}`), agent).catch((e: Error) => ({ status: -1, body: e.message }))),
    );
    const wrong = results
      .map((r, i) => ({ i, r }))
      .filter(({ i, r }) => r.status !== 200 || (JSON.parse(r.body) as { id: unknown }).id !== i);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(upstream.received).toHaveLength(N);
    // They really were concurrent connections, not one reused socket.
    const sockets = Object.values(agent.freeSockets).reduce((n, l) => n + (l?.length ?? 0), 0);
    expect(sockets).toBeGreaterThan(N / 2);
  } finally {
    agent.destroy();
  }
});

test('an absolute-form target is sent to the configured upstream only, with its path', async () => {
  upstream = await startRawUpstream();
  const p = (px = await startProxy(upstream.url));
  const port = Number(new URL(p.proxy.url).port);

  const get = await rawExchange(port, 'GET http://evil.example/x HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n');
  expect(get.text).toMatch(/^HTTP\/1\.1 200 /);
  expect(get.text).toContain('{"path":"/x"}');

  const body = rpc(5, '{"name":"add"}');
  const postRes = await rawExchange(
    port,
    `POST http://evil.example:8443/x?q=1 HTTP/1.1\r\nHost: evil.example:8443\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  expect(postRes.text).toMatch(/^HTTP\/1\.1 200 /);
  expect(postRes.text).toContain('"id":5');

  expect(upstream.received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /x', 'POST /x?q=1']);
});

test('a CONNECT request gets 400, reaches nothing upstream, and the proxy keeps serving', async () => {
  upstream = await startRawUpstream();
  const p = (px = await startProxy(upstream.url));
  const port = Number(new URL(p.proxy.url).port);
  const r = await rawExchange(port, 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n', 2000);
  expect(r.text).toMatch(/^HTTP\/1\.1 400 /); // never a tunnel
  expect(upstream.received).toHaveLength(0);
  expect((await post(p.url, rpc(1, '{}'))).status).toBe(200);
});

test('a body larger than maxBodyBytes, streamed in chunks (chunked encoding), reaches the upstream byte for byte', async () => {
  upstream = await startRawUpstream();
  const maxBodyBytes = 64 * 1024;
  const p = (px = await startProxy(upstream.url, { maxBodyBytes }));

  // ~1 MB of JSON with multi-byte characters, sent in uneven chunks that split them.
  const filler = Array.from({ length: 30_000 }, (_, i) => `"é😀中${i}"`).join(',');
  const body = Buffer.from(rpc(3, `{"name":"big","arguments":{"list":[${filler}]}}`), 'utf8');
  expect(body.length).toBeGreaterThan(maxBodyBytes * 4);

  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(p.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' } }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    void (async () => {
      let at = 0;
      for (let n = 0; at < body.length; n++) {
        const size = 1 + ((n * 7919) % 40_000);
        req.write(body.subarray(at, at + size));
        at += size;
        if (n % 5 === 0) await sleep(1);
      }
      req.end();
    })();
  });
  expect(res.status).toBe(200);
  expect(JSON.parse(res.body)).toEqual({ jsonrpc: '2.0', id: 3, result: { bytes: body.length } });

  expect(upstream.received).toHaveLength(1);
  const got = upstream.received[0];
  expect(got.headers['transfer-encoding']).toBe('chunked');
  expect(got.body.length).toBe(body.length);
  expect(got.body.equals(body)).toBe(true);
  expect(p.proxy.stats.oversizedBodies).toBe(1);
});
