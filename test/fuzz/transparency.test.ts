// The differential transparency harness. Each generated case runs twice: straight to a recording
// upstream, and through the proxy in front of an identical one. What the upstream got must match
// but for the trace keys (and a `_meta` created only on session-era exchanges); what the client got
// must match byte for byte; every request's span ends once, with the status its answer implies,
// and no client's cancellation reaches another's span. Seeded: FUZZ_SEED replays a run, FUZZ_CASES
// sets its size (`npm run fuzz -- --cases 5000 --seed 42`).
import fc from 'fast-check';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { configFrom } from '../../src/cli/config';
import { buildTracing } from '../../src/app';
import { runStdio } from '../../src/proxy/stdio';
import { TracedProxy, captureLogger, startProxy } from '../helpers/proxy';
import { endToEnd, metaCount, sameJsonButTrace, stripTrace } from './compare';
import { ConnRun, framesOf, pipes, stdioClient, stdioDirect, stdioFiles, wsClient, wsUpstream } from './conn-peers';
import { Case, caseArb } from './gen';
import { HttpMode, HttpRun, Recorded, Upstream, runHttp, send } from './http-peers';
import path from 'node:path';

jest.setTimeout(600_000);

const MAX_BODY = 4 * 1024 * 1024;
const CASES = Number(process.env.FUZZ_CASES ?? 10);
// A fixed seed by default, so CI is repeatable; `npm run fuzz` picks a fresh one each run.
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_201;
const run = (arb: fc.Arbitrary<Case>, check: (c: Case) => Promise<void>) =>
  fc.assert(fc.asyncProperty(arb, check), { numRuns: CASES, seed: SEED, path: process.env.FUZZ_PATH, endOnFailure: true, timeout: 120_000 });

/** The upstream got what the client sent, but for the trace keys; a `_meta` only where allowed. */
function expectSameUpstreamText(sent: string, got: string, sessionEra: boolean): void {
  const hadTrace = /"(?:traceparent|tracestate|baggage)"\s*:/.test(sent);
  expect(stripTrace(got, hadTrace)).toBe(stripTrace(sent, hadTrace));
  expect(sameJsonButTrace(sent, got)).toBe(true);
  if (!sessionEra) expect(metaCount(got)).toBe(metaCount(sent));
}

/** Every tagged request has one ended span with the status its answer implies; no forged cancel landed. */
async function expectSpans(spans: () => ReadableSpan[], c: Case, clients: number[]): Promise<void> {
  // A body past --max-body-bytes (4 MiB by default) is forwarded untouched and not traced.
  const traced = (s: Case['clients'][number]['steps'][number]) => Buffer.byteLength(s.text) <= MAX_BODY;
  const steps = clients.flatMap((k) => c.clients[k].steps);
  const want = steps.filter(traced).flatMap((s) => s.expect);
  const untraced = steps.filter((s) => !traced(s)).flatMap((s) => s.expect);
  const find = (tag: string) => spans().filter((s) => s.name.endsWith(` ${tag}`) || s.attributes['mcp.resource.uri'] === tag);
  const deadline = Date.now() + 10_000;
  while (want.some((w) => find(w.tag).length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const w of want) {
    const found = find(w.tag);
    expect({ tag: w.tag, spans: found.length }).toEqual({ tag: w.tag, spans: 1 });
    expect({ tag: w.tag, errorType: found[0].attributes['error.type'] ?? null, outcome: found[0].attributes['mcp_trace_proxy.outcome'] ?? null })
      .toEqual({ tag: w.tag, errorType: w.errorType, outcome: null });
    expect(found[0].status.code).toBe(w.errorType ? 2 : 0);
  }
  for (const w of untraced) expect({ tag: w.tag, spans: find(w.tag).length }).toEqual({ tag: w.tag, spans: 0 });
  const ids = spans().map((s) => s.spanContext().spanId);
  expect(new Set(ids).size).toBe(ids.length);
  expect(spans().filter((s) => s.events.some((e) => e.attributes?.['mcp.cancel.reason'] === 'forged'))).toEqual([]);
}

/** A hostile client: cancellations of everyone's ids under session ids it made up. */
async function attack(base: string, mode: HttpMode, c: Case): Promise<void> {
  if (!c.attack) return;
  const ids = c.clients.flatMap((p) => p.steps.flatMap((s) => [s.text.match(/"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)/)?.[1]].filter(Boolean)));
  const body = Buffer.from(`[${ids.map((id) => `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${id},"reason":"forged"}}`).join(',') || '{}'}]`);
  for (const forged of ['#1', 'conn#1', 'sess-0x', '']) {
    const url = mode === 'legacy' ? `${base}/message?sessionId=${encodeURIComponent(forged || '#2')}` : `${base}/mcp`;
    await send(url, 'POST', { 'content-type': 'application/json', ...(forged && mode !== 'legacy' ? { 'mcp-session-id': forged } : {}) }, body, []);
  }
}

const key = (r: Recorded) => `${r.method} ${r.headers['x-fuzz-client']} ${r.headers['x-fuzz-step'] ?? ''} ${r.url.split('?')[0]}`;

/** `origins`: the direct upstream's, and the proxy's (a legacy endpoint naming its upstream is rewritten to it). */
function compareHttp(direct: { run: HttpRun; got: Recorded[] }, proxied: { run: HttpRun; got: Recorded[] }, origins: [string, string]): void {
  // Upstream side: the same requests, matched by client and step (their order across clients varies).
  const forged = (r: Recorded) => r.headers['x-fuzz-client'] === undefined;
  const mine = (rs: Recorded[]) => new Map(rs.filter((r) => !forged(r)).map((r) => [key(r), r]));
  const d = mine(direct.got);
  const p = mine(proxied.got);
  expect([...p.keys()].sort()).toEqual([...d.keys()].sort());
  const era = new Map<string, boolean>(direct.run.exchanges.flatMap((ex, k) => ex.map((e) => [`${k} ${e.step}`, e.sessionEra] as [string, boolean])));
  for (const [k, dr] of d) {
    const pr = p.get(k)!;
    expect(endToEnd(pr.headers)).toEqual(endToEnd(dr.headers));
    if (dr.method !== 'POST') continue;
    // Framing is the hop's (a body read whole goes with its length, a streamed one as it came); a length is right.
    if (pr.headers['content-length'] !== undefined || dr.headers['content-length'] !== undefined) expect(pr.headers['content-length']).toBe(String(pr.body.length));
    if (dr.headers['content-encoding']) expect(pr.body.equals(dr.body)).toBe(true);
    else expectSameUpstreamText(dr.body.toString('utf8'), pr.body.toString('utf8'), era.get(`${dr.headers['x-fuzz-client']} ${dr.headers['x-fuzz-step']}`) as boolean);
  }
  // Client side: byte for byte, headers included but for the hop's own.
  direct.run.exchanges.forEach((ex, k) => ex.forEach((e, i) => {
    const q = proxied.run.exchanges[k][i].got;
    expect({ k, i, status: q.status }).toEqual({ k, i, status: e.got.status });
    expect(endToEnd(q.headers)).toEqual(endToEnd(e.got.headers));
    expect(q.body.equals(e.got.body)).toBe(true);
  }));
  const norm = (origin: string) => (r: { body: Buffer }) => r.body.toString('latin1').split(origin).join('ORIGIN');
  expect(proxied.run.streams.map(norm(origins[1]))).toEqual(direct.run.streams.map(norm(origins[0])));
}

describe(`transparency, seed ${SEED} (FUZZ_SEED=${SEED} replays it)`, () => {
  let px: TracedProxy | undefined;
  afterEach(async () => {
    await px?.close();
    px = undefined;
  });

  for (const mode of ['json', 'sse', 'get', 'legacy'] as HttpMode[]) {
    test(`Streamable HTTP and legacy SSE: ${mode}`, async () => {
      await run(caseArb({ maxClients: 3, maxSteps: 4, batches: mode === 'json' || mode === 'sse' }), async (c) => {
        const du = new Upstream(mode, c);
        const pu = new Upstream(mode, c);
        const dBase = await du.start();
        const pBase = await pu.start();
        px = await startProxy(`${pBase}/mcp`);
        try {
          const direct = await runHttp(dBase, du, mode, c, () => attack(dBase, mode, c));
          const proxied = await runHttp(px.proxy.url, pu, mode, c, () => attack(px!.proxy.url, mode, c));
          compareHttp({ run: direct, got: du.received }, { run: proxied, got: pu.received }, [dBase, px.proxy.url]);
          await expectSpans(() => px!.spans(), c, c.clients.map((_, k) => k));
        } finally {
          await px.close();
          px = undefined;
          await du.close();
          await pu.close();
        }
      });
    });
  }

  function compareConn(c: Case, k: number, direct: ConnRun, proxied: ConnRun): void {
    expect(proxied.upstreamGot.length).toBe(direct.upstreamGot.length);
    direct.upstreamGot.forEach((sent, i) => expectSameUpstreamText(sent, proxied.upstreamGot[i], c.sessions && i > 0));
    expect(proxied.clientGot.equals(direct.clientGot)).toBe(true);
    expect(direct.upstreamGot.length).toBe(framesOf(c, k).length);
  }

  test('WebSocket', async () => {
    await run(caseArb({ maxClients: 3, maxSteps: 4, batches: true }), async (c) => {
      const du = await wsUpstream(c);
      const pu = await wsUpstream(c);
      px = await startProxy(`${pu.url.replace('ws:', 'http:')}/mcp`);
      try {
        const direct = await Promise.all(c.clients.map((_, k) => wsClient(du.url, c, k)));
        const proxied = await Promise.all(c.clients.map((_, k) => wsClient(px!.proxy.url.replace('http:', 'ws:'), c, k)));
        c.clients.forEach((_, k) => compareConn(c, k, { upstreamGot: du.got.get(k)!, clientGot: direct[k] }, { upstreamGot: pu.got.get(k)!, clientGot: proxied[k] }));
        await expectSpans(() => px!.spans(), c, c.clients.map((_, k) => k));
      } finally {
        await px.close();
        px = undefined;
        await du.close();
        await pu.close();
      }
    });
  });

  test('stdio', async () => {
    await run(caseArb({ maxClients: 1, maxSteps: 6, batches: true }), async (c) => {
      const direct = await stdioDirect(c);
      const files = stdioFiles(c, 'proxied');
      Object.assign(process.env, files.env);
      const exporter = new InMemorySpanExporter();
      const config = configFrom({ upstream: 'http://127.0.0.1/', stdio: { command: process.execPath, args: [path.join(__dirname, 'stdio-server.js')] }, adminPort: null });
      const log = captureLogger([]);
      const { telemetry, tap } = buildTracing(config, log, null, [new SimpleSpanProcessor(exporter)])!;
      const io = pipes();
      const proc = runStdio({ ...config.stdio!, maxBodyBytes: config.maxBodyBytes, shutdownGraceMs: config.shutdownGraceMs }, tap, log, io);
      const clientGot = await stdioClient(io.stdin, io.stdout, c);
      expect(await proc.exit).toBe(0);
      compareConn(c, 0, direct, { upstreamGot: files.recorded(), clientGot });
      await expectSpans(() => exporter.getFinishedSpans(), c, [0]);
      await telemetry.shutdown();
    });
  });
});
