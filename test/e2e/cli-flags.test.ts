// Every flag of the README's Options table, and its MCP_TRACE_PROXY_* variable, run through the
// real CLI in front of real peers: the SDK test server, a real OTLP receiver, real clients.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, listening, runCli as run, Proc } from '../helpers/cli';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver';
import { parsePrometheus, total } from '../helpers/prometheus';
import { freePort } from '../helpers/prometheus-server';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}';

let server: TestServer;
let receiver: OtlpReceiver;
const procs: Proc[] = [];
beforeEach(async () => {
  server = await startTestServer();
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  for (const p of procs.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exit;
  }
  await server.close();
  await receiver.close();
});

/** Starts the CLI (flags and env as given, nothing else) and waits for its listening line. */
async function start(args: string[], env: Record<string, string> = {}): Promise<{ proc: Proc; url: string; admin: string }> {
  const proc = run(args, env);
  procs.push(proc);
  const { url, admin } = await listening(proc);
  return { proc, url, admin: admin.replace('//0.0.0.0:', '//127.0.0.1:') };
}
const base = () => ['--upstream', server.url, '--port', '0', '--admin-port', '0'];
const otlp = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' });

async function stop(proc: Proc): Promise<void> {
  proc.child.kill('SIGTERM');
  expect(await proc.exit).toBe(0);
}

async function addCall(url: string, headers?: Record<string, string>, args: Record<string, unknown> = { a: 1, b: 2 }): Promise<void> {
  const c = await connectClient(url, { headers });
  await c.client.callTool({ name: 'add', arguments: args });
  await c.close();
}

const span = (spans: ReceivedSpan[], name: string): ReceivedSpan => {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name}: ${spans.map((x) => x.name).join(', ')}`);
  return s;
};

describe('listeners', () => {
  test('everything from MCP_TRACE_PROXY_* variables: UPSTREAM, PORT, HOST, ADMIN_PORT, ADMIN_HOST', async () => {
    const { proc, url, admin } = await start([], {
      MCP_TRACE_PROXY_UPSTREAM: server.url, MCP_TRACE_PROXY_PORT: '0', MCP_TRACE_PROXY_HOST: '127.0.0.1',
      MCP_TRACE_PROXY_ADMIN_PORT: '0', MCP_TRACE_PROXY_ADMIN_HOST: '127.0.0.1',
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    await addCall(url);
    await stop(proc);
  });

  test('--host and --admin-host: 0.0.0.0 listens on every address', async () => {
    const { proc, url, admin } = await start(['--upstream', server.url, '--port', '0', '--admin-port', '0', '--host', '0.0.0.0', '--admin-host', '0.0.0.0']);
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
    const on = await start([...base(), '--admin-host', '0.0.0.0', '--ui']);
    expect(await page(on.admin)).toMatchObject({ status: 200, type: expect.stringContaining('text/html') });
    const off = await start([...base(), '--admin-host', '0.0.0.0']);
    expect((await page(off.admin)).status).toBe(404);
    await stop(on.proc);
    await stop(off.proc);
  });

  test('--no-ui and MCP_TRACE_PROXY_UI=false turn it off on loopback, where it is on by default', async () => {
    const dflt = await start(base());
    expect((await page(dflt.admin)).status).toBe(200);
    const noUi = await start([...base(), '--no-ui']);
    expect((await page(noUi.admin)).status).toBe(404);
    const env = await start(base(), { MCP_TRACE_PROXY_UI: 'false' });
    expect((await page(env.admin)).status).toBe(404);
    for (const p of [dflt, noUi, env]) await stop(p.proc);
  });

  test.each([['--ui-buffer', ['--ui-buffer', '2'], {}], ['MCP_TRACE_PROXY_UI_BUFFER', [], { MCP_TRACE_PROXY_UI_BUFFER: '2' }]])(
    '%s bounds the spans it keeps', async (_l, args, env) => {
      const { proc, url, admin } = await start([...base(), ...args], env);
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
    const a = await start([...base(), '--service-name', 'flag-name'], otlp());
    await addCall(a.url);
    await stop(a.proc);
    const b = await start(base(), { ...otlp(), MCP_TRACE_PROXY_SERVICE_NAME: 'env-name' });
    await addCall(b.url);
    await stop(b.proc);
    const names = new Set(receiver.spans.filter((s) => s.name === 'tools/call add').map((s) => s.resource['service.name']));
    expect([...names].sort()).toEqual(['env-name', 'flag-name']);
  });

  test('MCP_TRACE_PROXY_INJECT_META=false: the context goes into the headers only', async () => {
    const { proc, url } = await start(base(), { MCP_TRACE_PROXY_INJECT_META: 'false' });
    await addCall(url);
    await stop(proc);
    const call = server.received.find((r) => r.body.toString().includes('"tools/call"'))!;
    expect(call.headers.traceparent).toMatch(/^00-/);
    expect(call.body.toString()).not.toContain('traceparent');
  });

  test.each([['--no-preserve-host', ['--no-preserve-host'], {}], ['MCP_TRACE_PROXY_PRESERVE_HOST=false', [], { MCP_TRACE_PROXY_PRESERVE_HOST: 'false' }]])(
    "%s sends the upstream's host; by default the client's Host is forwarded", async (_l, args, env) => {
      const { proc, url } = await start([...base(), ...args], env);
      await addCall(url);
      const dflt = await start(base());
      await addCall(dflt.url);
      await stop(proc);
      await stop(dflt.proc);
      const hosts = new Set(server.received.map((r) => r.headers.host));
      expect(hosts).toEqual(new Set([`127.0.0.1:${server.port}`, new URL(dflt.url).host]));
    });

  test('MCP_TRACE_PROXY_MAX_BODY_BYTES: a larger body passes untouched and is counted', async () => {
    const { proc, url, admin } = await start(base(), { MCP_TRACE_PROXY_MAX_BODY_BYTES: '1kb' });
    await addCall(url, undefined, { a: 1, b: 2, pad: 'x'.repeat(2000) });
    const m = parsePrometheus(await (await fetch(`${admin}/metrics`)).text());
    expect(total(m, 'mcp_trace_proxy_bodies_oversized_total')).toBe(1);
    await stop(proc);
    const call = server.received.find((r) => r.body.toString().includes('"tools/call"'))!;
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
      const { proc, url } = await start(['--upstream', `http://127.0.0.1:${(silent.address() as AddressInfo).port}/mcp`, '--port', '0', '--admin-port', '0'],
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
      const { proc, url } = await start([...base(), ...args], { ...otlp(), ...env });
      const c = await connectClient(url);
      const call = c.client.callTool({ name: 'slow', arguments: { ms: 20_000 } }, undefined, { timeout: 60_000 }).catch(() => undefined);
      const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'tools/call slow'), 15_000);
      expect(span(spans, 'tools/call slow').attributes['mcp_trace_proxy.outcome']).toBe('expired');
      await c.close();
      await call;
      await stop(proc);
    });

  test.each([['--shutdown-grace', ['--shutdown-grace', '300ms'], {}], ['MCP_TRACE_PROXY_SHUTDOWN_GRACE', [], { MCP_TRACE_PROXY_SHUTDOWN_GRACE: '300ms' }]])(
    '%s: SIGTERM closes an in-flight call after the grace period, exits 0 and exports its span', async (_l, args, env) => {
      const { proc, url } = await start([...base(), ...args], { ...otlp(), OTEL_BSP_SCHEDULE_DELAY: '60000', ...env });
      const c = await connectClient(url);
      const call = c.client.callTool({ name: 'slow', arguments: { ms: 120_000 } }, undefined, { timeout: 180_000 }).catch(() => undefined);
      await new Promise<void>((resolve) => {
        const check = () => (server.received.some((r) => r.body.toString().includes('"slow"')) ? resolve() : setTimeout(check, 20));
        check();
      });
      proc.child.kill('SIGTERM');
      expect(await proc.exit).toBe(0); // long before the 120 s call would have finished
      const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'tools/call slow'));
      expect(['shutdown', 'client_abort']).toContain(span(spans, 'tools/call slow').attributes['mcp_trace_proxy.outcome']);
      await c.close();
      await call;
    }, 60_000);

  test.each([['--drain-delay', ['--drain-delay', '2s'], {}], ['MCP_TRACE_PROXY_DRAIN_DELAY', [], { MCP_TRACE_PROXY_DRAIN_DELAY: '2s' }]])(
    '%s: after SIGTERM /readyz answers 503 while calls are still served, and the exit waits for it', async (_l, args, env) => {
      const { proc, url, admin } = await start([...base(), ...args], env);
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

describe('capture and redaction', () => {
  test('--capture-arguments, --capture-results and --redact-key', async () => {
    const { proc, url } = await start([...base(), '--capture-arguments', '--capture-results', '--redact-key', 'b,x-custom'], otlp());
    await addCall(url);
    await stop(proc);
    const add = span(receiver.spans, 'tools/call add');
    expect(JSON.parse(String(add.attributes['gen_ai.tool.call.arguments']))).toEqual({ a: 1, b: '[REDACTED]' });
    expect(JSON.parse(String(add.attributes['gen_ai.tool.call.result']))).toEqual({ content: [{ type: 'text', text: '3' }] });
  });

  test('the same from MCP_TRACE_PROXY_CAPTURE_ARGUMENTS, _CAPTURE_RESULTS, _REDACT_KEY and _CAPTURE_MAX_LENGTH', async () => {
    const { proc, url } = await start(base(), {
      ...otlp(), MCP_TRACE_PROXY_CAPTURE_ARGUMENTS: 'true', MCP_TRACE_PROXY_CAPTURE_RESULTS: 'true', MCP_TRACE_PROXY_REDACT_KEY: 'a',
      MCP_TRACE_PROXY_CAPTURE_MAX_LENGTH: '12',
    });
    await addCall(url);
    await stop(proc);
    const add = span(receiver.spans, 'tools/call add');
    const args = String(add.attributes['gen_ai.tool.call.arguments']);
    expect(args).toMatch(/^\{"a":"\[REDAC.*…\[truncated\]$/);
    expect(String(add.attributes['gen_ai.tool.call.result'])).toMatch(/^.{12}…\[truncated\]$/);
  });

  test('--capture-max-length truncates long captured text', async () => {
    const { proc, url } = await start([...base(), '--capture-arguments', '--capture-max-length', '10'], otlp());
    await addCall(url, undefined, { a: 123456789, b: 2 });
    await stop(proc);
    expect(span(receiver.spans, 'tools/call add').attributes['gen_ai.tool.call.arguments']).toBe('{"a":12345…[truncated]');
  });
});

describe('allow-lists', () => {
  test('--allowed-hosts: another Host gets 403; a listed one passes', async () => {
    const { proc, url } = await start([...base(), '--allowed-hosts', 'localhost']);
    const byIp = await fetch(url, { method: 'POST', headers: HEADERS, body: INIT });
    expect(byIp.status).toBe(403);
    expect(await byIp.json()).toMatchObject({ error: { message: expect.stringContaining('Host') } });
    await addCall(url.replace('127.0.0.1', 'localhost'));
    await stop(proc);
    expect(server.received.length).toBeGreaterThan(0);
    expect(server.received.every((r) => r.headers.host?.startsWith('localhost:'))).toBe(true);
  });

  test('--allowed-origins: an allowed Origin passes, another gets 403, none passes', async () => {
    const { proc, url } = await start([...base(), '--allowed-origins', 'https://app.example']);
    const bad = await fetch(url, { method: 'POST', headers: { ...HEADERS, origin: 'https://evil.example' }, body: INIT });
    expect(bad.status).toBe(403);
    await bad.text();
    await addCall(url, { origin: 'https://app.example' });
    await addCall(url);
    await stop(proc);
    const origins = server.received.map((r) => r.headers.origin);
    expect(origins).toContain('https://app.example');
    expect(origins).not.toContain('https://evil.example');
  });

  test('MCP_TRACE_PROXY_ALLOWED_HOSTS and MCP_TRACE_PROXY_ALLOWED_ORIGINS', async () => {
    const { proc, url } = await start(base(), { MCP_TRACE_PROXY_ALLOWED_HOSTS: 'localhost', MCP_TRACE_PROXY_ALLOWED_ORIGINS: 'https://app.example' });
    expect((await fetch(url, { method: 'POST', headers: HEADERS, body: INIT })).status).toBe(403);
    const viaLocalhost = url.replace('127.0.0.1', 'localhost');
    expect((await fetch(viaLocalhost, { method: 'POST', headers: { ...HEADERS, origin: 'https://evil.example' }, body: INIT })).status).toBe(403);
    await addCall(viaLocalhost, { origin: 'https://app.example' });
    await stop(proc);
  });
});

describe('logs and responses', () => {
  /** Starts on fixed free ports (a quiet log has no listening line) and waits for /healthz. */
  async function startQuiet(args: string[], env: Record<string, string> = {}) {
    const [port, adminPort] = [await freePort(), await freePort()];
    const proc = run(['--upstream', server.url, '--port', String(port), '--admin-port', String(adminPort), ...args], env);
    procs.push(proc);
    const admin = `http://127.0.0.1:${adminPort}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await fetch(`${admin}/healthz`).then((r) => r.ok, () => false)) break;
      if (Date.now() > deadline || proc.child.exitCode !== null) throw new Error(`proxy did not start:\n${proc.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { proc, url: `http://127.0.0.1:${port}/mcp` };
  }

  test.each([['--log-level', ['--log-level', 'warn'], {}], ['MCP_TRACE_PROXY_LOG_LEVEL', [], { MCP_TRACE_PROXY_LOG_LEVEL: 'error' }]])(
    '%s: no info lines', async (_l, args, env) => {
      const { proc, url } = await startQuiet(args, env);
      await addCall(url);
      await stop(proc);
      expect(proc.output()).not.toMatch(/"level":"(info|debug)"/);
      expect(proc.output()).not.toContain('listening');
    });

  test('--log-format pretty is readable text; MCP_TRACE_PROXY_LOG_FORMAT=json one object per line', async () => {
    const pretty = await startQuiet(['--log-format', 'pretty']);
    await stop(pretty.proc);
    const lines = pretty.proc.output().split('\n').filter(Boolean);
    expect(lines.some((l) => l.includes('listening'))).toBe(true);
    expect(lines.some((l) => l.startsWith('{'))).toBe(false);
    const json = await start(base(), { MCP_TRACE_PROXY_LOG_FORMAT: 'json' });
    await stop(json.proc);
    for (const l of json.proc.output().split('\n').filter(Boolean)) expect(JSON.parse(l)).toMatchObject({ time: expect.any(String), level: expect.any(String), msg: expect.any(String) });
  });

  test.each([['--access-log', ['--access-log'], {}], ['MCP_TRACE_PROXY_ACCESS_LOG', [], { MCP_TRACE_PROXY_ACCESS_LOG: 'true' }]])(
    '%s: one line per operation', async (_l, args, env) => {
      const { proc, url } = await start([...base(), ...args], env);
      await addCall(url);
      await stop(proc);
      const lines = proc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.find((l) => l.msg === 'mcp' && l.method === 'tools/call')).toMatchObject({ target: 'add', status: 'ok', trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    });

  test.each([['--trace-response', ['--trace-response'], {}], ['MCP_TRACE_PROXY_TRACE_RESPONSE', [], { MCP_TRACE_PROXY_TRACE_RESPONSE: 'true' }]])(
    '%s adds a traceresponse header', async (_l, args, env) => {
      const { proc, url } = await start([...base(), ...args], env);
      const res = await fetch(url, { method: 'POST', headers: HEADERS, body: INIT });
      expect(res.headers.get('traceresponse')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      await res.text();
      await stop(proc);
    });

  test('--help lists the flags; --version prints the version', async () => {
    const help = run(['--help']);
    expect(await help.exit).toBe(0);
    for (const f of ['--upstream', '--openinference', '--capture-arguments', '--allowed-origins', '--drain-delay']) expect(help.output()).toContain(f);
    const version = run(['--version']);
    expect(await version.exit).toBe(0);
    expect(version.output().trim()).toBe((require('../../package.json') as { version: string }).version);
  });
});

test('MCP_TRACE_PROXY_STDIO=true wraps the command after --, as --stdio does', async () => {
  const everything = path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');
  const client = new Client({ name: 'stdio-env', version: '1.0.0' });
  await client.connect(new StdioClientTransport({
    command: process.execPath, args: [CLI, '--', process.execPath, everything, 'stdio'],
    env: { PATH: process.env.PATH ?? '', MCP_TRACE_PROXY_STDIO: 'true', ...otlp() }, stderr: 'ignore',
  }));
  try {
    expect(JSON.stringify(await client.callTool({ name: 'echo', arguments: { message: 'over stdio' } }))).toContain('over stdio');
  } finally {
    await client.close();
  }
  const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'tools/call echo'), 15_000);
  expect(span(spans, 'tools/call echo').attributes['network.transport']).toBe('pipe');
});
