// What no client can grow or reach: metric labels, the session count, another client's spans; and
// the small faults issue 11 listed (request targets, upgrade refusals, stream and error counters).
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { parsePrometheus } from '../helpers/prometheus';
import { TracedProxy, startProxy } from '../helpers/proxy';

let px: TracedProxy | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await px?.close();
  px = undefined;
  for (const c of closers.splice(0)) await c();
});

async function upstream(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => {
    s.closeAllConnections();
    s.close(() => r());
  }));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`;
}

/** Answers every request with its own id; tools/list with two tools. */
const echo: http.RequestListener = (req, res) => {
  let b = '';
  req.on('data', (c) => (b += c));
  req.on('end', () => {
    const m = /"id":(\d+)/.exec(b);
    if (!m) return void res.writeHead(202).end();
    const result = b.includes('"tools/list"') ? '{"tools":[{"name":"listed-a"},{"name":"listed-b"}]}' : '{}';
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"jsonrpc":"2.0","id":${m[1]},"result":${result}}`);
  });
};

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body }).then((r) => r.text());

async function metrics(): Promise<ReturnType<typeof parsePrometheus>> {
  return parsePrometheus(await (await fetch(`${px!.proxy.adminUrl}/metrics`)).text());
}

const values = (samples: ReturnType<typeof parsePrometheus>, label: string) => new Set(samples.filter((s) => s.name === 'mcp_server_operation_duration_count').map((s) => s.labels[label]).filter((v) => v !== undefined));

test('1,000 invented tool names and 1,000 invented methods stay bounded labels; tools the upstream listed stay themselves', async () => {
  px = await startProxy(await upstream(echo), { metricMaxTools: 20 });
  for (let i = 0; i < 1000; i++) {
    await post(px.url, `{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":"invented-${i}"}}`);
    await post(px.url, `{"jsonrpc":"2.0","id":${i},"method":"x/invented-${i}"}`);
  }
  await post(px.url, '{"jsonrpc":"2.0","id":5000,"method":"tools/list"}');
  await post(px.url, '{"jsonrpc":"2.0","id":5001,"method":"tools/call","params":{"name":"listed-b"}}');
  const m = await metrics();
  const tools = values(m, 'gen_ai_tool_name');
  expect(tools.size).toBe(22); // the first 20 seen, _OTHER, and listed-b
  expect(tools.has('_OTHER')).toBe(true);
  expect(tools.has('listed-b')).toBe(true);
  expect([...values(m, 'mcp_method_name')].sort()).toEqual(['_OTHER', 'tools/call', 'tools/list']);
  // Spans keep the real values.
  expect(px.spans().some((s) => s.name === 'tools/call invented-999')).toBe(true);
  expect(px.spans().some((s) => s.name === 'x/invented-999')).toBe(true);
});

test('session ids a client makes up are not sessions: the gauge counts only ids the upstream issued', async () => {
  px = await startProxy(await upstream((req, res) => {
    req.resume();
    req.on('end', () => {
      const sid = req.headers['mcp-session-id'];
      if (sid === undefined) return void res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'real-1' }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
      if (sid !== 'real-1') return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}');
      res.writeHead(202).end();
    });
  }));
  for (let i = 0; i < 50; i++) await post(px.url, '{"jsonrpc":"2.0","method":"notifications/initialized"}', { 'mcp-session-id': `fake-${i}` });
  expect(px.proxy.stats.activeSessions).toBe(0);
  await post(px.url, '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}');
  await post(px.url, '{"jsonrpc":"2.0","method":"notifications/initialized"}', { 'mcp-session-id': 'real-1' });
  expect(px.proxy.stats.activeSessions).toBe(1);
});

test('an absolute-form target that is not http(s) gets 400, and nothing reaches the upstream', async () => {
  let reached = 0;
  px = await startProxy(await upstream((_req, res) => void (reached++, res.end())));
  const port = Number(new URL(px.proxy.url).port);
  const answer = await new Promise<string>((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write('GET x://a HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n'));
    let text = '';
    sock.on('data', (d) => (text += d));
    sock.on('close', () => resolve(text));
  });
  expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  expect(reached).toBe(0);
});

test('an upgrade refused by the allow-list gets a 403 whose content-length is its body\'s', async () => {
  px = await startProxy(await upstream(echo), { allowedHosts: ['good.example'] });
  const port = Number(new URL(px.proxy.url).port);
  const answer = await new Promise<Buffer>((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(
      'GET /mcp HTTP/1.1\r\nhost: évil.example\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n', 'latin1'));
    const chunks: Buffer[] = [];
    sock.on('data', (d) => chunks.push(d));
    sock.on('close', () => resolve(Buffer.concat(chunks)));
  });
  const [head, bodyText] = [answer.subarray(0, answer.indexOf('\r\n\r\n')).toString('latin1'), answer.subarray(answer.indexOf('\r\n\r\n') + 4)];
  expect(head).toMatch(/^HTTP\/1\.1 403 /);
  expect(Number(/content-length: (\d+)/i.exec(head)![1])).toBe(bodyText.length);
});

test('WebSocket connections count as open streams; a refused upgrade is logged without its query string', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: (info: { req: http.IncomingMessage }) => !info.req.url?.includes('refuse') });
  await new Promise((r) => wss.once('listening', r));
  closers.push(() => new Promise((r) => wss.close(() => r())));
  wss.on('connection', (s) => s.on('message', (d) => s.send(d.toString())));
  px = await startProxy(`http://127.0.0.1:${(wss.address() as AddressInfo).port}/mcp`);
  const ws = new WebSocket(`${px.proxy.url.replace('http', 'ws')}/mcp`);
  await new Promise((r) => ws.once('open', r));
  expect(px.proxy.stats.openStreams).toBe(1);
  ws.close();
  await new Promise((r) => ws.once('close', r));
  await new Promise((r) => setTimeout(r, 50));
  expect(px.proxy.stats.openStreams).toBe(0);
  const refused = new WebSocket(`${px.proxy.url.replace('http', 'ws')}/mcp/refuse?token=s3cret`);
  await new Promise((r) => refused.once('error', r));
  expect(px.logs.some((l) => l.includes('websocket upgrade refused by the upstream'))).toBe(true);
  expect(px.logs.join('\n')).not.toContain('s3cret');
});

test('an SSE stream the upstream resets counts as an upstream error and fails the span', async () => {
  px = await startProxy(await upstream((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': open\n\n');
    setTimeout(() => res.socket?.resetAndDestroy(), 30);
  }));
  const res = await fetch(px.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cut"}}' });
  await res.text().catch(() => undefined);
  const span = await px.span('tools/call cut');
  expect(span.attributes['error.type']).toBe('MTP_UPSTREAM_RESET');
  expect(px.proxy.stats.upstreamErrors.MTP_UPSTREAM_RESET).toBe(1);
});

test('a session the client DELETEs ends its pending requests with it, instead of leaving them to expire', async () => {
  px = await startProxy(await upstream((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'DELETE') return void res.writeHead(200).end();
      if (req.headers['mcp-session-id'] === undefined) return void res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-9' }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
      res.writeHead(202).end(); // its answer would come on the GET stream
    });
  }), { pendingTimeoutMs: 600_000 });
  await post(px.url, '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}');
  await post(px.url, '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"waits"}}', { 'mcp-session-id': 'sess-9' });
  expect(px.spans().some((s) => s.name === 'tools/call waits')).toBe(false);
  await fetch(px.url, { method: 'DELETE', headers: { 'mcp-session-id': 'sess-9' } });
  expect((await px.span('tools/call waits')).attributes['mcp_trace_proxy.outcome']).toBe('no_response');
  expect(px.proxy.stats.activeSessions).toBe(0);
});
