// A channel: where frames pass, one HTTP exchange or one WebSocket or stdio connection, and what the
// tap remembers of it between frames.
import type { Attributes, Context } from '@opentelemetry/api';
import type { RpcMessage } from '../jsonrpc/parse';
import type { ConnInfo } from '../tracing/attributes';
import type { Operation } from '../tracing/lifecycle';
import type { Scope } from './scope';

/** Where frames pass: one HTTP exchange, or one WebSocket or stdio connection. */
export interface Channel {
  scope: Scope;
  conn: ConnInfo;
  readonly headerCtx: Context;
  /** Who called, from the request headers (--attribute-header, --attribute-jwt-claim); computed once. */
  readonly caller: Attributes;
  /** `caller` with the scope's client attributes, for the client object it was built from. */
  attributed?: { readonly client: Attributes | undefined; readonly attributes: Attributes };
  /** Known to be session-era (pre-2026-07-28): `_meta` may be created. */
  sessionEra: boolean;
  /** Client requests it carried, newest last (ended ones are pruned as it goes). */
  readonly requests: Operation[];
  /** Client notifications it carried: they end once the upstream accepts them. */
  readonly notifications: Operation[];
  /**
   * HTTP: the session the client's header names, before the upstream accepted the request. Only
   * read (for the client's name on spans); the request joins it once the upstream answers 2xx.
   */
  readonly claimed?: Scope;
  /**
   * HTTP: client messages that act on other operations (answers to server requests, cancellations,
   * progress), held until the upstream accepts the exchange: a refused request touches nobody.
   */
  awaiting?: RpcMessage[];
  /** The first operation it started: its context goes into the HTTP headers. */
  first?: Operation;
  /** The first operation's propagation fields, injected once for both the headers and its `_meta`. */
  carrier?: Record<string, string>;
  /** The exact id text of each request it carried, for a gateway error's body; `batch` for its shape. */
  requestIds?: string[];
  batch?: boolean;
  /** A response with a null id and an error (a parse error, a bad batch): it answers every open request. */
  nullIdError?: RpcMessage;
}

/** Forgets ended requests once there are a few. */
export function prune(ops: Operation[]): void {
  if (ops.length >= 8) for (let i = ops.length - 1; i >= 0; i--) if (ops[i].isEnded) ops.splice(i, 1);
}

/** The channel's one open request, when there is exactly one: stream notifications belong to it. */
export function onlyOpen(channel: Channel): Operation | undefined {
  let found: Operation | undefined;
  for (const op of channel.requests) {
    if (op.isEnded) continue;
    if (found) return undefined;
    found = op;
  }
  return found;
}
