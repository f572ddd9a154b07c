// The live view's JSON API and SSE stream on the admin port, with fetch and node:http (no browser).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { TracedProxy, startProxy } from '../helpers/proxy';
import { connectClient } from '../helpers/mcp-client';
import { RecentSpans, SpanRecord } from '../../src/ui/recent';
import { hostAllowed, parseFilter, uiHandler } from '../../src/ui/handler';

interface Stream {
  readonly text: () => string;
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly ended: Promise<void>;
  until(pred: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** Opens an SSE response and accumulates its text. */
function openStream(url: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      const ended = new Promise<void>((r) => res.once('close', () => r()));
      resolve({
        text: () => text,
        status: res.statusCode ?? 0,
        headers: res.headers,
        ended,
        async until(pred, timeoutMs = 3000) {
          const deadline = Date.now() + timeoutMs;
          while (!pred(text)) {
            if (Date.now() > deadline) throw new Error(`stream never matched; got:\n${text}`);
            await new Promise((r) => setTimeout(r, 10));
          }
          return text;
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

function rawGet(url: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('on a running proxy', () => {
  let server: TestServer;
  let px: TracedProxy;
  let admin: string;

  beforeAll(async () => {
    server = await startTestServer();
    px = await startProxy(server.url);
    admin = px.proxy.adminUrl!;
    const c = await connectClient(px.url);
    try {
      await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
      await c.client.callTool({ name: 'fail', arguments: {} });
      await c.client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, { onprogress: () => {} });
    } finally {
      await c.close();
    }
    await px.span('tools/call progress');
  });
  afterAll(async () => {
    await px?.close();
    await server?.close();
  });

  const get = async (path: string) => {
    const res = await fetch(admin + path);
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  const ops = async (query: string) => ((await get('/api/operations' + query)).body.operations as SpanRecord[]);

  test('/api/operations lists the operations, newest first', async () => {
    const { status, headers, body } = await get('/api/operations');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(headers.get('cache-control')).toBe('no-store');
    const names = (body.operations as SpanRecord[]).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['initialize', 'tools/call add', 'tools/call fail', 'tools/call progress']));
    expect(names.indexOf('tools/call progress')).toBeLessThan(names.indexOf('tools/call add'));
    expect(body.capacity).toBe(1000);
    expect(body.buffered).toBe(px.spans().length);
    const add = (body.operations as SpanRecord[]).find((s) => s.name === 'tools/call add')!;
    expect(add).toMatchObject({
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
      kind: 'server',
      status: { code: 'unset' },
      attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add', 'mcp.session.id': expect.any(String) },
    });
    // The view holds what the span holds: no tool arguments unless capture is on.
    expect(JSON.stringify(body)).not.toContain('gen_ai.tool.call.arguments');
  });

  test('/api/operations filters', async () => {
    expect((await ops('?tool=add')).map((s) => s.name)).toEqual(['tools/call add']);
    expect((await ops('?status=error')).map((s) => s.name)).toEqual(['tools/call fail']);
    expect((await ops('?status=ok')).map((s) => s.name)).not.toContain('tools/call fail');
    expect((await ops('?method=tools/call')).map((s) => s.name).sort()).toEqual(['tools/call add', 'tools/call fail', 'tools/call progress']);
    expect(await ops('?min_duration_ms=100000')).toEqual([]);
    expect(await ops('?limit=2')).toHaveLength(2);
    const add = (await ops('?tool=add'))[0];
    expect((await ops(`?trace_id=${add.traceId}`)).map((s) => s.spanId)).toEqual([add.spanId]);
    const session = add.attributes['mcp.session.id'] as string;
    expect((await ops(`?session=${encodeURIComponent(session)}`)).length).toBeGreaterThanOrEqual(4);
    expect(await ops('?session=nope')).toEqual([]);
  });

  test.each([
    ['?status=maybe', /status/],
    ['?trace_id=xyz', /trace_id/],
    ['?min_duration_ms=-1', /min_duration_ms/],
    ['?limit=0', /limit/],
    ['?limit=abc', /limit/],
  ])('/api/operations%s is a 400 that names the parameter', async (query, msg) => {
    const { status, body } = await get('/api/operations' + query);
    expect(status).toBe(400);
    expect(body.error).toMatch(msg);
  });

  test('/api/traces/<id> returns the spans of a trace with their events', async () => {
    const progress = (await ops('?tool=progress'))[0];
    const { status, body } = await get(`/api/traces/${progress.traceId}`);
    expect(status).toBe(200);
    const spans = body.spans as SpanRecord[];
    expect(spans.map((s) => s.name)).toEqual(['tools/call progress']);
    const events = spans[0].events;
    expect(events.filter((e) => e.name === 'mcp.progress').map((e) => e.attributes)).toEqual([
      { 'mcp.progress.value': 1, 'mcp.progress.total': 3 },
      { 'mcp.progress.value': 2, 'mcp.progress.total': 3 },
      { 'mcp.progress.value': 3, 'mcp.progress.total': 3 },
    ]);
    expect(events.map((e) => e.name)).toContain('mcp.log_message');
    expect((await get(`/api/traces/${progress.traceId.toUpperCase()}`)).status).toBe(200);
    expect((await get(`/api/traces/${'0'.repeat(31)}1`)).status).toBe(404);
    expect((await get('/api/traces/not-a-trace')).status).toBe(400);
  });

  test('/api/summary has per-tool counts, error rates and percentiles', async () => {
    const { status, body } = await get('/api/summary');
    expect(status).toBe(200);
    const tools = body.tools as Array<Record<string, unknown>>;
    expect(tools.map((t) => t.tool).sort()).toEqual(['add', 'fail', 'progress']);
    expect(tools.find((t) => t.tool === 'fail')).toMatchObject({ count: 1, errors: 1, errorRate: 1 });
    expect(tools.find((t) => t.tool === 'add')).toMatchObject({ count: 1, errors: 0, errorRate: 0, p50Ms: expect.any(Number), p95Ms: expect.any(Number) });
  });

  test('/api/stream sends each new span as one data: JSON line', async () => {
    const s = await openStream(admin + '/api/stream');
    try {
      expect(s.status).toBe(200);
      expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
      await s.until((t) => t.includes(': connected'));
      const c = await connectClient(px.url);
      await c.client.callTool({ name: 'add', arguments: { a: 40, b: 2 } });
      await c.close();
      const text = await s.until((t) => t.includes('"tools/call add"'));
      const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
      const spans = events.map((e) => JSON.parse(e.slice('data: '.length)) as SpanRecord);
      expect(spans.map((x) => x.name)).toEqual(expect.arrayContaining(['initialize', 'tools/call add']));
      for (const e of events) expect(e.split('\n')).toHaveLength(1); // one line per event
    } finally {
      s.close();
    }
  });

  test('the page is served at / and /index.html with a strict CSP', async () => {
    for (const path of ['/', '/index.html']) {
      const res = await fetch(admin + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
      const html = await res.text();
      expect(html).toContain('<title>mcp-trace-proxy');
      expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/); // nothing fetched from elsewhere
      expect(Buffer.byteLength(html)).toBeLessThan(64 * 1024);
    }
  });

  test('the admin paths it does not own still work, and unknown /api paths are JSON 404s', async () => {
    expect((await fetch(admin + '/healthz')).status).toBe(200);
    expect((await fetch(admin + '/metrics')).status).toBe(200);
    expect((await fetch(admin + '/nope')).status).toBe(404);
    const { status, body } = await get('/api/nope');
    expect(status).toBe(404);
    expect(body.error).toMatch(/api/);
  });

  test('only GET and HEAD', async () => {
    expect((await fetch(admin + '/api/operations', { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(admin + '/', { method: 'HEAD' })).status).toBe(200);
  });

  test('a Host that is a foreign name is refused (DNS rebinding)', async () => {
    const url = admin + '/api/operations';
    expect((await rawGet(url, { host: 'evil.example:9464' })).status).toBe(403);
    expect((await rawGet(admin + '/', { host: 'attacker.test' })).status).toBe(403);
    expect((await rawGet(url, { host: 'localhost:9464' })).status).toBe(200);
    expect((await rawGet(url, { host: '127.0.0.1' })).status).toBe(200);
  });
});

test('closing the proxy ends the open streams', async () => {
  const server = await startTestServer();
  const px = await startProxy(server.url);
  try {
    const s = await openStream(px.proxy.adminUrl + '/api/stream');
    await s.until((t) => t.includes(': connected'));
    await px.close();
    await s.ended;
  } finally {
    await px.close();
    await server.close();
  }
});

describe('the handler alone', () => {
  let recent: RecentSpans;
  let handler: ReturnType<typeof uiHandler>;
  let srv: http.Server;
  let base: string;
  let n = 0;

  function span(bigChars = 0): SpanRecord {
    n++;
    return {
      traceId: n.toString(16).padStart(32, '0'), spanId: n.toString(16).padStart(16, '0'), name: 'tools/call add', kind: 'server',
      startMs: Date.now(), endMs: Date.now() + 1, durationMs: 1, status: { code: 'unset' },
      attributes: { 'mcp.method.name': 'tools/call', big: 'x'.repeat(bigChars) }, events: [], links: [],
    };
  }

  async function serve(opts: Parameters<typeof uiHandler>[1]) {
    recent = new RecentSpans(100);
    handler = uiHandler(recent, opts);
    srv = http.createServer((req, res) => {
      if (!handler(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  }
  afterEach(async () => {
    handler.close();
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  });

  test('sends a heartbeat comment', async () => {
    await serve({ heartbeatMs: 30 });
    const s = await openStream(base + '/api/stream');
    await s.until((t) => t.includes(': heartbeat'));
    s.close();
  });

  test('drops a client that does not read, instead of buffering for it', async () => {
    await serve({ maxStreamBufferBytes: 64 * 1024 });
    const paused = await new Promise<http.IncomingMessage>((resolve) => http.get(base + '/api/stream', resolve));
    paused.pause();
    paused.socket.pause();
    for (let i = 0; i < 50 && handler.streams === 1; i++) {
      for (let j = 0; j < 50; j++) recent.add(span(8 * 1024));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(handler.streams).toBe(0);
    expect(recent.listenerCount).toBe(0);
    paused.socket.destroy();
  });

  test('keeps a client that reads, through a burst', async () => {
    await serve({});
    const s = await openStream(base + '/api/stream');
    await s.until((t) => t.includes(': connected'));
    for (let j = 0; j < 100; j++) recent.add(span(8 * 1024)); // ~800 KiB in one tick
    await s.until((t) => (t.match(/^data: /gm) ?? []).length === 100, 5000);
    expect(handler.streams).toBe(1);
    s.close();
  });

  test('close() ends the streams and refuses new ones', async () => {
    await serve({});
    const s = await openStream(base + '/api/stream');
    await s.until((t) => t.includes(': connected'));
    expect(handler.streams).toBe(1);
    handler.close();
    await s.ended;
    expect(handler.streams).toBe(0);
    expect((await fetch(base + '/api/stream')).status).toBe(503);
  });

  test('accepts the extra host names it is given', async () => {
    await serve({ allowedHosts: ['proxy.internal'] });
    expect((await rawGet(base + '/api/summary', { host: 'proxy.internal:9464' })).status).toBe(200);
    expect((await rawGet(base + '/api/summary', { host: 'evil.example' })).status).toBe(403);
  });

  test('returns false for paths it does not own', async () => {
    await serve({});
    for (const p of ['/healthz', '/readyz', '/metrics', '/favicon.ico', '/apix']) expect((await fetch(base + p)).status).toBe(404);
  });
});

test('parseFilter and hostAllowed', () => {
  expect(parseFilter(new URLSearchParams('method=tools%2Fcall&tool=a&status=error&session=s&min_duration_ms=2.5&limit=5000&trace_id=' + 'A'.repeat(32)), 1000))
    .toEqual({ method: 'tools/call', tool: 'a', status: 'error', session: 's', minDurationMs: 2.5, limit: 1000, traceId: 'a'.repeat(32) });
  expect(parseFilter(new URLSearchParams('tool=' + 'x'.repeat(600)), 10)).toMatch(/tool/);
  for (const h of [undefined, 'localhost', 'localhost:9464', '127.0.0.1:1', '[::1]:9464', '10.0.0.5', 'app.localhost', 'LOCALHOST.']) {
    expect([h, hostAllowed(h)]).toEqual([h, true]);
  }
  for (const h of ['evil.example', 'evil.example:9464', '127.0.0.1.nip.io', '[not-ip]', 'localhost.evil.com']) {
    expect([h, hostAllowed(h)]).toEqual([h, false]);
  }
  const extra = new Set(['proxy.internal']);
  expect(hostAllowed('Proxy.Internal:9464', extra)).toBe(true);
  expect(hostAllowed('proxy.internal', extra)).toBe(true);
  expect(hostAllowed('evil.example', extra)).toBe(false);
});
