// The README's Options, run through the real CLI in front of real peers: capture and redaction,
// the Host/Origin allow-lists, logs, traceresponse, --help/--version, and stdio from its variable.
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, runCli as run } from '../helpers/cli';
import { HEADERS, INIT, addCall, flagFixture, span, stop } from '../helpers/flags';
import { freePort } from '../helpers/prometheus-server';

const fx = flagFixture();

describe('capture and redaction', () => {
  test('--capture-arguments, --capture-results and --redact-key', async () => {
    const { proc, url } = await fx.start([...fx.base(), '--capture-arguments', '--capture-results', '--redact-key', 'b,x-custom'], fx.otlp());
    await addCall(url);
    await stop(proc);
    const add = span(fx.receiver().spans, 'tools/call add');
    expect(JSON.parse(String(add.attributes['gen_ai.tool.call.arguments']))).toEqual({ a: 1, b: '[REDACTED]' });
    expect(JSON.parse(String(add.attributes['gen_ai.tool.call.result']))).toEqual({ content: [{ type: 'text', text: '3' }] });
  });

  test('the same from MCP_TRACE_PROXY_CAPTURE_ARGUMENTS, _CAPTURE_RESULTS, _REDACT_KEY and _CAPTURE_MAX_LENGTH', async () => {
    const { proc, url } = await fx.start(fx.base(), {
      ...fx.otlp(), MCP_TRACE_PROXY_CAPTURE_ARGUMENTS: 'true', MCP_TRACE_PROXY_CAPTURE_RESULTS: 'true', MCP_TRACE_PROXY_REDACT_KEY: 'a',
      MCP_TRACE_PROXY_CAPTURE_MAX_LENGTH: '12',
    });
    await addCall(url);
    await stop(proc);
    const add = span(fx.receiver().spans, 'tools/call add');
    const args = String(add.attributes['gen_ai.tool.call.arguments']);
    expect(args).toMatch(/^\{"a":"\[REDAC.*…\[truncated\]$/);
    expect(String(add.attributes['gen_ai.tool.call.result'])).toMatch(/^.{12}…\[truncated\]$/);
  });

  test('--capture-max-length truncates long captured text', async () => {
    const { proc, url } = await fx.start([...fx.base(), '--capture-arguments', '--capture-max-length', '10'], fx.otlp());
    await addCall(url, undefined, { a: 123456789, b: 2 });
    await stop(proc);
    expect(span(fx.receiver().spans, 'tools/call add').attributes['gen_ai.tool.call.arguments']).toBe('{"a":12345…[truncated]');
  });
});

describe('allow-lists', () => {
  test('--allowed-hosts: another Host gets 403; a listed one passes', async () => {
    const { proc, url } = await fx.start([...fx.base(), '--allowed-hosts', 'localhost']);
    const byIp = await fetch(url, { method: 'POST', headers: HEADERS, body: INIT });
    expect(byIp.status).toBe(403);
    expect(await byIp.json()).toMatchObject({ error: { message: expect.stringContaining('Host') } });
    await addCall(url.replace('127.0.0.1', 'localhost'));
    await stop(proc);
    expect(fx.server().received.length).toBeGreaterThan(0);
    expect(fx.server().received.every((r) => r.headers.host?.startsWith('localhost:'))).toBe(true);
  });

  test('--allowed-origins: an allowed Origin passes, another gets 403, none passes', async () => {
    const { proc, url } = await fx.start([...fx.base(), '--allowed-origins', 'https://app.example']);
    const bad = await fetch(url, { method: 'POST', headers: { ...HEADERS, origin: 'https://evil.example' }, body: INIT });
    expect(bad.status).toBe(403);
    await bad.text();
    await addCall(url, { origin: 'https://app.example' });
    await addCall(url);
    await stop(proc);
    const origins = fx.server().received.map((r) => r.headers.origin);
    expect(origins).toContain('https://app.example');
    expect(origins).not.toContain('https://evil.example');
  });

  test('MCP_TRACE_PROXY_ALLOWED_HOSTS and MCP_TRACE_PROXY_ALLOWED_ORIGINS', async () => {
    const { proc, url } = await fx.start(fx.base(), { MCP_TRACE_PROXY_ALLOWED_HOSTS: 'localhost', MCP_TRACE_PROXY_ALLOWED_ORIGINS: 'https://app.example' });
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
    const proc = run(['--upstream', fx.server().url, '--port', String(port), '--admin-port', String(adminPort), ...args], env);
    fx.procs.push(proc);
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
    const json = await fx.start(fx.base(), { MCP_TRACE_PROXY_LOG_FORMAT: 'json' });
    await stop(json.proc);
    for (const l of json.proc.output().split('\n').filter(Boolean)) expect(JSON.parse(l)).toMatchObject({ time: expect.any(String), level: expect.any(String), msg: expect.any(String) });
  });

  test.each([['--access-log', ['--access-log'], {}], ['MCP_TRACE_PROXY_ACCESS_LOG', [], { MCP_TRACE_PROXY_ACCESS_LOG: 'true' }]])(
    '%s: one line per operation', async (_l, args, env) => {
      const { proc, url } = await fx.start([...fx.base(), ...args], env);
      await addCall(url);
      await stop(proc);
      const lines = proc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.find((l) => l.msg === 'mcp' && l.method === 'tools/call')).toMatchObject({ target: 'add', status: 'ok', trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    });

  test.each([['--trace-response', ['--trace-response'], {}], ['MCP_TRACE_PROXY_TRACE_RESPONSE', [], { MCP_TRACE_PROXY_TRACE_RESPONSE: 'true' }]])(
    '%s adds a traceresponse header', async (_l, args, env) => {
      const { proc, url } = await fx.start([...fx.base(), ...args], env);
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
    env: { PATH: process.env.PATH ?? '', MCP_TRACE_PROXY_STDIO: 'true', ...fx.otlp() }, stderr: 'ignore',
  }));
  try {
    expect(JSON.stringify(await client.callTool({ name: 'echo', arguments: { message: 'over stdio' } }))).toContain('over stdio');
  } finally {
    await client.close();
  }
  const spans = await fx.receiver().waitForSpans((s) => s.some((x) => x.name === 'tools/call echo'), 15_000);
  expect(span(spans, 'tools/call echo').attributes['network.transport']).toBe('pipe');
});
