// A misbehaving collector must cost proxied requests nothing. The proxy runs as the real CLI
// process exporting over OTLP to a collector that refuses connections, answers 500, answers
// slowly, or never answers. In each case every request succeeds with its right result and
// promptly, the failure is logged a few times at most (rate-limited, not once per request or
// span), and SIGTERM still ends the process with status 0 within a few seconds.
import net from 'node:net';
import { Proc, listening, runCli as run } from '../helpers/cli';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { OtlpReceiver, OtlpReceiverOptions, startOtlpReceiver } from '../helpers/otlp-receiver';

const REQUESTS = 200;
const CONCURRENCY = 10;
// Generous: not a latency test (the bench measures that), only proof that no request waits on the collector,
// which in the hanging case would mean waiting forever.
const MAX_REQUEST_MS = 5000;
const EXIT_WITHIN_MS = 5000;

jest.setTimeout(60_000);

interface LogLine {
  level: string;
  msg: string;
  raw: string;
  url?: string;
}

/** The proxy's log lines (JSON, since stderr is not a terminal). */
function logLines(text: string): LogLine[] {
  return text.split('\n').filter((l) => l.startsWith('{')).map((raw) => {
    const j = JSON.parse(raw) as { level: string; msg: string; url?: string };
    return { level: j.level, msg: j.msg, raw, url: j.url };
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A URL on which nothing listens: a port that was just free. */
async function closedPortUrl(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

interface Outcome {
  i: number;
  ms: number;
  problem?: string;
}

/** One raw `tools/call add` POST with unique id and arguments; checks status, id and the sum. */
async function callAdd(url: string, i: number): Promise<Outcome> {
  const a = i * 7;
  const b = 1000 - i;
  const body = JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'add', arguments: { a, b } } });
  const t0 = performance.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body,
    });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) return { i, ms, problem: `HTTP ${res.status}: ${text}` };
    const msg = JSON.parse(text) as { id?: unknown; result?: { content?: { text?: string }[] } };
    if (msg.id !== i || msg.result?.content?.[0]?.text !== String(a + b)) return { i, ms, problem: `wrong answer: ${text}` };
    return { i, ms };
  } catch (err) {
    return { i, ms: performance.now() - t0, problem: `request failed: ${(err as Error).message}` };
  }
}

async function callMany(url: string): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) out.push(await callAdd(url, next++));
    }),
  );
  return out;
}

/** The exporter's rate-limited reports (src/tracing/sdk.ts): export failures, and diag warnings such as dropped spans. */
const isExportFailure = (l: LogLine): boolean => l.level === 'warn' && /^span export failing/.test(l.msg);
const isDiagWarning = (l: LogLine): boolean => l.level === 'warn' && /^opentelemetry\b/.test(l.msg);
const warnings = (log: string): LogLine[] => logLines(log).filter((l) => isExportFailure(l) || isDiagWarning(l));

let server: TestServer;
let receiver: OtlpReceiver | null = null;
let proc: Proc | null = null;

beforeEach(async () => {
  server = await startTestServer({ stateless: true, jsonResponse: true });
});

afterEach(async () => {
  proc?.child.kill('SIGKILL');
  proc = null;
  await receiver?.close();
  receiver = null;
  await server.close();
});

/** The whole scenario against a collector at `endpoint`. */
async function scenario(endpoint: string): Promise<void> {
  proc = run(['--upstream', server.url, '--port', '0', '--admin-port', '0'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_BSP_MAX_QUEUE_SIZE: '20',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
    OTEL_EXPORTER_OTLP_TIMEOUT: '500',
  });
  const p = proc;
  const { url } = await listening(p);

  const outcomes = await callMany(url);
  expect(outcomes).toHaveLength(REQUESTS);
  expect(outcomes.filter((o) => o.problem)).toEqual([]);
  const slowest = outcomes.reduce((m, o) => (o.ms > m.ms ? o : m));
  expect(slowest.ms).toBeLessThan(MAX_REQUEST_MS);
  expect(server.received.filter((r) => r.method === 'POST')).toHaveLength(REQUESTS);

  // The failure is reported (each export fails within OTEL_EXPORTER_OTLP_TIMEOUT) ...
  const deadline = Date.now() + 5000;
  while (warnings(p.output()).length === 0 && Date.now() < deadline) await sleep(50);
  expect(warnings(p.output()).length).toBeGreaterThan(0);
  await sleep(1500); // several more failed exports and drops, all absorbed by the rate limit

  // ... and SIGTERM still exits 0, promptly, even with exports failing or hanging.
  const t0 = Date.now();
  p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([p.exit, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), EXIT_WITHIN_MS)))]);
  clearTimeout(timer);
  const log = p.output();
  expect({ code, log }).toEqual({ code: 0, log: expect.any(String) });
  expect(Date.now() - t0).toBeLessThan(EXIT_WITHIN_MS);

  // ... at most a couple of times: never once per request or per span.
  const lines = logLines(log);
  const reports = warnings(log).map((l) => l.raw);
  expect(reports.length).toBeLessThanOrEqual(3);
  expect(lines.filter(isExportFailure).length).toBeLessThanOrEqual(1);
  expect(lines.filter(isDiagWarning).length).toBeLessThanOrEqual(1);
  expect(lines.filter((l) => l.level === 'warn').map((l) => l.raw).length).toBeLessThanOrEqual(4);
  expect(lines.filter((l) => l.level === 'error').map((l) => l.raw)).toEqual([]);
  expect(log).not.toMatch(/unexpected proxy failure|upstream request failed/);
}

async function receiverUrl(opts: OtlpReceiverOptions): Promise<string> {
  receiver = await startOtlpReceiver(opts);
  return receiver.url;
}

test('collector refusing connections (closed port)', async () => {
  await scenario(await closedPortUrl());
});

test('collector answering 500', async () => {
  await scenario(await receiverUrl({ status: 500 }));
  expect(receiver!.requests.length).toBeGreaterThan(0); // exports were attempted and refused
});

test('collector answering slowly (2 s, beyond the 500 ms export timeout)', async () => {
  await scenario(await receiverUrl({ delayMs: 2000 }));
  expect(receiver!.requests.length).toBeGreaterThan(0);
});

test('collector accepting and never answering', async () => {
  await scenario(await receiverUrl({ hang: true }));
  expect(receiver!.requests.length).toBeGreaterThan(0);
});
