// Correlation scopes. A scope is an object, compared by identity: a client can name none, it can
// only reach the scope the proxy gave its connection or exchange, or the one the upstream issued
// for its session (sessions.ts). So no header or body a client writes can reach another's state.

import type { Attributes } from '@opentelemetry/api';

export type Transport = 'http' | 'legacy-sse' | 'websocket' | 'stdio';

export class Scope {
  /**
   * The client application (`mcp.client.name`/`version`) its initialize named. Kept here because an
   * HTTP channel lasts one request while a session lasts many; one small object per scope, so
   * the session registry's cap bounds it.
   */
  client?: Attributes;

  /**
   * The correlator's pending entries in this scope (correlator.ts), or null. Held by the scope,
   * not in a table keyed by scopes, so an exchange's entries live and die with it.
   */
  pending: Map<string, unknown> | null = null;

  /** A connection's MRTR rounds awaiting their retry (rounds.ts), or null: they die with it. */
  rounds: Map<string, unknown> | null = null;

  private constructor(
    readonly transport: Transport,
    /** connection: a WebSocket or stdio connection; exchange: one HTTP request; session: issued by the upstream. */
    readonly kind: 'connection' | 'exchange' | 'session',
    /** The upstream's session id, for a session scope. */
    readonly sessionId?: string,
  ) {}

  static connection(transport: 'websocket' | 'stdio'): Scope {
    return new Scope(transport, 'connection');
  }

  static exchange(transport: Transport): Scope {
    return new Scope(transport, 'exchange');
  }

  /** Only the session registry makes these, for ids the upstream issued. */
  static session(transport: Transport, id: string): Scope {
    return new Scope(transport, 'session', id);
  }
}
