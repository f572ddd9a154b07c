// Soak test: N JSON-RPC tool calls through an in-process proxy to a minimal upstream, every response
// checked byte for byte against the answer computed here, RSS sampled every second.
//
//   npm run soak -- [--requests N] [--concurrency C] [--export sink|none]
//
// --export sink (default): spans go through the real BatchSpanProcessor + OTLP/HTTP exporter to a
//   local sink that answers 200 and counts bytes. --export none: spanProcessors [] (spans are made,
//   trace context injected, nothing exported).
//
// Every request has a unique id (a number, a string, or an integer literal above 2^53, in turn) and
// unique arguments, so its response is computable. The upstream rebuilds the request the client sent
// from its id and checks that what arrived is that text plus the injected `_meta` and nothing else.
// Exits 1 on any mismatch or error, or when the RSS at the end exceeds the RSS at the start by more
// than 50 MB. All traffic is on 127.0.0.1; the run stops by itself (a stall of 30 s aborts it).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Pool } from 'undici';
import { createProxy } from '../src/index';
import type { Logger } from '../src/log';

const MB = 1024 * 1024;
const RSS_GROWTH_LIMIT_MB = 50;
const STALL_MS = 30_000;
const BIG = 10n ** 20n; // ids of the third kind are BIG + i: integer literals far above 2^53

// ---------------------------------------------------------------------------------------------
// Arguments.

interface Options {
  requests: number;
  concurrency: number;
  exportMode: 'sink' | 'none';
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { requests: 1_000_000, concurrency: 16, exportMode: 'sink' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    const positive = (v: string): number => {
      const n = Number(v.replace(/_/g, ''));
      if (!Number.isInteger(n) || n < 1) usage(`${flag}: expected a positive integer, got "${v}"`);
      return n;
    };
    if (flag === '--requests') o.requests = positive(value());
    else if (flag === '--concurrency') o.concurrency = positive(value());
    else if (flag === '--export') {
      const v = value();
      if (v !== 'sink' && v !== 'none') usage(`--export: expected sink or none, got "${v}"`);
      o.exportMode = v;
    } else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument "${a}"`);
  }
  return o;
}

function usage(error?: string): never {
  if (error) process.stderr.write(`soak: ${error}\n`);
  process.stderr.write('usage: npm run soak -- [--requests N (1000000)] [--concurrency C (16)] [--export sink|none]\n');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The traffic: request i and its expected answer are pure functions of i.

function idText(i: number): string {
  switch (i % 3) {
    case 0: return String(i);
    case 1: return `"r-${i}"`;
    default: return (BIG + BigInt(i)).toString();
  }
}

function indexOfId(raw: string): number {
  if (raw.startsWith('"r-')) return Number(raw.slice(3, -1));
  const n = BigInt(raw);
  return Number(n >= BIG ? n - BIG : n);
}

const argA = (i: number): number => i;
const argB = (i: number): number => (i * 7 + 13) % 1_000_003;

function requestText(i: number): string {
  // Every fifth request carries a string with escapes and multi-byte characters that must pass untouched.
  const note = i % 5 === 0 ? `,"note":"caf\\u00e9 \u00e9\u{1F600}\\n#${i}"` : '';
  return `{"jsonrpc":"2.0","id":${idText(i)},"method":"tools/call","params":{"name":"add","arguments":{"a":${argA(i)},"b":${argB(i)}${note}}}}`;
}

function responseText(rawId: string, sum: number): string {
  return `{"jsonrpc":"2.0","id":${rawId},"result":{"content":[{"type":"text","text":"${sum}"}]}}`;
}

// ---------------------------------------------------------------------------------------------
// The upstream: answers each POST with the sum, and checks the request it got.

/** What the proxy may add: `"_meta":{...},` first in params (see src/jsonrpc/inject.ts). */
const META_INSERT = /^"_meta":\{"traceparent":"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]"(?:,"tracestate":"[^"\\]*")?(?:,"baggage":"[^"\\]*")?\},/;
const REQUEST = /^\{"jsonrpc":"2\.0","id":("r-\d+"|\d+),"method":"tools\/call","params":\{/;
const ARGS = /"arguments":\{"a":(\d+),"b":(\d+)/;

interface UpstreamStats {
  requests: number;
  /** Requests that were not exactly the client's bytes plus the injected _meta. */
  requestMismatches: number;
  firstMismatch: string | null;
}

async function startUpstream(): Promise<{ url: string; stats: UpstreamStats; close(): Promise<void> }> {
  const stats: UpstreamStats = { requests: 0, requestMismatches: 0, firstMismatch: null };
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      stats.requests++;
      const text = Buffer.concat(chunks).toString('utf8');
      const head = REQUEST.exec(text);
      const args = ARGS.exec(text);
      if (!head || !args) {
        stats.requestMismatches++;
        stats.firstMismatch ??= text.slice(0, 300);
        res.writeHead(400, { 'content-type': 'text/plain' }).end('unexpected request');
        return;
      }
      const rest = text.slice(head[0].length);
      const meta = META_INSERT.exec(rest);
      const restored = head[0] + (meta ? rest.slice(meta[0].length) : rest);
      if (!meta || restored !== requestText(indexOfId(head[1]))) {
        stats.requestMismatches++;
        stats.firstMismatch ??= text.slice(0, 300);
      }
      const body = responseText(head[1], Number(args[1]) + Number(args[2]));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stats,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** An OTLP/HTTP sink: 200 with an empty body to every POST; counts requests and bytes. */
async function startSink(): Promise<{ url: string; stats: { requests: number; bytes: number }; close(): Promise<void> }> {
  const stats = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => (stats.bytes += c.length));
    req.on('end', () => {
      stats.requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    stats,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** The proxy's log lines, counted; the first few kept to print (warnings are rate-limited anyway). */
function countingLogger(): { logger: Logger; warnings: () => number; errors: () => number; sample: string[] } {
  let warnings = 0;
  let errors = 0;
  const sample: string[] = [];
  const keep = (level: string, msg: string, fields?: Record<string, unknown>) => {
    if (sample.length < 5) sample.push(`${level} ${msg} ${fields ? JSON.stringify(fields) : ''}`.trim());
  };
  return {
    logger: {
      debug: () => {},
      info: () => {},
      warn: (m, f) => { warnings++; keep('warn', m, f); },
      error: (m, f) => { errors++; keep('error', m, f); },
    },
    warnings: () => warnings,
    errors: () => errors,
    sample,
  };
}

/** A full GC when available (it is enabled below), so that RSS readings are less noisy. */
function collectGarbage(): void {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (() => void) | undefined;
    gc?.();
    gc?.();
  } catch {
    // best effort
  }
}

const rssMb = (): number => process.memoryUsage.rss() / MB;

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const upstream = await startUpstream();
  const sink = opts.exportMode === 'sink' ? await startSink() : null;
  const log = countingLogger();
  const proxy = await createProxy(
    {
      upstream: upstream.url,
      host: '127.0.0.1',
      port: 0,
      adminPort: null,
      ...(sink ? { tracesExporters: ['otlp'] as const, otlpTracesUrl: sink.url } : {}),
    },
    { logger: log.logger, ...(sink ? {} : { spanProcessors: [] }) },
  );
  const pool = new Pool(proxy.url, { connections: opts.concurrency, pipelining: 1, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const path = new URL(upstream.url).pathname;
  // A session-era revision: the proxy may create `_meta` (and the upstream checks it did, exactly).
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };

  let mismatches = 0;
  let errors = 0;
  let firstMismatch: string | null = null;
  let firstError: string | null = null;
  let done = 0;
  const latencyBuckets = new Uint32Array(10_001); // 0.1 ms buckets up to 1 s; the last one holds the rest
  let maxLatency = 0;

  async function one(i: number): Promise<void> {
    const expected = responseText(idText(i), argA(i) + argB(i));
    const t0 = performance.now();
    try {
      const res = await pool.request({ path, method: 'POST', headers, body: requestText(i) });
      const body = await res.body.text();
      if (res.statusCode !== 200 || body !== expected) {
        mismatches++;
        firstMismatch ??= `request ${i}: HTTP ${res.statusCode} ${body.slice(0, 200)} (expected ${expected})`;
      }
    } catch (err) {
      errors++;
      firstError ??= `request ${i}: ${(err as Error).message}`;
    }
    const ms = performance.now() - t0;
    latencyBuckets[Math.min(10_000, Math.floor(ms * 10))]++;
    if (ms > maxLatency) maxLatency = ms;
    done++;
  }

  // Warm up (JIT, pools, heap) before the starting RSS is taken.
  const warmup = Math.min(2_000, Math.floor(opts.requests / 10));
  let next = 0;
  const runUntil = (end: number) =>
    Promise.all(Array.from({ length: opts.concurrency }, async () => {
      while (next < end) await one(next++);
    }));
  await runUntil(warmup);
  collectGarbage();

  const rss = { start: rssMb(), min: Infinity, max: 0, end: 0 };
  const sample = () => {
    const r = rssMb();
    rss.min = Math.min(rss.min, r);
    rss.max = Math.max(rss.max, r);
    return r;
  };
  sample();
  let lastDone = done;
  let lastProgressAt = Date.now();
  let stalled = false;
  const t0 = performance.now();
  let tick = 0;
  const sampler = setInterval(() => {
    const r = sample();
    if (done !== lastDone) {
      lastDone = done;
      lastProgressAt = Date.now();
    } else if (Date.now() - lastProgressAt > STALL_MS) {
      stalled = true;
      void pool.destroy(); // fails the requests in flight: the run ends with errors
    }
    if (++tick % 10 === 0) {
      const rate = (done - warmup) / ((performance.now() - t0) / 1000);
      process.stderr.write(`soak: ${done}/${opts.requests} ${rate.toFixed(0)} req/s rss ${r.toFixed(1)} MB mismatches ${mismatches} errors ${errors}\n`);
    }
  }, 1000);

  await runUntil(opts.requests);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  collectGarbage();
  rss.end = sample();

  await pool.close().catch(() => {});
  await proxy.close();
  await upstream.close();
  const sinkStats = sink ? { ...sink.stats } : null;
  await sink?.close();

  const measured = opts.requests - warmup;
  const pct = (p: number): string => {
    const target = Math.ceil(done * p);
    let seen = 0;
    for (let b = 0; b < latencyBuckets.length; b++) {
      seen += latencyBuckets[b];
      if (seen >= target) return b === 10_000 ? '>1000' : (b / 10).toFixed(1);
    }
    return '?';
  };
  const rssOk = rss.end <= rss.start + RSS_GROWTH_LIMIT_MB;
  const totalMismatches = mismatches + upstream.stats.requestMismatches;
  const row = (k: string, v: string | number) => `  ${k.padEnd(28)} ${v}`;
  const lines = [
    '',
    'soak results',
    row('requests', `${done} (${warmup} warm-up + ${measured} measured), concurrency ${opts.concurrency}`),
    row('mismatches', `${totalMismatches} (responses ${mismatches}, requests seen upstream ${upstream.stats.requestMismatches})`),
    row('errors', errors),
    row('req/s (measured)', (measured / seconds).toFixed(0)),
    row('latency ms p50/p99/max', `${pct(0.5)} / ${pct(0.99)} / ${maxLatency.toFixed(1)}`),
    row('RSS MB start/min/max/end', `${rss.start.toFixed(1)} / ${rss.min.toFixed(1)} / ${rss.max.toFixed(1)} / ${rss.end.toFixed(1)}${rssOk ? '' : `  (grew more than ${RSS_GROWTH_LIMIT_MB} MB)`}`),
    row('upstream requests', upstream.stats.requests),
    row('span export', sinkStats ? `${sinkStats.requests} OTLP requests, ${(sinkStats.bytes / MB).toFixed(1)} MB` : 'none (spanProcessors: [])'),
    row('proxy log warnings/errors', `${log.warnings()} / ${log.errors()}`),
  ];
  if (firstMismatch) lines.push(row('first response mismatch', firstMismatch));
  if (upstream.stats.firstMismatch) lines.push(row('first request mismatch', upstream.stats.firstMismatch));
  if (firstError) lines.push(row('first error', firstError));
  for (const l of log.sample) lines.push(row('log', l));
  if (stalled) lines.push(row('aborted', `no progress for ${STALL_MS / 1000} s`));
  const ok = totalMismatches === 0 && errors === 0 && rssOk && !stalled && done === opts.requests;
  lines.push(row('result', ok ? 'PASS' : 'FAIL'), '');
  process.stdout.write(lines.join('\n') + '\n');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
