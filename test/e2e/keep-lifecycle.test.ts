// Keep-errors decided per local trace, and every way an operation ends, through real peers on
// loopback: the SDK client and server, the built CLI sending real OTLP, a stdio child process, a
// WebSocket upstream. Under `always_off` only what keep-errors keeps is exported, so each test
// reads exactly what the keep stage decided.
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import WebSocket, { WebSocketServer } from 'ws';
import { CLI, listening, runCli } from '../helpers/cli';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver';
import { parsePrometheus, total } from '../helpers/prometheus';
import { TracedProxy, startProxy } from '../helpers/proxy';

const KEPT = 'mcp_trace_proxy.sampling.kept';
const OUTCOME = 'mcp_trace_proxy.outcome';

let server: TestServer | undefined;
let receiver: OtlpReceiver | undefined;
let px: TracedProxy | undefined;
let upstream: http.Server | undefined;
let wss: WebSocketServer | undefined;
const children: ChildProcess[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await px?.close();
  px = undefined;
  if (wss) {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss!.close(r));
    wss = undefined;
  }
  if (upstream) {
    upstream.closeAllConnections();
    await new Promise((r) => upstream!.close(r));
    upstream = undefined;
  }
  await server?.close();
  server = undefined;
  await receiver?.close();
  receiver = undefined;
});

/** Polls `read` until `ok` holds for what it returned; a generous deadline, for a loaded machine. */
async function until<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function listen(s: http.Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  upstream = s;
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`;
}

async function metrics(adminUrl: string) {
  return parsePrometheus(await (await fetch(`${adminUrl}/metrics`)).text());
}

const named = (spans: ReceivedSpan[], name: string): ReceivedSpan[] => spans.filter((s) => s.name === name);

describe('a failed server→client request keeps the tool call it belongs to', () => {
  test.each([
    ['elicitation', 'elicitation/create'],
    ['sampling', 'sampling/createMessage'],
  ])('always_off + keep-errors, the client answers %s with an error: both spans exported, the child under the call, both kept', async (kind, childName) => {
    server = await startTestServer();
    receiver = await startOtlpReceiver();
    const proc = runCli(['--upstream', server.url, '--port', '0', '--admin-port', 'off'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'always_off', OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    children.push(proc.child);
    const { url } = await listening(proc);
    const client = new Client({ name: 'refusing-client', version: '1.0.0' }, { capabilities: { elicitation: {}, sampling: {} } });
    client.setRequestHandler(ElicitRequestSchema, async () => {
      throw new Error('the user is away');
    });
    client.setRequestHandler(CreateMessageRequestSchema, async () => {
      throw new Error('no model here');
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    // The tool itself ends well: it reports that the client refused.
    expect(await client.callTool({ name: 'ask', arguments: { kind } })).toEqual({ content: [{ type: 'text', text: 'refused' }] });
    await client.close();
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0); // a clean exit flushes what was kept

    const spans = await receiver.waitForSpans((s) => named(s, 'tools/call ask').length > 0 && named(s, childName).length > 0, 10_000);
    const [call] = named(spans, 'tools/call ask');
    const [child] = named(spans, childName);
    expect(child.kind).toBe(3); // CLIENT
    expect(child.status.code).toBe(2); // ERROR: the client's JSON-RPC error
    expect(child.attributes['error.type']).toEqual(expect.any(String));
    expect(child.attributes[KEPT]).toBe('error');
    expect(child.traceId).toBe(call.traceId);
    expect(child.parentSpanId).toBe(call.spanId);
    expect(call.kind).toBe(2); // SERVER
    expect(call.status.code).toBe(0); // the call itself succeeded: it is exported for its child's sake
    expect(call.attributes[OUTCOME]).toBeUndefined();
    expect(call.attributes[KEPT]).toBe('error');
    // Nothing else of the session failed, so nothing else is exported.
    expect(spans.map((s) => s.name).sort()).toEqual([childName, 'tools/call ask'].sort());
  }, 30_000);
});

test('server→client requests answered after their parent ended never wait in the keep buffer', async () => {
  // More than the old keep buffer held (1,024), so a record left waiting would have shown as a drop
  // there; that none is held at all, whatever the count, is test/unit/keep.test.ts's (stage.size 0).
  const N = 1100;
  const WORKERS = 8;
  // A session upstream whose tool calls each send an elicitation, then the call's result, on the
  // call's SSE stream. The client answers the elicitation only once it has read the whole stream,
  // so every child is answered after its parent ended.
  const url = await listen(http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = JSON.parse(Buffer.concat(chunks).toString()) as { id?: string | number; method?: string; params?: { protocolVersion?: string } };
      if (m.method === 'initialize') {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'late-session' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'late', version: '1' } } }));
      } else if (m.method === 'tools/call') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify({ jsonrpc: '2.0', id: `e-${m.id}`, method: 'elicitation/create', params: { message: 'later?', requestedSchema: { type: 'object', properties: {} } } })}\n\n`);
        res.end(`data: ${JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'asked' }] } })}\n\n`);
      } else {
        res.writeHead(202).end(); // a notification or the client's answer
      }
    });
  }));
  px = await startProxy(url, { sampler: 'always_off' });
  const post = async (body: unknown, session = true) => {
    const res = await fetch(px!.url, {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(session ? { 'mcp-session-id': 'late-session', 'mcp-protocol-version': '2025-06-18' } : {}) },
    });
    return { status: res.status, text: await res.text() };
  };
  const init = await post({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: { elicitation: {} }, clientInfo: { name: 'late-client', version: '1' } } }, false);
  expect(init.status).toBe(200);
  expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  let next = 0;
  await Promise.all(Array.from({ length: WORKERS }, async () => {
    for (let id = next++; id < N; id = next++) {
      const call = await post({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'ask_later', arguments: {} } });
      expect(call.text).toContain(`"id":"e-${id}"`);
      expect(call.text).toContain('"text":"asked"');
      expect((await post({ jsonrpc: '2.0', id: `e-${id}`, result: { action: 'accept', content: {} } })).status).toBe(202);
    }
  }));
  const samples = await metrics(px.proxy.adminUrl as string);
  expect(total(samples, 'mcp_client_operation_duration_count', { mcp_method_name: 'elicitation/create' })).toBe(N); // every child ended, answered
  expect(total(samples, 'mcp_server_operation_duration_count', { mcp_method_name: 'tools/call' })).toBe(N);
  expect(samples.filter((s) => s.name === 'mcp_trace_proxy_spans_keep_buffer_dropped_total').map((s) => s.value)).toEqual([0]);
  expect(px.spans()).toEqual([]); // all succeeded: always_off exports nothing
}, 300_000);

describe('an operation that ends without a response is kept, marked incomplete, on every transport', () => {
  test('HTTP: a request whose stream ended without its answer, in a session, expires after --pending-timeout', async () => {
    // In a session the answer could still come on the GET stream, so the request waits for it,
    // under the pending timeout (while the client holds the call's own stream, it waits for that).
    const url = await listen(http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'sess-exp' });
        res.end(': the answer never comes\n\n');
      });
    }));
    px = await startProxy(url, { sampler: 'always_off', pendingTimeoutMs: 300 });
    const ac = new AbortController();
    const res = await fetch(px.url, {
      method: 'POST', signal: ac.signal,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'sess-exp' },
      body: '{"jsonrpc":"2.0","id":"exp-1","method":"tools/call","params":{"name":"hang"}}',
    });
    expect(res.status).toBe(200);
    const span = await px.span('tools/call hang', 10_000);
    ac.abort();
    expect(span.attributes[OUTCOME]).toBe('expired');
    expect(span.attributes[KEPT]).toBe('incomplete');
    expect(span.attributes['jsonrpc.request.id']).toBe('exp-1');
  }, 30_000);

  test('stdio: a server that exits mid-request', async () => {
    receiver = await startOtlpReceiver();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-trace-proxy-keep-'));
    const script = path.join(tmp, 'exits.js');
    // Answers initialize; exits on anything else that has an id, without answering it.
    fs.writeFileSync(script, `
      let buf = '';
      process.stdin.on('data', (c) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\\n')) >= 0) {
          const m = JSON.parse(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (m.method === 'initialize') process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: {}, serverInfo: { name: 'exits', version: '1' } } }) + '\\n');
          else if (m.id !== undefined) process.exit(0);
        }
      });
    `);
    try {
      const child = spawn(process.execPath, [CLI, '--stdio', '--', process.execPath, script], {
        env: { PATH: process.env.PATH ?? '', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_TRACES_SAMPLER: 'always_off' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      children.push(child);
      child.stdin!.on('error', () => {}); // the proxy may be gone already
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.stdin!.write('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}\n');
      await until(() => out, (o) => o.includes('"id":0'), 'the initialize answer');
      child.stdin!.write('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"crash"}}\n');
      expect(await exit).toBe(0); // the server's exit code is the proxy's
      const spans = await receiver.waitForSpans((s) => named(s, 'tools/call crash').length > 0, 10_000);
      const [span] = named(spans, 'tools/call crash');
      expect(span.attributes[OUTCOME]).toBe('no_response');
      expect(span.attributes[KEPT]).toBe('incomplete');
      expect(named(spans, 'initialize')).toEqual([]); // answered well: not kept
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 30_000);

  test('WebSocket: an upstream that closes with 1001 mid-request', async () => {
    const httpServer = http.createServer();
    wss = new WebSocketServer({ server: httpServer, handleProtocols: (p) => (p.has('mcp') ? 'mcp' : false) });
    wss.on('connection', (ws) => ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { method?: string };
      if (m.method === 'tools/call') ws.close(1001, 'going away');
    }));
    const url = await listen(httpServer);
    px = await startProxy(url, { sampler: 'always_off' });
    const ws = new WebSocket(px.url.replace(/^http:/, 'ws:'), ['mcp']);
    sockets.push(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"leave"}}');
    expect(await closed).toBe(1001);
    const span = await px.span('tools/call leave', 10_000);
    expect(span.attributes[OUTCOME]).toBe('no_response');
    expect(span.attributes[KEPT]).toBe('incomplete');
  }, 30_000);
});

test('--pending-timeout shorter than --upstream-timeout: a JSON answer too late gets the 504, and the span its error', async () => {
  let answer!: () => void;
  const url = await listen(http.createServer((_req, res) => {
    answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":"late-1","result":{"content":[]}}');
  }));
  px = await startProxy(url, { pendingTimeoutMs: 300, upstreamTimeoutMs: 1500 });
  const res = await fetch(px.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: '{"jsonrpc":"2.0","id":"late-1","method":"tools/call","params":{"name":"late"}}',
  });
  expect(res.status).toBe(504);
  expect(JSON.parse(await res.text())).toMatchObject({ jsonrpc: '2.0', id: 'late-1', error: { data: { code: 'MTP_UPSTREAM_TIMEOUT' } } });
  answer(); // too late: the proxy gave up on it
  const span = await px.span('tools/call late', 10_000);
  expect(span.attributes['error.type']).toBe('MTP_UPSTREAM_TIMEOUT');
  expect(span.status.code).toBe(2); // ERROR
  expect(span.attributes[OUTCOME]).toBeUndefined(); // not `expired`
  expect(px.spans().filter((s) => s.name === 'tools/call late')).toHaveLength(1);
}, 30_000);
