// A channel: where frames pass, one HTTP exchange or one WebSocket or stdio connection, and what the
// tap remembers of it between frames.
import type { Attributes, Context } from '@opentelemetry/api';
import type { RpcMessage } from '../jsonrpc/parse';
import type { ConnInfo } from '../tracing/attributes';
import { CallerRules, clientAttributes } from '../tracing/caller';
import type { Operation } from '../tracing/lifecycle';
import * as semconv from '../tracing/semconv';
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
  /**
   * HTTP: each request's answer and its related notifications come on this exchange's own response,
   * so its requests do not expire while the exchange is open; its end decides theirs.
   */
  readonly ownStream: boolean;
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

/** The method whose response is a stream the client holds open for server notifications (spec 2026-07-28). */
export const LISTEN = 'subscriptions/listen';

/**
 * The channel's one open request, which a notification naming nothing belongs to: undefined when
 * none is open, null when several are. On a connection a listen is no candidate: what belongs to it
 * carries its subscriptionId there, since every stream shares the one channel.
 */
export function onlyOpen(channel: Channel): Operation | undefined | null {
  let found: Operation | undefined;
  for (const op of channel.requests) {
    if (op.isEnded || (!channel.ownStream && op.method === LISTEN)) continue;
    if (found) return null;
    found = op;
  }
  return found;
}

/** Caller and client attributes; the client from initialize's clientInfo or (2026-07-28) the request's `_meta`. */
export function attribution(channel: Channel, rules: CallerRules, m?: RpcMessage): Attributes {
  const info = m?.method === 'initialize' ? m.params?.clientInfo : (m?.params?._meta as Record<string, unknown> | undefined)?.[semconv.META_CLIENT_INFO];
  if (info !== undefined) {
    const named = clientAttributes(info, rules);
    if (named) channel.scope.client = named;
  }
  const client = channel.scope.client ?? channel.claimed?.client;
  if (!client) return channel.caller;
  if (channel.attributed?.client !== client) channel.attributed = { client, attributes: { ...channel.caller, ...client } };
  return channel.attributed.attributes;
}
