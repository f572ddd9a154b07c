// Multi round-trip requests (spec 2026-07-28): a request answered `resultType: "input_required"`
// with a `requestState` is retried under a new id that carries the state back. Each round is its
// own span; a retry links to the round that asked for input, found by a hash of the state (never
// the state itself: it is the server's, and may be secret). Held bounded, where only the client
// that received the state reaches it: in its connection's scope (stdio, WebSocket), or, on HTTP,
// where 2026-07-28 has no session, in one table keyed by the client's address and the hash.
import type { SpanContext } from '@opentelemetry/api';
import type { RpcMessage } from '../jsonrpc/parse';
import { requestStateHash, roundAttributes } from '../tracing/attributes';
import type { Operation } from '../tracing/lifecycle';
import type { Related } from '../tracing/operations';
import type { Channel } from './channel';

/** Rounds held per connection, and on HTTP in all: the oldest go first. */
const PER_CONNECTION = 64;
const HTTP_TOTAL = 4096;

/** What a retry needs of the round before it: its span, its number (unknown past a round the proxy missed), the call's hash. */
interface Round {
  readonly context: SpanContext;
  readonly round: number | undefined;
  readonly chain: string;
}

export interface Retry extends Related {
  readonly own: Omit<Round, 'context'>;
}

export class Rounds {
  private readonly http = new Map<string, Round>();
  /** A retry's own round, until its answer says whether another follows. */
  private readonly retries = new WeakMap<Operation, Omit<Round, 'context'>>();

  /** A request carrying a `requestState`: the link and attributes its span starts with. */
  retry(channel: Channel, m: RpcMessage): Retry | undefined {
    const state = m.params?.requestState;
    if (typeof state !== 'string') return undefined;
    const hash = requestStateHash(state);
    const before = this.table(channel).get(keyOf(channel, hash)) as Round | undefined;
    const round = before?.round === undefined ? undefined : before.round + 1;
    const chain = before?.chain ?? hash;
    return { links: before ? [{ context: before.context }] : [], attributes: roundAttributes(round, chain), own: { round, chain } };
  }

  /** The retry's span started: its answer continues the numbering. */
  started(op: Operation, retry: Retry): void {
    this.retries.set(op, retry.own);
  }

  /** An answer: an interim one (`input_required` with a state) is held for its retry. */
  answered(channel: Channel, op: Operation, m: RpcMessage): void {
    const result = m.result as Record<string, unknown> | undefined;
    if (result?.resultType !== 'input_required' || typeof result.requestState !== 'string') return;
    const hash = requestStateHash(result.requestState);
    const mine = this.retries.get(op);
    if (!mine) op.annotate(roundAttributes(1, hash));
    const table = this.table(channel);
    const key = keyOf(channel, hash);
    table.delete(key); // re-entered at the young end
    table.set(key, { context: op.span.spanContext(), round: mine ? mine.round : 1, chain: mine?.chain ?? hash });
    if (table.size > (table === this.http ? HTTP_TOTAL : PER_CONNECTION)) table.delete(table.keys().next().value as string);
  }

  private table(channel: Channel): Map<string, unknown> {
    if (channel.scope.kind !== 'connection') return this.http as Map<string, unknown>;
    return (channel.scope.rounds ??= new Map<string, unknown>());
  }
}

/** On HTTP the client's address is part of the key, so a state another client holds does not reach its round. */
function keyOf(channel: Channel, hash: string): string {
  return channel.scope.kind === 'connection' ? hash : `${channel.conn.clientAddress ?? ''} ${hash}`;
}
