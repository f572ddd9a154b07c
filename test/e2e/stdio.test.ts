// --stdio end to end, with real processes: an MCP client launches the proxy, which launches the
// server (server-everything, or a tiny inline script), and spans go over OTLP to a real receiver.
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver';

const CLI = path.join(__dirname, '../../dist/cli.js');
const EVERYTHING = path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');

// A line-oriented test server: for every line it receives (split on '\n' only) it answers a request
// with the line's params._meta.traceparent, and anything else with a test/raw notification; both
// carry the exact bytes it got, base64. A final line without '\n' is handled at EOF.
const ECHO_SERVER = `
let buf = Buffer.alloc(0);
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
function handle(line) {
  let msg;
  try { msg = JSON.parse(line.toString('utf8')); } catch {}
  const raw = line.toString('base64');
  if (msg && typeof msg.method === 'string' && msg.id !== undefined) {
    const meta = (msg.params && msg.params._meta) || {};
    const version = msg.method === 'initialize' ? { protocolVersion: msg.params.protocolVersion } : {};
    out({ jsonrpc: '2.0', id: msg.id, result: { traceparent: meta.traceparent ?? null, raw, ...version } });
  } else {
    out({ jsonrpc: '2.0', method: 'test/raw', params: { raw } });
  }
}
process.stdin.on('data', (c) => {
  buf = Buffer.concat([buf, c]);
  let i;
  while ((i = buf.indexOf(10)) >= 0) {
    handle(buf.subarray(0, i));
    buf = buf.subarray(i + 1);
  }
});
process.stdin.on('end', () => { if (buf.length) handle(buf); });
`;

let tmp: string;
let echoServer: string;
let receiver: OtlpReceiver;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-trace-proxy-stdio-'));
  echoServer = path.join(tmp, 'echo-server.js');
  fs.writeFileSync(echoServer, ECHO_SERVER);
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

function otelEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids of a process' children (Linux /proc; empty elsewhere). */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const span = (spans: ReceivedSpan[], name: string): ReceivedSpan | undefined => spans.find((s) => s.name === name);

interface RawProxy {
  child: ChildProcess;
  /** Everything the proxy wrote to stdout so far. */
  stdout(): Buffer;
  stderr(): string;
  /** stdout's complete lines, parsed. */
  messages(): Record<string, any>[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The proxy started the way an MCP client starts a stdio server, with our own hands on its pipes. */
function startRaw(proxyArgs: string[], command: string[], env: Record<string, string> = otelEnv(), dashes = true): RawProxy {
  const child = spawn(process.execPath, [CLI, ...proxyArgs, '--stdio', ...(dashes ? ['--'] : []), ...command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin!.on('error', () => {}); // the proxy may be gone already
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const stdout = () => Buffer.concat(out);
  return {
    child,
    stdout,
    stderr: () => err,
    messages: () => stdout().toString('utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l) as Record<string, any>),
    exit,
  };
}

describe('with server-everything', () => {
  function transportFor(command: string, args: string[], env: Record<string, string>) {
    const t = new StdioClientTransport({ command, args, env, stderr: 'pipe' });
    let err = '';
    t.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    return { t, stderr: () => err };
  }

  test('tools answer as they do directly; spans are SERVER spans over a pipe; the proxy exits with the client', async () => {
    const direct = new Client({ name: 'direct', version: '1.0.0' });
    await direct.connect(transportFor(process.execPath, [EVERYTHING, 'stdio'], { PATH: process.env.PATH ?? '' }).t);
    const proxied = new Client({ name: 'proxied', version: '1.0.0' });
    const { t, stderr } = transportFor(process.execPath, [CLI, '--stdio', '--', process.execPath, EVERYTHING, 'stdio'], otelEnv());
    let proxyPid: number | null = null;
    let serverPids: number[] = [];
    try {
      await proxied.connect(t);
      proxyPid = t.pid;
      expect(proxyPid).toEqual(expect.any(Number));
      serverPids = childrenOf(proxyPid!);
      if (fs.existsSync(`/proc/${proxyPid}/task/${proxyPid}/children`)) expect(serverPids).toHaveLength(1);

      const [dTools, pTools] = [await direct.listTools(), await proxied.listTools()];
      expect(pTools).toEqual(dTools);
      expect(pTools.tools.length).toBeGreaterThan(5);
      for (const args of [{ name: 'echo', arguments: { message: 'hello ünïcode ☃' } }, { name: 'get-sum', arguments: { a: 20, b: 22 } }]) {
        expect(await proxied.callTool(args)).toEqual(await direct.callTool(args));
      }
      // server-everything answers an unknown tool with an isError result (the SDK's McpServer does that).
      const bad = await proxied.callTool({ name: 'no-such-tool', arguments: {} });
      expect(bad.isError).toBe(true);
    } finally {
      await direct.close();
      await proxied.close();
    }

    // The client closed our stdin: the server exits, then the proxy, with nothing left behind.
    await until(() => !alive(proxyPid!), `proxy pid ${proxyPid} to exit`);
    for (const pid of serverPids) await until(() => !alive(pid), `server pid ${pid} to exit`);
    expect(stderr()).toContain('wrapping a stdio server');

    const spans = await receiver.waitForSpans((s) => ['initialize', 'tools/list', 'tools/call get-sum', 'tools/call no-such-tool'].every((n) => span(s, n)));
    for (const name of ['initialize', 'tools/list', 'tools/call get-sum', 'tools/call echo']) {
      const s = span(spans, name)!;
      expect(s.kind).toBe(2);
      expect(s.attributes['network.transport']).toBe('pipe');
      expect(s.attributes['network.protocol.name']).toBeUndefined();
      expect(s.status.code).not.toBe(2);
    }
    expect(span(spans, 'tools/call get-sum')!.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get-sum', 'jsonrpc.request.id': expect.any(String) });
    const err = span(spans, 'tools/call no-such-tool')!;
    expect(err.status.code).toBe(2);
    expect(err.attributes['error.type']).toBe('tool_error');
  });

  test('stdout carries only MCP messages; logs and console spans go to stderr', async () => {
    const p = startRaw([], [process.execPath, EVERYTHING, 'stdio'], { PATH: process.env.PATH ?? '', OTEL_TRACES_EXPORTER: 'console' });
    try {
      p.child.stdin!.write(JSON.stringify({
        jsonrpc: '2.0', id: 1, method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }) + '\n');
      await until(() => p.messages().some((m) => m.id === 1), 'the initialize response');
      p.child.stdin!.end();
      expect((await p.exit).code).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
    const text = p.stdout().toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const m of p.messages()) expect(m.jsonrpc).toBe('2.0');
    expect(p.messages().find((m) => m.id === 1)!.result.serverInfo).toBeDefined();
    expect(p.stderr()).toContain('wrapping a stdio server');
    expect(p.stderr()).toMatch(/span initialize .*trace_id=/);
    expect(text).not.toContain('trace_id=');
  });
});

describe('with an inline line-echo server', () => {
  const raw = (m: Record<string, any>): Buffer => Buffer.from((m.result?.raw ?? m.params?.raw) as string, 'base64');

  test('the server receives params._meta.traceparent naming the proxy span; bytes are kept exactly', async () => {
    // Sessionless raw lines: only `always` creates a _meta (auto waits for a session-era initialize).
    const p = startRaw(['--max-body-bytes', '1kb', '--inject-meta', 'always'], [process.execPath, echoServer]);
    const stdin = p.child.stdin!;
    const big = JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'tools/call', params: { name: 'big', arguments: { pad: 'x'.repeat(3000) } } });
    const invalidUtf8 = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","method":"notifications/x","params":{"s":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
    const split = Buffer.from('{"jsonrpc":"2.0","id":"split","method":"tools/call","params":{"name":"café"}}\n');
    const cut = split.indexOf(Buffer.from('é')) + 1; // in the middle of the two bytes of 'é'
    try {
      stdin.write('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo-meta","arguments":{}}}\n');
      stdin.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\r\n');
      stdin.write('not json at all\n');
      stdin.write(Buffer.concat([invalidUtf8, Buffer.from('\n')]));
      stdin.write(big + '\n');
      stdin.write('{"jsonrpc":"2.0","id":12345678901234567890,"method":"ping", "params" : { "_meta" : {"traceparent":"00-11111111111111111111111111111111-2222222222222222-01","k":1} } }\n');
      stdin.write(split.subarray(0, cut));
      await new Promise((r) => setTimeout(r, 100));
      stdin.write(split.subarray(cut));
      stdin.end('{"jsonrpc":"2.0","id":"last","method":"ping"}'); // no '\n' before EOF
      expect((await p.exit).code).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
    const msgs = p.messages();
    const byId = (id: unknown) => msgs.find((m) => m.id === id)!;
    const notes = msgs.filter((m) => m.method === 'test/raw').map(raw);

    const spans = await receiver.waitForSpans((s) => !!span(s, 'tools/call echo-meta') && !!span(s, 'tools/call café') && s.filter((x) => x.name === 'ping').length === 3);
    const echoSpan = span(spans, 'tools/call echo-meta')!;
    expect(byId(1).result.traceparent).toBe(`00-${echoSpan.traceId}-${echoSpan.spanId}-01`);
    expect(echoSpan.attributes['network.transport']).toBe('pipe');
    const splitSpan = span(spans, 'tools/call café')!;
    expect(byId('split').result.traceparent).toBe(`00-${splitSpan.traceId}-${splitSpan.spanId}-01`);

    // A '\r' before the '\n' stays part of the line; the context is still spliced in.
    const ping = raw(byId(2)).toString('utf8');
    expect(ping.endsWith('\r')).toBe(true);
    expect(JSON.parse(ping).params._meta.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // Not JSON, or not UTF-8: forwarded as it came.
    expect(notes.map((b) => b.toString('latin1'))).toContain('not json at all');
    expect(notes.some((b) => b.equals(invalidUtf8))).toBe(true);
    // Longer than --max-body-bytes: untouched, and no span.
    expect(raw(byId('big')).toString('utf8')).toBe(big);
    expect(byId('big').result.traceparent).toBeNull();
    expect(span(spans, 'tools/call big')).toBeUndefined();
    // A splice keeps everything else byte for byte: big integers, spacing, other _meta keys. The
    // client's traceparent is the proxy span's parent, and the server gets the proxy span instead.
    const bigIdMsg = msgs.find((m) => typeof m.id === 'number' && m.id > 2 ** 53)!;
    const bigId = raw(bigIdMsg).toString('utf8');
    expect(bigId).toContain('"id":12345678901234567890,"method":"ping", "params" : { "_meta" : {');
    expect(bigId).toContain('"k":1} } }');
    const child = spans.find((x) => x.name === 'ping' && x.parentSpanId === '2222222222222222')!;
    expect(child.traceId).toBe('11111111111111111111111111111111');
    expect(bigIdMsg.result.traceparent).toBe(`00-${child.traceId}-${child.spanId}-01`);
    expect(bigId.match(/traceparent/g)).toHaveLength(1);
    // A multi-byte character split across writes arrives whole.
    expect(raw(byId('split')).toString('utf8')).toContain('"name":"café"');
    // The last line, with no newline, still went through (and is still without one).
    const last = raw(byId('last')).toString('utf8');
    expect(last.endsWith('}')).toBe(true);
    expect(JSON.parse(last).params._meta.traceparent).toBeDefined();
  });

  test('ten requests of 10 B to 3 MB, written in random pieces, all reach the server intact', async () => {
    const p = startRaw([], [process.execPath, echoServer]);
    const sizes = [10, 100, 1000, 65_535, 65_536, 65_537, 200_000, 1_000_000, 2_000_000, 3_000_000];
    const lines = sizes.map((n, i) => Buffer.from(`{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":"big","arguments":{"pad":"${'é'.repeat(Math.floor(n / 2))}"}}}\n`));
    const all = Buffer.concat(lines);
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    try {
      for (let at = 0; at < all.length;) {
        const n = Math.max(1, Math.floor(rand() * 150_000));
        p.child.stdin!.write(all.subarray(at, at + n)); // cuts fall anywhere, inside 'é' too
        at += n;
        if (rand() < 0.3) await new Promise((r) => setTimeout(r, 1));
      }
      await until(() => p.messages().length === sizes.length, 'every answer', 30_000);
      p.child.stdin!.end();
      expect((await p.exit).code).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
    const got = p.messages().map((m) => Buffer.from(m.result.raw as string, 'base64'));
    got.forEach((g, i) => expect(g.equals(lines[i].subarray(0, lines[i].length - 1))).toBe(true));
  });

  test('auto: no _meta is created before an initialize negotiated a session-era revision, and one is after', async () => {
    for (const [version, after] of [['2025-06-18', true], ['2026-07-28', false]] as const) {
      const p = startRaw([], [process.execPath, echoServer]);
      try {
        p.child.stdin!.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
        p.child.stdin!.write(`{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"${version}","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n`);
        await until(() => p.messages().length === 2, 'the initialize answer');
        p.child.stdin!.end('{"jsonrpc":"2.0","id":3,"method":"ping"}\n');
        expect((await p.exit).code).toBe(0);
      } finally {
        p.child.kill('SIGKILL');
      }
      const byId = (id: number) => p.messages().find((m) => m.id === id)!.result;
      expect(byId(1).traceparent).toBeNull();
      expect(byId(2).traceparent).toBeNull();
      expect(byId(3).traceparent === null).toBe(!after);
    }
  });

  test('--stdio takes the command without --, as launchers that drop it pass it', async () => {
    const p = startRaw(['--log-level', 'warn'], [process.execPath, echoServer], otelEnv(), false);
    try {
      p.child.stdin!.end('{"jsonrpc":"2.0","id":"x","method":"ping"}\n');
      expect((await p.exit).code).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
    expect(p.messages().map((m) => m.id)).toEqual(['x']);
  });

  test('with OTEL_SDK_DISABLED the bytes pass unchanged', async () => {
    const p = startRaw([], [process.execPath, echoServer], { PATH: process.env.PATH ?? '', OTEL_SDK_DISABLED: 'true' });
    const line = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}';
    p.child.stdin!.end(line + '\n');
    expect((await p.exit).code).toBe(0);
    const m = p.messages()[0];
    expect(m.result.traceparent).toBeNull();
    expect(raw(m).toString('utf8')).toBe(line);
  });

  test('everything the server wrote reaches the client before the proxy exits, at the pace the client reads', async () => {
    const script = path.join(tmp, 'chatty.js');
    fs.writeFileSync(script, `
      const line = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x'.repeat(1000) } }) + '\\n';
      let n = 0;
      (function go() { while (n < 5000) { n++; if (!process.stdout.write(line)) return process.stdout.once('drain', go); } })();
    `);
    const p = startRaw([], [process.execPath, script]);
    p.child.stdout!.pause(); // a slow client: the proxy must wait for it, not buffer without bound
    await new Promise((r) => setTimeout(r, 300));
    p.child.stdout!.resume();
    expect((await p.exit).code).toBe(0);
    const msgs = p.messages();
    expect(msgs).toHaveLength(5000);
    expect(msgs.every((m) => m.method === 'notifications/message')).toBe(true);
  });

  test("the server's exit code is the proxy's", async () => {
    const exits = startRaw([], [process.execPath, '-e', 'process.exit(3)']);
    expect((await exits.exit).code).toBe(3);
    const killed = startRaw([], [process.execPath, '-e', "process.kill(process.pid, 'SIGKILL')"]);
    expect((await killed.exit).code).toBe(128 + os.constants.signals.SIGKILL);
    const missing = startRaw([], [path.join(tmp, 'no-such-command')]);
    expect((await missing.exit).code).toBe(127);
    expect(missing.stderr()).toContain('no-such-command');
    expect(missing.stdout().length).toBe(0);
  });

  test('SIGTERM is forwarded to the server; an open request ends its span', async () => {
    const script = path.join(tmp, 'term.js');
    // It says so on stderr (which the proxy passes through) once its handler is in place.
    fs.writeFileSync(script, "process.stdin.resume(); process.on('SIGTERM', () => process.exit(7)); process.stderr.write('term handler ready\\n');");
    const p = startRaw([], [process.execPath, script]);
    p.child.stdin!.write('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}\n');
    await until(() => p.stderr().includes('wrapping a stdio server') && p.stderr().includes('term handler ready'), 'the proxy and the server to start');
    p.child.kill('SIGTERM');
    expect((await p.exit).code).toBe(7);
    const spans = await receiver.waitForSpans((s) => !!span(s, 'tools/call slow'));
    expect(span(spans, 'tools/call slow')!.attributes['mcp_trace_proxy.outcome']).toBe('no_response');
  });
});
