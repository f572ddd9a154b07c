// The README's Options, run through the real CLI in front of real peers (the SDK test server, a
// real OTLP receiver, real clients): listeners, the live view, spans and propagation, timeouts
// and shutdown. Each flag, and its MCP_TRACE_PROXY_* variable. Capture, allow-lists and logs are
// in cli-flags-more.test.ts.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connectClient } from '../helpers/mcp-client';
import { HEADERS, INIT, addCall, flagFixture, span, stop } from '../helpers/flags';
import { parsePrometheus, total } from '../helpers/prometheus';

const fx = flagFixture();

describe('listeners', () => {
  test('everything from MCP_TRACE_PROXY_* variables: UPSTREAM, PORT, HOST, ADMIN_PORT, ADMIN_HOST', async () => {
    const { proc, url, admin } = await fx.start([], {
      MCP_TRACE_PROXY_UPSTREAM: fx.server().url, MCP_TRACE_PROXY_PORT: '0', MCP_TRACE_PROXY_HOST: '127.0.0.1',
      MCP_TRACE_PROXY_ADMIN_PORT: '0', MCP_TRACE_PROXY_ADMIN_HOST: '127.0.0.1',
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    await addCall(url);
    await stop(proc);
  });

  test('--host and --admin-host: 0.0.0.0 listens on every address', async () => {
    const { proc, url, admin } = await fx.start(['--upstream', fx.server().url, '--port', '0', '--admin-port', '0', '--host', '0.0.0.0', '--admin-host', '0.0.0.0']);
    expect(url).toContain('0.0.0.0');
    await addCall(url.replace('0.0.0.0', '127.0.0.1'));
    expect((await fetch(`${admin}/readyz`)).status).toBe(200);
    await stop(proc);
  });
});

describe('the live view', () => {
  const page = async (admin: string) => {
    const res = await fetch(`${admin}/`);
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  test('--ui serves it on a non-loopback admin host; without --ui it is off there', async () => {
    const on = await fx.start([...fx.base(), '--admin-host', '0.0.0.0', '--ui']);
    expect(await page(on.admin)).toMatchObject({ status: 200, type: expect.stringContaining('text/html') });
    const off = await fx.start([...fx.base(), '--admin-host', '0.0.0.0']);
    expect((await page(off.admin)).status).toBe(404);
    await stop(on.proc);
    await stop(off.proc);
  });

  test('--no-ui and MCP_TRACE_PROXY_UI=false turn it off on loopback, where it is on by default', async () => {
    const dflt = await fx.start(fx.base());
    expect((await page(dflt.admin)).status).toBe(200);
    const noUi = await fx.start([...fx.base(), '--no-ui']);
    expect((await page(noUi.admin)).status).toBe(404);
    const env = await fx.start(fx.base(), { MCP_TRACE_PROXY_UI: 'false' });
    expect((await page(env.admin)).status).toBe(404);
    for (const p of [dflt, noUi, env]) await stop(p.proc);
  });

  test.each([['--ui-buffer', ['--ui-buffer', '2'], {}], ['MCP_TRACE_PROXY_UI_BUFFER', [], { MCP_TRACE_PROXY_UI_BUFFER: '2' }]])(
    '%s bounds the spans it keeps', async (_l, args, env) => {
      const { proc, url, admin } = await fx.start([...fx.base(), ...args], env);
      const c = await connectClient(url);
      for (let i = 0; i < 3; i++) await c.client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
      await c.close();
      const ops = (await (await fetch(`${admin}/api/operations`)).json()) as { buffered: number; capacity: number };
      expect(ops).toMatchObject({ capacity: 2, buffered: 2 });
      await stop(proc);
    });
});

describe('spans and propagation', () => {
  test('--service-name and MCP_TRACE_PROXY_SERVICE_NAME name the resource', async () => {
    const a = await fx.start([...fx.base(), '--service-name', 'flag-name'], fx.otlp());
    await addCall(a.url);
    await stop(a.proc);
    const b = await fx.start(fx.base(), { ...fx.otlp(), MCP_TRACE_PROXY_SERVICE_NAME: 'env-name' });
    await addCall(b.url);
    await stop(b.proc);
    const names = new Set(fx.receiver().spans.filter((s) => s.name === 'tools/call add').map((s) => s.resource['service.name']));
    expect([...names].sort()).toEqual(['env-name', 'flag-name']);
  });

  test('MCP_TRACE_PROXY_INJECT_META=false: the context goes into the headers only', async () => {
    const { proc, url } = await fx.start(fx.base(), { MCP_TRACE_PROXY_INJECT_META: 'false' });
    await addCall(url);
    await stop(proc);
    const call = fx.server().received.find((r) => r.body.toString().includes('"tools/call"'))!;
    expect(call.headers.traceparent).toMatch(/^00-/);
    expect(call.body.toString()).not.toContain('traceparent');
  });

  test.each([['--no-preserve-host', ['--no-preserve-host'], {}], ['MCP_TRACE_PROXY_PRESERVE_HOST=false', [], { MCP_TRACE_PROXY_PRESERVE_HOST: 'false' }]])(
    "%s sends the upstream's host; by default the client's Host is forwarded", async (_l, args, env) => {
      const { proc, url } = await fx.start([...fx.base(), ...args], env);
      await addCall(url);
      const dflt = await fx.start(fx.base());
      await addCall(dflt.url);
      await stop(proc);
      await stop(dflt.proc);
      const hosts = new Set(fx.server().received.map((r) => r.headers.host));
      expect(hosts).toEqual(new Set([`127.0.0.1:${fx.server().port}`, new URL(dflt.url).host]));
    });

  test('MCP_TRACE_PROXY_MAX_BODY_BYTES: a larger body passes untouched and is counted', async () => {
    const { proc, url, admin } = await fx.start(fx.base(), { MCP_TRACE_PROXY_MAX_BODY_BYTES: '1kb' });
    await addCall(url, undefined, { a: 1, b: 2, pad: 'x'.repeat(2000) });
    const m = parsePrometheus(await (await fetch(`${admin}/metrics`)).text());
    expect(total(m, 'mcp_trace_proxy_bodies_oversized_total')).toBe(1);
    await stop(proc);
    const call = fx.server().received.find((r) => r.body.toString().includes('"tools/call"'))!;
    expect(call.body.length).toBeGreaterThan(1024);
    expect(call.body.toString()).not.toContain('traceparent');
  });
});

describe('timeouts and shutdown', () => {
  test('MCP_TRACE_PROXY_UPSTREAM_TIMEOUT: an upstream that never sends headers gets 504', async () => {
    const sockets = new Set<Socket>();
    const silent = http.createServer(() => undefined); // accepts, reads, never answers
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { proc, url } = await fx.start(['--upstream', `http://127.0.0.1:${(silent.address() as AddressInfo).port}/mcp`, '--port', '0', '--admin-port', '0'],
        { MCP_TRACE_PROXY_UPSTREAM_TIMEOUT: '300ms' });
      const res = await fetch(url, { method: 'POST', headers: HEADERS, body: INIT });
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ id: 1, error: expect.any(Object) });
      await stop(proc);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  test.each([['--pending-timeout', ['--pending-timeout', '300ms'], {}], ['MCP_TRACE_PROXY_PENDING_TIMEOUT', [], { MCP_TRACE_PROXY_PENDING_TIMEOUT: '300ms' }]])(
    '%s: a response that never comes ends the span as expired', async (_l, args, env) => {
      // A session upstream whose event stream for the call ends without the answer: in a session the
      // answer could still come on the GET stream, so the request waits, under the pending timeout.
      const upstream = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'sess-pending' });
          res.end(': no answer here\n\n');
        });
      });
      await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
      try {
        const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;
        const { proc, url } = await fx.start(['--upstream', upstreamUrl, '--port', '0', '--admin-port', '0', ...args], { ...fx.otlp(), ...env });
        const res = await fetch(url, {
          method: 'POST',
          headers: { ...HEADERS, 'mcp-session-id': 'sess-pending' },
          body: '{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"name":"slow","arguments":{}}}',
        });
        expect(res.status).toBe(200);
        await res.text();
        const spans = await fx.receiver().waitForSpans((s) => s.some((x) => x.name === 'tools/call slow'), 15_000);
        expect(span(spans, 'tools/call slow').attributes['mcp_trace_proxy.outcome']).toBe('expired');
        await stop(proc);
      } finally {
        await new Promise((r) => upstream.close(r));
      }
    });

  test.each([['--shutdown-grace', ['--shutdown-grace', '300ms'], {}], ['MCP_TRACE_PROXY_SHUTDOWN_GRACE', [], { MCP_TRACE_PROXY_SHUTDOWN_GRACE: '300ms' }]])(
    '%s: SIGTERM closes an in-flight call after the grace period, exits 0 and exports its span', async (_l, args, env) => {
      const { proc, url } = await fx.start([...fx.base(), ...args], { ...fx.otlp(), OTEL_BSP_SCHEDULE_DELAY: '60000', ...env });
      const c = await connectClient(url);
      const call = c.client.callTool({ name: 'slow', arguments: { ms: 120_000 } }, undefined, { timeout: 180_000 }).catch(() => undefined);
      await new Promise<void>((resolve) => {
        const check = () => (fx.server().received.some((r) => r.body.toString().includes('"slow"')) ? resolve() : setTimeout(check, 20));
        check();
      });
      proc.child.kill('SIGTERM');
      expect(await proc.exit).toBe(0); // long before the 120 s call would have finished
      const spans = await fx.receiver().waitForSpans((s) => s.some((x) => x.name === 'tools/call slow'));
      expect(['shutdown', 'client_abort']).toContain(span(spans, 'tools/call slow').attributes['mcp_trace_proxy.outcome']);
      await c.close();
      await call;
    }, 60_000);

  test.each([['--drain-delay', ['--drain-delay', '2s'], {}], ['MCP_TRACE_PROXY_DRAIN_DELAY', [], { MCP_TRACE_PROXY_DRAIN_DELAY: '2s' }]])(
    '%s: after SIGTERM /readyz answers 503 while calls are still served, and the exit waits for it', async (_l, args, env) => {
      const { proc, url, admin } = await fx.start([...fx.base(), ...args], env);
      const c = await connectClient(url);
      const sent = Date.now();
      proc.child.kill('SIGTERM');
      for (;;) {
        if ((await fetch(`${admin}/readyz`)).status === 503) break;
        if (Date.now() - sent > 10_000) throw new Error('/readyz never answered 503');
      }
      expect((await c.client.callTool({ name: 'add', arguments: { a: 2, b: 2 } })).content).toEqual([{ type: 'text', text: '4' }]);
      await c.close();
      expect(await proc.exit).toBe(0);
      expect(Date.now() - sent).toBeGreaterThanOrEqual(2000);
    });
});

