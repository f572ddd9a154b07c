// The recorded server side as an engine: a live request in, the recorded answer out (what the
// server sent on the way, then the response), with the live id and progress token put in. A request
// the cassette does not hold gets a JSON-RPC error naming the nearest recorded one.
import { canonicalParams, matchKey, nearest, stableJson } from './canonical';
import type { Cassette } from './format';
import { RecordPolicy, applyPolicy, isObject } from './policy';
import { Operation, transcript } from './transcript';

/** JSON-RPC error code of an unmatched request (implementation-defined server error range). */
export const RPC_NOT_RECORDED = -32050;

type Message = Record<string, unknown>;

export class RecordedServer {
  /** Whether the recording had an upstream session: the mock then issues a session id at initialize. */
  readonly hadSession: boolean;
  private readonly byKey = new Map<string, Operation[]>();
  private readonly used = new Map<string, number>();
  private readonly policy: RecordPolicy;

  constructor(cassette: Cassette) {
    this.policy = cassette.header.policy;
    this.hadSession = cassette.records.some((r) => r.session === true);
    for (const op of transcript(cassette.records).operations) {
      if (op.dir !== 'client_to_server') continue;
      const key = op.method === 'initialize' ? 'initialize' : matchKey(op.method, op.request.message.params);
      const list = this.byKey.get(key) ?? [];
      list.push(op);
      this.byKey.set(key, list);
    }
  }

  get size(): number {
    let n = 0;
    for (const list of this.byKey.values()) n += list.length;
    return n;
  }

  /** The messages answering one live request, the response last; [] for anything that is not a request. */
  answer(m: Message): Message[] {
    if (typeof m.method !== 'string' || m.id === undefined) return [];
    // Seen as the recorder saw it: a secret the recording masked, or arguments it did not capture, match.
    const seen = applyPolicy(m, m.method, this.policy);
    const key = m.method === 'initialize' ? 'initialize' : matchKey(m.method, seen.params);
    const op = this.take(key);
    if (!op) return [this.unmatched(m, key)];
    if (!op.response) return [error(m.id, `the recorded ${op.method} had no answer in the cassette`)];
    const swap = tokenSwap(op.request.message.params, m.params);
    const during = op.during.map((r) => swap(r.message));
    return [...during, { ...op.response.message, id: m.id }];
  }

  /** Equal requests are answered in recorded order; past the last, the last again. */
  private take(key: string): Operation | undefined {
    const list = this.byKey.get(key);
    if (!list) return undefined;
    const i = this.used.get(key) ?? 0;
    this.used.set(key, i + 1);
    return list[Math.min(i, list.length - 1)];
  }

  private unmatched(m: Message, key: string): Message {
    const near = nearest(key, [...this.byKey.keys()].filter((k) => k !== 'initialize'));
    const asked = `${m.method as string} ${stableJson(canonicalParams(m.params))}`; // the client's own request, back to it
    const text = near ? `nearest recorded request: ${clip(near)}` : 'the cassette holds no requests';
    return error(m.id, `no recorded request matches ${clip(asked)}; ${text}`, near ? { nearest: near } : undefined);
  }
}

/** Rewrites the recorded progress token to the live request's, in the server's notifications. */
function tokenSwap(recorded: unknown, live: unknown): (m: Message) => Message {
  const from = isObject(recorded) && isObject(recorded._meta) ? recorded._meta.progressToken : undefined;
  const to = isObject(live) && isObject(live._meta) ? live._meta.progressToken : undefined;
  return (m) => {
    const p = m.params;
    if (from === undefined || to === undefined || !isObject(p) || p.progressToken !== from) return m;
    return { ...m, params: { ...p, progressToken: to } };
  };
}

function error(id: unknown, message: string, data?: unknown): Message {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code: RPC_NOT_RECORDED, message } : { code: RPC_NOT_RECORDED, message, data } };
}

function clip(s: string): string {
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}
