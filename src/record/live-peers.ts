// The live server a cassette is replayed against: Streamable HTTP (a session id and protocol
// version carried as the SDK clients do) or a stdio command. Each answers a request with its
// response, and passes the server's own requests on the way to `onRequest` for an answer.
import { ChildProcess, spawn } from 'node:child_process';
import readline from 'node:readline';
import { SseParser } from '../pipeline/sse';

type Message = Record<string, unknown>;

export interface LivePeer {
  request(m: Message, onRequest: (m: Message) => Message): Promise<Message>;
  notify(m: Message): Promise<void>;
  close(): Promise<void>;
}

const MAX_EVENT_BYTES = 64 * 1024 * 1024;

export function httpPeer(url: URL, timeoutMs: number): LivePeer {
  let session: string | undefined;
  let version: string | undefined;
  const headers = (): Record<string, string> => ({
    'content-type': 'application/json', accept: 'application/json, text/event-stream',
    ...(session ? { 'mcp-session-id': session } : {}), ...(version ? { 'mcp-protocol-version': version } : {}),
  });
  const post = async (m: Message) => {
    const res = await fetch(url, { method: 'POST', headers: headers(), body: JSON.stringify(m), signal: AbortSignal.timeout(timeoutMs) });
    session = res.headers.get('mcp-session-id') ?? session;
    return res;
  };
  return {
    async request(m, onRequest) {
      const res = await post(m);
      const type = res.headers.get('content-type') ?? '';
      let answer: Message | undefined;
      if (type.includes('text/event-stream') && res.body) {
        const replies: Promise<unknown>[] = [];
        const parser = new SseParser((e) => {
          const msg = parseJson(e.data);
          if (!msg) return;
          if (msg.id === m.id && !('method' in msg)) answer = msg;
          else if (typeof msg.method === 'string' && msg.id !== undefined) replies.push(post(onRequest(msg)).then((r) => r.body?.cancel()));
        }, MAX_EVENT_BYTES);
        const reader = res.body.getReader();
        while (!answer) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.push(Buffer.from(value));
        }
        await reader.cancel().catch(() => undefined);
        await Promise.all(replies);
      } else {
        const body = parseJson(await res.text());
        answer = body && ('result' in body || 'error' in body) ? body : undefined;
      }
      answer ??= { jsonrpc: '2.0', id: m.id, error: { code: res.status, message: `HTTP ${res.status} without a JSON-RPC answer` } };
      const result = answer.result as { protocolVersion?: unknown } | undefined;
      if (m.method === 'initialize' && typeof result?.protocolVersion === 'string') version = result.protocolVersion;
      return answer;
    },
    async notify(m) {
      await (await post(m)).body?.cancel();
    },
    async close() {
      if (session) await fetch(url, { method: 'DELETE', headers: headers(), signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.body?.cancel(), () => undefined);
    },
  };
}

export function stdioPeer(command: string, args: readonly string[], timeoutMs: number): LivePeer {
  const child: ChildProcess = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = new Map<string, (m: Message) => void>();
  let onRequest: ((m: Message) => Message) | undefined;
  const send = (m: Message) => void child.stdin!.write(JSON.stringify(m) + '\n');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined); // a missing command: every request then times out with its name
  readline.createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
    const msg = parseJson(line);
    if (!msg) return;
    if (typeof msg.method === 'string') {
      if (msg.id !== undefined) send(onRequest ? onRequest(msg) : { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'not recorded' } });
      return;
    }
    waiting.get(JSON.stringify(msg.id))?.(msg);
  });
  return {
    request(m, handler) {
      onRequest = handler;
      return new Promise((resolve) => {
        const key = JSON.stringify(m.id);
        const timer = setTimeout(() => {
          waiting.delete(key);
          resolve({ jsonrpc: '2.0', id: m.id, error: { code: -32001, message: `${command}: no answer within ${timeoutMs} ms` } });
        }, timeoutMs);
        waiting.set(key, (msg) => {
          clearTimeout(timer);
          waiting.delete(key);
          resolve(msg);
        });
        send(m);
      });
    },
    async notify(m) {
      send(m);
    },
    async close() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGTERM'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function parseJson(text: string): Message | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Message) : undefined;
  } catch {
    return undefined;
  }
}
