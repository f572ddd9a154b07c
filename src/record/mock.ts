// `replay FILE --port N` / `--stdio`: the recorded server side served to a live client, over
// Streamable HTTP (a JSON answer, or an SSE stream when the server sent anything on the way) or
// as JSON lines on stdin/stdout.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import readline from 'node:readline';
import type { RecordedServer } from './recorded-server';

type Message = Record<string, unknown>;

export interface MockHandle {
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024 * 1024;

export async function serveHttp(server: RecordedServer, host: string, port: number): Promise<MockHandle> {
  const sessions = new Set<string>();
  const httpServer = http.createServer((req, res) => {
    if (req.method === 'DELETE') {
      sessions.delete(String(req.headers['mcp-session-id']));
      return void res.writeHead(200).end();
    }
    // No standalone stream: the recorded notifications go on the stream of the request they came with.
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST, DELETE' }).end();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return void json(res, 400, {}, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      }
      const batch = Array.isArray(body);
      const messages = (batch ? body : [body]) as Message[];
      const headers: Record<string, string> = {};
      if (server.hadSession && messages.some((m) => m?.method === 'initialize')) {
        const id = randomUUID();
        sessions.add(id);
        headers['mcp-session-id'] = id;
      }
      const answers = messages.map((m) => server.answer(m ?? {}));
      const out = answers.flat();
      if (out.length === 0) return void res.writeHead(202, headers).end();
      if (answers.every((a) => a.length <= 1)) return void json(res, 200, headers, batch ? out : out[0]);
      res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const m of out) res.write(`event: message\ndata: ${JSON.stringify(m)}\n\n`);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/mcp`,
    close: () => new Promise((resolve) => {
      httpServer.closeAllConnections();
      httpServer.close(() => resolve());
    }),
  };
}

function json(res: http.ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Serves on stdin/stdout until stdin ends. A line that is not JSON gets a parse error, as a server would answer. */
export function serveStdio(server: RecordedServer, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let m: unknown;
    try {
      m = JSON.parse(line);
    } catch {
      output.write(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }) + '\n');
      return;
    }
    for (const one of (Array.isArray(m) ? m : [m]) as Message[]) for (const a of server.answer(one ?? {})) output.write(JSON.stringify(a) + '\n');
  });
  return new Promise((resolve) => lines.once('close', () => resolve()));
}
