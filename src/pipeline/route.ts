// Which open operation a notification belongs to, found by what it carries: a subscriptionId names
// its subscriptions/listen, a progress token the request that set it. Only a notification that
// names nothing falls back to the channel's one open operation; when several are open it belongs
// to none (the caller counts it), never to a guessed one.
import { RpcMessage, idTextOf, metaOf } from '../jsonrpc/parse';
import type { Operation } from '../tracing/lifecycle';
import * as semconv from '../tracing/semconv';
import { Channel, onlyOpen } from './channel';
import { Correlator, Direction, progressKey, requestKey } from './correlator';

/** What a notification reached: an operation, none (`undefined`), or none because several were open (`null`). */
export type Routed = Operation | undefined | null;

export function routeNotification(correlator: Correlator<Operation>, channel: Channel, m: RpcMessage, dir: Direction): Routed {
  // A notification names a request its sender received, i.e. one that travelled the other way.
  const other: Direction = dir === 'client_to_server' ? 'server_to_client' : 'client_to_server';
  const subscription = metaOf(m)?.[semconv.META_SUBSCRIPTION_ID];
  if (isId(subscription)) return correlator.get(channel.scope, requestKey(other, idTextOf(subscription)));
  const token = m.method === 'notifications/progress' ? m.params?.progressToken : metaOf(m)?.progressToken;
  if (isId(token)) return correlator.get(channel.scope, progressKey(other, token));
  if (m.method === 'notifications/progress') return undefined; // a progress report without a token names nothing it could belong to
  // On HTTP the stream it came on is the related request the transport gives; a connection has one stream for all.
  return dir === 'server_to_client' ? onlyOpen(channel) : undefined;
}

function isId(v: unknown): v is string | number {
  return typeof v === 'string' || typeof v === 'number';
}
