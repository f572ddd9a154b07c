// The connection transports of the harness: WebSocket (one message a frame) and stdio (one a line).
// The upstream records every frame or byte and answers step n with the case's answers for it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { Case, cut } from './gen';

export const INIT_LINE = '{"jsonrpc":"2.0","id":"__init__","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}}';
const INIT_ANSWER = '{"jsonrpc":"2.0","id":"__init__","result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"fuzz","version":"1"}}}';

/** What one connection sent (each frame or line) and got back (the raw bytes). */
export interface ConnRun {
  readonly upstreamGot: string[];
  readonly clientGot: Buffer;
}

/**
 * Client frames of one client of the case: an initialize first when the case has sessions. On a
 * line transport a message has no raw newline (in JSON text one is only ever whitespace).
 */
export function framesOf(c: Case, k: number, lines = false): { text: string; answers: readonly string[] }[] {
  const flat = (t: string) => (lines ? t.replace(/[\r\n]/g, ' ') : t);
  const steps = c.clients[k].steps.map((s) => ({ text: flat(s.text), answers: s.answers.map(flat) }));
  return c.sessions ? [{ text: INIT_LINE, answers: [INIT_ANSWER] }, ...steps] : steps;
}

export async function wsUpstream(c: Case): Promise<{ url: string; got: Map<number, string[]>; close(): Promise<void> }> {
  const got = new Map<number, string[]>();
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'mcp' });
  wss.on('connection', (sock, req) => {
    const k = Number(req.headers['x-fuzz-client']);
    const frames = framesOf(c, k);
    const mine: string[] = [];
    got.set(k, mine);
    sock.on('message', (data) => {
      mine.push(data.toString());
      for (const a of frames[mine.length - 1]?.answers ?? []) sock.send(a);
    });
  });
  await new Promise((r) => wss.once('listening', r));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    got,
    close: () => new Promise((r) => {
      for (const s of wss.clients) s.terminate();
      wss.close(() => r());
    }),
  };
}

/** One WebSocket client: each frame, then its answers, in order; the answers' bytes concatenated. */
export async function wsClient(base: string, c: Case, k: number): Promise<Buffer> {
  const sock = new WebSocket(`${base}/mcp`, 'mcp', { headers: { 'x-fuzz-client': String(k) }, perMessageDeflate: false });
  await new Promise((r, j) => sock.once('open', r).once('error', j));
  const got: Buffer[] = [];
  let want = 0;
  let wake: () => void = () => {};
  sock.on('message', (d) => {
    got.push(Buffer.from(d as Buffer));
    wake();
  });
  for (const f of framesOf(c, k)) {
    want += f.answers.length;
    sock.send(f.text);
    while (got.length < want) await new Promise<void>((r) => (wake = r));
  }
  sock.close();
  await new Promise((r) => sock.once('close', r));
  return Buffer.concat(got);
}

/** A stdio run's files: the answers per line for the stand-in server, and where it records its stdin. */
export function stdioFiles(c: Case, tag: string): { env: Record<string, string>; recorded: () => string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fuzz-${tag}-`));
  const plan = path.join(dir, 'plan.json');
  const out = path.join(dir, 'stdin.bin');
  fs.writeFileSync(plan, JSON.stringify(framesOf(c, 0, true).map((f) => f.answers)));
  return {
    env: { FUZZ_PLAN: plan, FUZZ_OUT: out },
    recorded: () => {
      const lines = fs.readFileSync(out, 'utf8').split('\n');
      fs.rmSync(dir, { recursive: true, force: true });
      return lines.slice(0, -1);
    },
  };
}

/** Writes the case's lines, cut into random writes, to `stdin`; collects `stdout` until every answer came. */
export async function stdioClient(stdin: NodeJS.WritableStream, stdout: NodeJS.ReadableStream, c: Case): Promise<Buffer> {
  const frames = framesOf(c, 0, true);
  const want = frames.reduce((n, f) => n + f.answers.reduce((m, a) => m + Buffer.byteLength(a) + 1, 0), 0);
  const got: Buffer[] = [];
  let size = 0;
  const all = new Promise<void>((r) => stdout.on('data', (d: Buffer) => {
    got.push(d);
    size += d.length;
    if (size >= want) r();
  }));
  for (const f of frames) {
    for (const piece of cut(Buffer.from(`${f.text}\n`), c.cuts)) {
      if (!stdin.write(piece)) await new Promise((r) => stdin.once('drain', r));
      await new Promise((r) => setImmediate(r));
    }
  }
  if (want > 0) await all;
  stdin.end();
  return Buffer.concat(got);
}

/** The stand-in server run directly, as a client would launch it without the proxy. */
export async function stdioDirect(c: Case): Promise<ConnRun> {
  const files = stdioFiles(c, 'direct');
  const child = spawn(process.execPath, [path.join(__dirname, 'stdio-server.js')], { env: { ...process.env, ...files.env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const exit = new Promise((r) => child.once('exit', r));
  const clientGot = await stdioClient(child.stdin, child.stdout, c);
  await exit;
  return { upstreamGot: files.recorded(), clientGot };
}

export const pipes = () => ({ stdin: new PassThrough(), stdout: new PassThrough() });
