// Spec 2026-07-28 on the connection transports, where every stream shares one channel: a
// subscriptions/listen outlives --pending-timeout and gets the updates tagged with its
// subscriptionId, a tool call open beside it keeps its own log message, and a 2025 connection's
// negotiated version is on every span. The upstreams are small scripts speaking the wire format.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import WebSocket, { WebSocketServer } from 'ws';
import { buildTracing } from '../../src/app';
import { configFrom } from '../../src/cli/config';
import { runStdio } from '../../src/proxy/stdio';
import { pipes } from '../fuzz/conn-peers';
import { TracedProxy, captureLogger, startProxy } from '../helpers/proxy';

// Answers by method: a listen with its acknowledgement; tools/call "work" with a log message (naming
// nothing), an update tagged with the listen's id, then its result; "hang" never; initialize with 2025-11-25.
const SERVER = `
let listen;
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
const tag = () => ({ 'io.modelcontextprotocol/subscriptionId': listen });
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.method === 'initialize') out({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 's', version: '1' } } });
  if (m.method === 'tools/list') out({ jsonrpc: '2.0', id: m.id, result: { tools: [] } });
  if (m.method === 'subscriptions/listen') {
    listen = m.id;
    out({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: tag(), notifications: { resourceSubscriptions: ['test://a'] } } });
  }
  if (m.method === 'tools/call' && m.params.name === 'work') {
    out({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'working' } });
    out({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'test://a', _meta: tag() } });
    out({ jsonrpc: '2.0', id: m.id, result: { resultType: 'complete', content: [] } });
  }
});
`;

let tmp: string;
let script: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-2026-conn-'));
  script = path.join(tmp, 'server.js');
  fs.writeFileSync(script, SERVER);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Resolves once `pred` holds, polling (no fixed sleep). */
async function until<T>(get: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The proxy in --stdio mode, in process, around the script; lines written to it, lines read back. */
function stdioProxy(pendingTimeoutMs: number) {
  const exporter = new InMemorySpanExporter();
  const config = configFrom({ upstream: 'http://127.0.0.1/', stdio: { command: process.execPath, args: [script] }, adminPort: null, pendingTimeoutMs });
  const log = captureLogger([]);
  const { telemetry, tap } = buildTracing(config, log, null, [new SimpleSpanProcessor(exporter)])!;
  const io = pipes();
  const run = runStdio({ ...config.stdio!, maxBodyBytes: config.maxBodyBytes, shutdownGraceMs: config.shutdownGraceMs }, tap, log, io);
  const lines: string[] = [];
  let buf = '';
  io.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) lines.push(buf.slice(0, i));
  });
  let ended: ReadableSpan[] | null = null; // the exporter forgets its spans at shutdown
  return {
    spans: () => ended ?? exporter.getFinishedSpans(),
    send: (m: unknown) => io.stdin.write(`${JSON.stringify(m)}\n`),
    line: (pred: (l: string) => boolean) => until(() => lines.find(pred), 'a line'),
    close: async () => {
      io.stdin.end();
      expect(await run.exit).toBe(0);
      ended = [...exporter.getFinishedSpans()];
      await telemetry.shutdown();
    },
  };
}

const named = (spans: ReadableSpan[], name: string) => spans.find((s) => s.name === name);
const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };

test('stdio: a listen and a tool call open at once; each gets what names it, and the listen outlives --pending-timeout', async () => {
  const p = stdioProxy(300);
  p.send({ jsonrpc: '2.0', id: 'L', method: 'subscriptions/listen', params: { notifications: { resourceSubscriptions: ['test://a'] }, _meta: meta } });
  await p.line((l) => l.includes('acknowledged'));
  p.send({ jsonrpc: '2.0', id: 'canary', method: 'tools/call', params: { name: 'hang', _meta: meta } });
  await until(() => p.spans().find((s) => s.name === 'tools/call hang' && s.attributes['mcp_trace_proxy.outcome'] === 'expired'), 'the canary to expire');
  p.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'work', _meta: meta } });
  await p.line((l) => l.startsWith('{"jsonrpc":"2.0","id":2,'));
  await p.close(); // the server exits without answering the listen
  const listen = named(p.spans(), 'subscriptions/listen')!;
  expect(listen.attributes['mcp_trace_proxy.outcome']).toBe('no_response');
  expect(listen.events.map((e) => e.attributes?.['mcp.method.name'])).toEqual(['notifications/subscriptions/acknowledged', 'notifications/resources/updated']);
  const work = named(p.spans(), 'tools/call work')!;
  expect(work.events.map((e) => e.name)).toEqual(['mcp.log_message']);
  expect(work.attributes['mcp_trace_proxy.notifications']).toBe(1);
});

test('stdio: the negotiated 2025 version is on every later span of the connection', async () => {
  const p = stdioProxy(60_000);
  p.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } });
  await p.line((l) => l.includes('"id":1'));
  p.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  p.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  await p.line((l) => l.includes('"id":2'));
  await p.close();
  for (const name of ['initialize', 'notifications/initialized', 'tools/list']) {
    expect(named(p.spans(), name)?.attributes['mcp.protocol.version']).toBe('2025-11-25');
  }
});

describe('WebSocket', () => {
  let wss: WebSocketServer;
  let px: TracedProxy;
  afterEach(async () => {
    await px.close();
    for (const s of wss.clients) s.terminate();
    await new Promise((r) => wss.close(r));
  });

  test('a listen outlives --pending-timeout, gets its tagged update, and ends as client_abort when the client closes', async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'mcp' });
    await new Promise((r) => wss.once('listening', r));
    let update!: () => void;
    wss.on('connection', (sock) => sock.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.method !== 'subscriptions/listen') return; // anything else is never answered
      const tag = { 'io.modelcontextprotocol/subscriptionId': m.id };
      sock.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: tag, notifications: {} } }));
      update = () => sock.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: tag } }));
    }));
    px = await startProxy(`http://127.0.0.1:${(wss.address() as AddressInfo).port}/mcp`, { pendingTimeoutMs: 300 });
    const ws = new WebSocket(px.url.replace('http:', 'ws:'), ['mcp']);
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const got: string[] = [];
    ws.on('message', (d) => got.push(d.toString()));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: meta } }));
    await until(() => got.length === 1, 'the acknowledgement');
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'hang', _meta: meta } }));
    await px.span((s) => s.name === 'tools/call hang' && s.attributes['mcp_trace_proxy.outcome'] === 'expired');
    update();
    await until(() => got.length === 2, 'the update');
    ws.close();
    const listen = await px.span('subscriptions/listen');
    expect(listen.attributes['mcp_trace_proxy.outcome']).toBe('client_abort');
    expect(listen.events.map((e) => e.attributes?.['mcp.method.name'])).toEqual(['notifications/subscriptions/acknowledged', 'notifications/tools/list_changed']);
  });
});
