// The HTTP side of the harness: a scripted upstream that records what it gets and answers each
// step as the case says (JSON, an SSE stream, the GET stream, the legacy transport), compressed
// as the case says; and clients that send each step cut into random writes and keep the raw bytes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { Case, Encoding, cut } from './gen';

export type HttpMode = 'json' | 'sse' | 'get' | 'legacy';

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface Received {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export function encode(buf: Buffer, enc: Encoding): Buffer {
  if (enc === 'gzip') return zlib.gzipSync(buf);
  if (enc === 'deflate') return zlib.deflateSync(buf);
  if (enc === 'br') return zlib.brotliCompressSync(buf);
  return buf;
}

const INIT = (k: number) => `{"jsonrpc":"2.0","id":"__init__","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"fuzz-${k}","version":"1"}}}`;
const INIT_ANSWER = '{"jsonrpc":"2.0","id":"__init__","result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"fuzz","version":"1"}}}';
const LOG = 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"é😀"}}\n\n';

async function writeCut(res: http.ServerResponse | http.ClientRequest, buf: Buffer, cuts: readonly number[]): Promise<void> {
  for (const piece of cut(buf, cuts)) {
    res.write(piece);
    await new Promise((r) => setImmediate(r));
  }
}

export class Upstream {
  readonly received: Recorded[] = [];
  private readonly server: http.Server;
  private readonly streams = new Map<string, { res: http.ServerResponse; queue: string[] }>();
  url = '';

  constructor(private readonly mode: HttpMode, private readonly c: Case) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => void this.answer(req, res, Buffer.concat(chunks)));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** The held streams get what was queued for them, and end. */
  async release(): Promise<void> {
    for (const s of this.streams.values()) {
      await writeCut(s.res, Buffer.from(s.queue.join('')), this.c.cuts);
      s.res.end();
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    this.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const sid = (req.headers['mcp-session-id'] as string | undefined) ?? new URL(req.url ?? '/', 'http://x').searchParams.get('sessionId') ?? undefined;
    const client = Number(req.headers['x-fuzz-client']);
    if (req.method === 'GET') {
      const legacy = this.mode === 'legacy';
      const id = legacy ? `sess-${client}` : sid ?? '';
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(legacy ? `event: endpoint\ndata: ${client % 2 ? `${this.url}/message?sessionId=${id}` : `/message?sessionId=${id}`}\n\n` : `id: ${req.headers['last-event-id'] ?? 'e0'}\ndata: \n\n`);
      this.streams.set(id, { res, queue: [] });
      return;
    }
    if (sid !== undefined && !/^sess-\d+$/.test(sid)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}');
      return;
    }
    if (req.headers['x-fuzz-step'] === 'init') {
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': `sess-${client}` }).end(INIT_ANSWER);
      return;
    }
    const step = this.c.clients[client]?.steps[Number(req.headers['x-fuzz-step'])];
    const answers = step?.answers ?? [];
    if (answers.length === 0 || this.mode === 'get' || this.mode === 'legacy') {
      res.writeHead(202).end();
      if (sid !== undefined) this.streams.get(sid)?.queue.push(...answers.map((a, i) => `id: ${i}\nevent: message\ndata: ${a}\n\n`));
      return;
    }
    const enc = this.c.responseEncoding;
    const sse = this.mode === 'sse';
    const text = sse ? `id: e1\nretry: 500\ndata: \n\n${LOG}${answers.map((a) => `id: e2\nevent: message\ndata: ${a}\n\n`).join('')}` : answers[0];
    const headers: http.OutgoingHttpHeaders = { 'content-type': sse ? 'text/event-stream' : 'application/json' };
    if (enc !== 'identity') headers['content-encoding'] = enc;
    if (sid !== undefined) headers['mcp-session-id'] = sid;
    res.writeHead(200, headers);
    await writeCut(res, encode(Buffer.from(text), enc), this.c.cuts);
    res.end();
  }
}

/** One HTTP request with a body cut into writes; the raw response bytes (not decoded). */
export function send(url: string, method: string, headers: http.OutgoingHttpHeaders, body: Buffer | null, cuts: readonly number[]): Promise<Received> {
  // Half the cases declare their length, the others are chunked.
  if (body && cuts.length % 2 === 0) headers = { ...headers, 'content-length': body.length };
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) void writeCut(req, body, cuts).then(() => req.end());
    else req.end();
  });
}

/** A GET stream, read until it ends. `first` resolves with its first chunk (a legacy endpoint). */
export function openStream(url: string, headers: http.OutgoingHttpHeaders): { first: Promise<string>; done: Promise<Received> } {
  let gotFirst!: (s: string) => void;
  const first = new Promise<string>((r) => (gotFirst = r));
  const done = new Promise<Received>((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => {
        chunks.push(d);
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.includes('\n\n')) gotFirst(text);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
  return { first, done };
}

export interface HttpRun {
  /** Per client: the init (if any) and each step, as the client sent them and got them back. */
  readonly exchanges: { step: string; sent: Buffer; got: Received; sessionEra: boolean }[][];
  readonly streams: Received[];
}

/** Runs the case's clients against `base` (the upstream, or the proxy in front of it). */
export async function runHttp(base: string, upstream: Upstream, mode: HttpMode, c: Case, attack: () => Promise<void>): Promise<HttpRun> {
  const sessions = c.sessions || mode === 'get';
  const streams: Promise<Received>[] = [];
  const exchanges = await Promise.all(c.clients.map(async (plan, k) => {
    const out: HttpRun['exchanges'][number] = [];
    const common = { 'x-fuzz-client': String(k), accept: 'application/json, text/event-stream' };
    let post = `${base}/mcp`;
    let sid: string | undefined;
    if (mode === 'legacy') {
      const s = openStream(`${base}/sse`, { ...common, accept: 'text/event-stream' });
      streams.push(s.done);
      post = new URL(/data: (.*)\n/.exec(await s.first)![1], base).href;
    } else if (sessions) {
      const init = Buffer.from(INIT(k));
      const got = await send(post, 'POST', { ...common, 'content-type': 'application/json', 'x-fuzz-step': 'init' }, init, c.cuts);
      out.push({ step: 'init', sent: init, got, sessionEra: false });
      sid = got.headers['mcp-session-id'] as string;
      if (mode === 'get') {
        const s = openStream(post, { ...common, accept: 'text/event-stream', 'mcp-session-id': sid, 'last-event-id': `e${k}` });
        streams.push(s.done);
        await s.first;
      }
    }
    for (let n = 0; n < plan.steps.length; n++) {
      const text = Buffer.from(plan.steps[n].text);
      const headers: http.OutgoingHttpHeaders = { ...common, 'content-type': 'application/json', 'x-fuzz-step': String(n) };
      if (sid) headers['mcp-session-id'] = sid;
      const body = encode(text, c.requestEncoding);
      if (c.requestEncoding !== 'identity') headers['content-encoding'] = c.requestEncoding;
      out.push({ step: String(n), sent: body, got: await send(post, 'POST', headers, body, c.cuts), sessionEra: sid !== undefined || mode === 'legacy' });
    }
    return out;
  }));
  await attack();
  await upstream.release();
  return { exchanges, streams: await Promise.all(streams) };
}
