// `replay FILE --against URL` / `--stdio -- cmd`: the recorded client side sent to a live server,
// one connection per recorded session or connection, requests one at a time in recorded order.
// Each answer is compared with the recorded one; the differences are reported, less --ignore paths.
import { matchKey } from './canonical';
import { Difference, IgnorePath, diffResponses } from './diff';
import type { Cassette, CassetteRecord } from './format';
import type { LivePeer } from './live-peers';
import { ARGUMENTS_MARKER, isObject } from './policy';
import { Operation, transcript } from './transcript';

type Message = Record<string, unknown>;

export interface ReplaySummary {
  readonly requests: number;
  readonly differences: number;
  /** tools/call requests recorded without their arguments: they cannot be sent. */
  readonly skipped: number;
}

export async function replayAgainst(cassette: Cassette, connect: () => LivePeer, ignore: readonly IgnorePath[], print: (line: string) => void): Promise<ReplaySummary> {
  const { operations } = transcript(cassette.records);
  const opOf = new Map<CassetteRecord, Operation>(operations.map((op) => [op.request, op]));
  const keys = [...new Set(cassette.records.map((r) => r.key))];
  let requests = 0;
  let differences = 0;
  let skipped = 0;
  for (const key of keys) {
    const peer = connect();
    try {
      for (const r of cassette.records) {
        if (r.key !== key || r.dir !== 'client_to_server' || typeof r.message.method !== 'string') continue;
        const m = r.message;
        if (m.id === undefined) {
          await peer.notify(m);
          continue;
        }
        const op = opOf.get(r) as Operation;
        if (isObject(m.params) && m.params.arguments === ARGUMENTS_MARKER) {
          skipped++;
          continue;
        }
        requests++;
        const live = await peer.request(m, answerer(op));
        const found: Difference[] = op.response ? diffResponses(op.response.message, live, ignore) : [];
        const name = `#${requests} ${op.method}${describeTarget(m)}`;
        for (const d of found) print(`DIFF ${name}: ${d.path}: recorded ${show(d.recorded)}, live ${show(d.live)}`);
        if (found.length === 0) print(`ok   ${name}`);
        differences += found.length;
      }
    } finally {
      await peer.close().catch(() => undefined);
    }
  }
  return { requests, differences, skipped };
}

/** Answers the live server's own requests (sampling, elicitation) with the recorded client answers. */
function answerer(op: Operation): (m: Message) => Message {
  const used = new Set<Operation>();
  return (m) => {
    const key = matchKey(String(m.method), m.params);
    const nested = op.nested.find((n) => !used.has(n) && n.response && matchKey(n.method, n.request.message.params) === key)
      ?? op.nested.find((n) => !used.has(n) && n.response && n.method === m.method);
    if (!nested?.response) return { jsonrpc: '2.0', id: m.id, error: { code: -32601, message: `no recorded answer to ${String(m.method)}` } };
    used.add(nested);
    return { ...nested.response.message, id: m.id };
  };
}

function describeTarget(m: Message): string {
  const p = m.params as Record<string, unknown> | undefined;
  const t = p?.name ?? p?.uri;
  return typeof t === 'string' ? ` ${t}` : '';
}

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
