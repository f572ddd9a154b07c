// The HTTP faults issue 11 observed, each against a real upstream: a dual-era server the proxy must
// not turn stateless, a subscriptions/listen stream relayed frame by frame, compressed answers read
// for the span and relayed as they came, Expect: 100-continue, and shutdown of a waiting GET.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { TracedProxy, startProxy } from '../helpers/proxy';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';

let px: TracedProxy | undefined;
const servers: http.Server[] = [];
let sdk: TestServer | undefined;
afterEach(async () => {
  await px?.close();
  px = undefined;
  await sdk?.close();
  sdk = undefined;
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

function body(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((r) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => r(Buffer.concat(chunks)));
  });
}

/** A raw request whose response bytes are kept as they came (no decompression). */
function raw(url: string, headers: http.OutgoingHttpHeaders, payload: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      void body(res as unknown as http.IncomingMessage).then((b) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

test('a server that speaks both eras: the proxied initialize is not made stateless, and later requests carry _meta.traceparent', async () => {
  sdk = await startTestServer();
  const seen: { sessionless: boolean; meta: boolean }[] = [];
  // In front of the SDK server, the 2026-07-28 rule: a sessionless request with _meta (or the header) is stateless and needs both.
  const gate = await listen(async (req, res) => {
    const b = await body(req);
    const sessionless = req.headers['mcp-session-id'] === undefined;
    let meta = false;
    try {
      meta = JSON.parse(b.toString()).params?._meta !== undefined;
    } catch { /* not JSON */ }
    seen.push({ sessionless, meta });
    if (req.method === 'POST' && sessionless && meta && req.headers['mcp-protocol-version'] === undefined) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32020,"message":"Missing MCP-Protocol-Version header"}}');
      return;
    }
    const up = http.request(sdk!.url, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.end(b);
  });
  px = await startProxy(gate);
  const c = await connectClient(px.url);
  const res = await c.client.callTool({ name: 'echo_meta', arguments: {} });
  await c.close();
  const echoed = JSON.parse((res.content as { text: string }[])[0].text) as { meta: Record<string, string> };
  const span = await px.span('tools/call echo_meta');
  expect(echoed.meta.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  expect(seen[0]).toEqual({ sessionless: true, meta: false }); // initialize went as the client sent it
  expect(seen.filter((s) => s.sessionless && s.meta)).toEqual([]);
});

test('a subscriptions/listen answer reaches the client frame by frame; its notifications are counted, its events bounded', async () => {
  let push!: (s: string) => void;
  let end!: () => void;
  const url = await listen((req, res) => {
    void body(req).then(() => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked, long-lived
      res.write('{"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged","params":{}}\n');
      push = (s) => res.write(s);
      end = () => res.end();
    });
  });
  px = await startProxy(url);
  const r = await fetch(px.url, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: '{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}',
  });
  const reader = r.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  expect(first).toBe('{"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged","params":{}}\n');
  for (let i = 0; i < 100; i++) push(`{"jsonrpc":"2.0","method":"notifications/resources/updated","params":{"uri":"test://r${i}"}}\n`);
  push('{"jsonrpc":"2.0","id":1,"result":{}}\n');
  end();
  while (!(await reader.read()).done) { /* drain */ }
  const span = await px.span('subscriptions/listen');
  expect(span.attributes['mcp_trace_proxy.outcome']).toBeUndefined();
  expect(span.attributes['mcp_trace_proxy.notifications']).toBe(101);
  expect(span.events.length).toBeLessThanOrEqual(32);
});

test.each(['gzip', 'deflate', 'br'] as const)('a %s JSON-RPC error in a session: relayed as compressed, and the span ends with its code at once', async (enc) => {
  const answer = '{"jsonrpc":"2.0","id":4,"error":{"code":-32602,"message":"bad arguments"}}';
  const packed = enc === 'gzip' ? zlib.gzipSync(answer) : enc === 'deflate' ? zlib.deflateSync(answer) : zlib.brotliCompressSync(answer);
  const url = await listen((req, res) => void body(req).then(() => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': enc, 'mcp-session-id': 's1' }).end(packed)));
  px = await startProxy(url, { pendingTimeoutMs: 600_000 });
  const got = await raw(px.url, { 'mcp-session-id': 's1', 'accept-encoding': enc }, '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"add"}}');
  expect(got.body.equals(packed)).toBe(true);
  expect(got.headers['content-encoding']).toBe(enc);
  const span = await px.span('tools/call add');
  expect(span.attributes['error.type']).toBe('-32602');
  expect(span.status).toEqual({ code: 2, message: 'bad arguments' });
});

test('a gzip SSE stream: events relayed as compressed, the response inside ends the span', async () => {
  const stream = 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1}}\n\nevent: message\ndata: {"jsonrpc":"2.0","id":"a","result":{"content":[],"isError":true}}\n\n';
  const packed = zlib.gzipSync(stream);
  const url = await listen((req, res) => void body(req).then(() => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip', 'mcp-session-id': 's2' });
    res.write(packed.subarray(0, 7));
    setTimeout(() => res.end(packed.subarray(7)), 20);
  }));
  px = await startProxy(url);
  const got = await raw(px.url, { 'mcp-session-id': 's2' }, '{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","_meta":{"progressToken":"t"}}}');
  expect(got.body.equals(packed)).toBe(true);
  const span = await px.span('tools/call x');
  expect(span.attributes['error.type']).toBe('tool_error');
  expect(span.events.map((e) => e.name)).toContain('mcp.progress');
});

test('a gzip request body is traced but forwarded exactly as sent', async () => {
  let upstreamGot: Buffer | undefined;
  const url = await listen((req, res) => void body(req).then((b) => {
    upstreamGot = b;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":9,"result":{}}');
  }));
  px = await startProxy(url, { injectMeta: 'always' });
  const packed = zlib.gzipSync('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"zipped"}}');
  await raw(px.url, { 'content-encoding': 'gzip' }, packed as unknown as string);
  expect(upstreamGot!.equals(packed)).toBe(true);
  expect((await px.span('tools/call zipped')).attributes['jsonrpc.request.id']).toBe('9');
});

test('Expect: 100-continue (curl on bodies over 1 KiB) is answered and the body reaches the upstream without the header', async () => {
  let seen: http.IncomingHttpHeaders | undefined;
  let got = '';
  const url = await listen((req, res) => void body(req).then((b) => {
    seen = req.headers;
    got = b.toString();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
  }));
  px = await startProxy(url);
  const payload = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"big","arguments":{"pad":"${'x'.repeat(2000)}"}}}`;
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(px!.url, { method: 'POST', headers: { 'content-type': 'application/json', expect: '100-continue', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('continue', () => req.end(payload));
    req.on('error', reject);
  });
  expect(status).toBe(200);
  expect(seen!.expect).toBeUndefined();
  expect(JSON.parse(got).params.arguments.pad).toHaveLength(2000);
});

test('shutdown: a GET still waiting for the upstream headers gets a 503 with a JSON-RPC error, not an empty 200', async () => {
  const url = await listen(() => { /* never answers */ });
  px = await startProxy(url);
  const pending = fetch(px.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': 's' } });
  await new Promise((r) => setTimeout(r, 100));
  const closing = px.close();
  const res = await pending;
  expect(res.status).toBe(503);
  expect(await res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { data: { code: 'MTP_SHUTTING_DOWN' } } });
  await closing;
  px = undefined;
});

test('a body without "jsonrpc":"2.0" is not JSON-RPC: forwarded untouched, no span, counted as unparsed', async () => {
  let got = '';
  const url = await listen((req, res) => void body(req).then((b) => {
    got = b.toString();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }));
  px = await startProxy(url, { injectMeta: 'always' });
  const text = '{"id":1,"method":"tools/call","params":{"name":"nope"}}';
  await raw(px.url, {}, text);
  expect(got).toBe(text);
  expect(px.spans()).toHaveLength(0);
  expect(px.proxy.stats.unparsedBodies).toBe(1);
});

test('a deflate answer whose first write is a single byte is still read for the span', async () => {
  const packed = zlib.deflateSync('{"jsonrpc":"2.0","id":"","result":{}}');
  const url = await listen((req, res) => void body(req).then(() => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'deflate' });
    res.write(packed.subarray(0, 1));
    setTimeout(() => res.end(packed.subarray(1)), 20);
  }));
  px = await startProxy(url);
  const got = await raw(px.url, {}, '{"jsonrpc":"2.0","id":"","method":"ping"}');
  expect(got.body.equals(packed)).toBe(true);
  expect((await px.span('ping')).attributes['mcp_trace_proxy.outcome']).toBeUndefined();
});
