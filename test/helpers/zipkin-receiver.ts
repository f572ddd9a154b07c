// A Zipkin v2 receiver for tests: POST /api/v2/spans with a JSON array of spans, kept as received.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ZipkinSpan {
  traceId: string; id: string; parentId?: string; name: string; kind?: string;
  timestamp: number; duration: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
  annotations?: { timestamp: number; value: string }[];
}

export interface ZipkinReceiver {
  /** http://127.0.0.1:PORT/api/v2/spans */
  readonly url: string;
  readonly spans: ZipkinSpan[];
  readonly requests: { path: string; headers: http.IncomingHttpHeaders }[];
  waitForSpans(predicate: (spans: ZipkinSpan[]) => boolean, timeoutMs?: number): Promise<ZipkinSpan[]>;
  close(): Promise<void>;
}

export async function startZipkinReceiver(): Promise<ZipkinReceiver> {
  const spans: ZipkinSpan[] = [];
  const requests: ZipkinReceiver['requests'] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      requests.push({ path, headers: req.headers });
      if (req.method !== 'POST' || path !== '/api/v2/spans') return void res.writeHead(404).end();
      if (!String(req.headers['content-type']).startsWith('application/json')) return void res.writeHead(415).end();
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return void res.writeHead(400).end('not JSON');
      }
      if (!Array.isArray(body)) return void res.writeHead(400).end('expected a JSON array of spans');
      spans.push(...(body as ZipkinSpan[]));
      res.writeHead(202).end();
      for (const w of [...waiters]) w();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/spans`,
    spans, requests,
    waitForSpans: (predicate, timeoutMs = 10_000) => new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(spans)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve([...spans]);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`Zipkin receiver: no matching spans after ${timeoutMs}ms; got ${spans.map((s) => s.name).join(', ') || '(none)'}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    }),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}
