// The tap: every transport hands it the frames that pass, in both directions, and forwards what
// it returns. It parses (never throws), starts, correlates and ends operations, and decides the
// injection. It holds no bytes back: a frame's answer is immediate, and a failure in here costs
// the traffic nothing (the frame goes on unchanged).
import type { Attributes, Context } from '@opentelemetry/api';
import { MetaEdit, spliceMeta } from '../jsonrpc/inject';
import { RpcMessage, idTextOf, parseBody, str } from '../jsonrpc/parse';
import type { Logger } from '../log';
import type { ConnInfo } from '../tracing/attributes';
import { CallerRules, NO_RULES, callerAttributes, clientAttributes } from '../tracing/caller';
import type { ProxyCounters } from '../tracing/metrics';
import { injectHeaders, metaFields, pickMeta } from '../tracing/propagation';
import * as semconv from '../tracing/semconv';
import type { Operation } from '../tracing/lifecycle';
import type { Tracing } from '../tracing/operations';
import { Correlator, Direction, progressKey, requestKey } from './correlator';
import { InjectMeta, isSessionEra } from './inject-rule';
import type { Scope } from './scope';

export { InjectMeta, isSessionEra } from './inject-rule';

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

export interface TapOptions {
  readonly injectMeta: InjectMeta;
  readonly maxFrameBytes: number;
  readonly limits: { readonly maxPerScope: number; readonly maxTotal: number; readonly ttlMs: number };
  readonly caller?: CallerRules;
}

export class Tap {
  readonly correlator: Correlator<Operation>;
  private failures = 0;

  constructor(
    readonly tracing: Tracing,
    private readonly counters: ProxyCounters,
    private readonly options: TapOptions,
    private readonly log: Logger,
  ) {
    this.correlator = new Correlator<Operation>(options.limits, (op, why, key) => {
      // A reused progress token only moves to the newer request; a reused id supersedes the older one.
      if (why === 'superseded' && !Correlator.isRequestKey(key)) return;
      if (why !== 'superseded') counters.pendingDropped++;
      if (why === 'expired') op.expired();
      else op.dropped();
    });
  }

  /** `headers`: the request's (HTTP) or the upgrade request's (WebSocket); stdio has none. */
  channel(scope: Scope, conn: ConnInfo, headerCtx: Context, sessionEra: boolean, headers?: Readonly<Record<string, string | string[] | undefined>>, claimed?: Scope): Channel {
    const caller = headers ? callerAttributes(headers, this.options.caller ?? NO_RULES) : {};
    const ch: Channel = { scope, conn, headerCtx, caller, sessionEra, requests: [], notifications: [], claimed };
    // An HTTP exchange acts on others' operations only once the upstream accepted it.
    if (scope.kind === 'exchange' && scope.transport === 'http') ch.awaiting = [];
    return ch;
  }

  /**
   * A client→server frame. Returns null when it is not JSON-RPC, else the text to forward: `text`
   * itself when nothing changed (forward the original bytes), or the spliced text.
   */
  fromClient(ch: Channel, text: string, canSplice = true): string | null {
    if (text.length > this.options.maxFrameBytes) return null;
    try {
      const parsed = parseBody(text);
      if (!parsed) return null;
      this.counters.clientMessages += parsed.messages.length;
      ch.batch = parsed.batch;
      ch.requestIds = [];
      const mode = this.options.injectMeta;
      const edits: (MetaEdit | null)[] = [];
      for (const m of parsed.messages) {
        if (m.kind === 'response') {
          if (ch.awaiting) ch.awaiting.push(m);
          else this.clientResponse(ch, m);
          continue;
        }
        const op = this.tracing.startServer(m, ch.conn, ch.headerCtx, this.attribution(ch, m));
        let fields = null;
        if (!ch.first) {
          ch.first = op;
          ch.carrier = {};
          injectHeaders(this.tracing.propagator, op.context, ch.carrier);
          fields = pickMeta(ch.carrier);
        } else if (mode !== 'never') {
          fields = metaFields(this.tracing.propagator, op.context);
        }
        if (m.kind === 'request') {
          ch.requestIds.push(m.idText as string);
          this.track(ch, op, 'client_to_server', m);
          prune(ch.requests);
          ch.requests.push(op);
        } else {
          if (ch.awaiting) ch.awaiting.push(m);
          else this.notification(ch, m, 'client_to_server');
          // On a connection no acknowledgement comes: forwarded is done. On HTTP, the status decides.
          if (ch.scope.kind === 'connection') op.delivered();
          else ch.notifications.push(op);
        }
        // Never a new `_meta` on initialize: the server has not chosen its revision yet, and a dual-era
        // server reads a sessionless request with `_meta` as a 2026-07-28 stateless one.
        const create = mode === 'always' || (ch.sessionEra && m.method !== 'initialize');
        if (mode !== 'never' && fields) edits[m.index] = { fields, create };
      }
      return (canSplice && edits.length > 0 && spliceMeta(text, edits)) || text;
    } catch (err) {
      this.failed(err);
      return null;
    }
  }

  /** A server→client frame. Returns whether it was JSON-RPC. */
  fromServer(ch: Channel, text: string): boolean {
    if (text.length > this.options.maxFrameBytes) return false;
    try {
      const parsed = parseBody(text);
      if (!parsed) return false;
      this.counters.serverMessages += parsed.messages.length;
      for (const m of parsed.messages) {
        if (m.kind === 'response') {
          if (m.idText === undefined) {
            if (m.error) ch.nullIdError = m;
            continue;
          }
          const op = this.correlator.take(ch.scope, requestKey('client_to_server', m.idText));
          if (op) this.answered(ch, op, m);
        } else if (m.kind === 'request') {
          // Nested under the operation whose stream carries it (e.g. the tool call that asks for sampling).
          const op = this.tracing.startClient(m, ch.conn, onlyOpen(ch), ch.headerCtx, this.attribution(ch));
          this.track(ch, op, 'server_to_client', m);
        } else {
          this.notification(ch, m, 'server_to_client');
        }
      }
      return true;
    } catch (err) {
      this.failed(err);
      return false;
    }
  }

  /**
   * The HTTP status came. A 2xx accepts the exchange: its held messages act now, in its scope (its
   * session's, once `session` moved it there). Anything else refuses it: they are dropped.
   */
  accepted(ch: Channel, status: number): void {
    const held = ch.awaiting;
    ch.awaiting = undefined;
    const ok = status < 300;
    if (held && ok) {
      for (const m of held) {
        if (m.kind === 'response') this.clientResponse(ch, m);
        else this.notification(ch, m, 'client_to_server');
      }
    }
    for (const op of ch.notifications) {
      if (status >= 400) op.failed(String(status), `upstream answered HTTP ${status}`);
      else op.delivered();
    }
  }

  /** The upstream issued (or confirmed) a session on this exchange: its requests now wait in the session. */
  session(ch: Channel, scope: Scope): void {
    if (ch.scope === scope) return;
    for (const op of ch.requests) if (op.method === 'initialize') op.setSession(scope.sessionId as string);
    scope.client ??= ch.scope.client; // the session remembers what its initialize named
    this.correlator.rescope(ch.scope, scope);
    ch.scope = scope;
    ch.conn = { ...ch.conn, sessionId: scope.sessionId };
  }

  /**
   * An HTTP response is complete. What it did not answer ends here, unless a session may still
   * deliver it (on the GET stream or a resumed one). Server requests in a scope of this exchange
   * alone can never be answered.
   */
  settle(ch: Channel, status: number): void {
    for (const op of ch.requests) {
      if (op.isEnded) continue;
      if (ch.nullIdError) op.answered(ch.nullIdError);
      else if (status >= 400) op.failed(String(status), `upstream answered HTTP ${status}`);
      else if (ch.scope.kind !== 'session') op.upstreamGone();
    }
    if (ch.scope.kind === 'exchange') for (const op of this.correlator.takeScope(ch.scope)) op.upstreamGone();
  }

  /** The exchange failed upstream: every operation it started ends with the error. */
  fail(ch: Channel, code: string, message: string): void {
    for (const op of [...ch.requests, ...ch.notifications]) op.failed(code, message);
    if (ch.scope.kind === 'exchange') for (const op of this.correlator.takeScope(ch.scope)) op.upstreamGone();
  }

  /**
   * The client went away. Without a session that ends what it asked. In a session a disconnect is
   * not a cancel: the answer may come on a resumed stream, or a cancellation may follow.
   */
  clientGone(ch: Channel, mayResume: boolean): void {
    if (!(mayResume && ch.scope.kind === 'session')) for (const op of ch.requests) op.clientGone();
    if (ch.scope.kind !== 'session') for (const op of this.correlator.takeScope(ch.scope)) op.clientGone();
  }

  /** A connection closed (WebSocket, stdio), or a session ended: nothing in its scope will be answered. */
  close(scope: Scope, why: 'client_gone' | 'upstream_gone' | 'shut_down'): void {
    for (const op of this.correlator.takeScope(scope)) END[why](op);
  }

  /** Shutdown: every pending operation ends, so its span is exported. */
  shutdown(): void {
    for (const op of this.correlator.close()) op.shutDown();
  }

  /** Caller and client attributes; the client from initialize's clientInfo or (2026-07-28) the request's `_meta`. */
  private attribution(ch: Channel, m?: RpcMessage): Attributes {
    const info = m?.method === 'initialize' ? m.params?.clientInfo : (m?.params?._meta as Record<string, unknown> | undefined)?.[semconv.META_CLIENT_INFO];
    if (info !== undefined) {
      const named = clientAttributes(info, this.options.caller ?? NO_RULES);
      if (named) ch.scope.client = named;
    }
    const client = ch.scope.client ?? ch.claimed?.client;
    if (!client) return ch.caller;
    if (ch.attributed?.client !== client) ch.attributed = { client, attributes: { ...ch.caller, ...client } };
    return ch.attributed.attributes;
  }

  /** The client's answer to a server→client request. */
  private clientResponse(ch: Channel, m: RpcMessage): void {
    if (m.idText !== undefined) this.correlator.take(ch.scope, requestKey('server_to_client', m.idText))?.answered(m);
  }

  private answered(ch: Channel, op: Operation, m: RpcMessage): void {
    const result = m.result as Record<string, unknown> | undefined;
    if (op.method === 'tools/list' || op.method === 'prompts/list') this.tracing.labels.learn(op.method, result);
    // On a connection, the negotiated revision is on every later span, and decides whether `_meta`
    // may be created from now on.
    if (op.method === 'initialize' && ch.scope.kind === 'connection') {
      const version = str(result, 'protocolVersion');
      ch.sessionEra = isSessionEra(version);
      if (version) ch.conn = { ...ch.conn, mcpProtocolVersion: version };
    }
    op.answered(m);
  }

  private track(ch: Channel, op: Operation, dir: Direction, m: RpcMessage): void {
    const keys = [requestKey(dir, m.idText as string)];
    const token = m.params?._meta && (m.params._meta as Record<string, unknown>).progressToken;
    if (typeof token === 'string' || typeof token === 'number') keys.push(progressKey(dir, token));
    for (const k of keys) this.correlator.put(ch.scope, k, op);
    // ch.scope, read when it ends: the keys may have moved to a session meanwhile.
    op.whenEnded(() => {
      for (const k of keys) this.correlator.release(ch.scope, k, op);
    });
  }

  /** A notification about an open operation: progress, log message, cancellation; others are counted. */
  private notification(ch: Channel, m: RpcMessage, dir: Direction): void {
    const p = m.params;
    // A cancel names a request its sender sent; a progress report, one its sender received.
    const other: Direction = dir === 'client_to_server' ? 'server_to_client' : 'client_to_server';
    switch (m.method) {
      case 'notifications/progress': {
        const token = p?.progressToken;
        if (typeof token !== 'string' && typeof token !== 'number') return;
        const attrs: Record<string, number> = {};
        if (typeof p?.progress === 'number') attrs[semconv.ATTR_EVENT_PROGRESS] = p.progress;
        if (typeof p?.total === 'number') attrs[semconv.ATTR_EVENT_PROGRESS_TOTAL] = p.total;
        this.correlator.get(ch.scope, progressKey(other, token))?.event(semconv.EVENT_PROGRESS, attrs);
        return;
      }
      case 'notifications/cancelled': {
        const id = p?.requestId;
        if (typeof id === 'string' || typeof id === 'number') this.correlator.take(ch.scope, requestKey(dir, idTextOf(id)))?.cancelled(str(p, 'reason'));
        return;
      }
      case 'notifications/message': {
        // Log data may be private: the event records the level only.
        const level = str(p, 'level');
        if (dir === 'server_to_client') onlyOpen(ch)?.event(semconv.EVENT_LOG_MESSAGE, level ? { [semconv.ATTR_EVENT_LOG_LEVEL]: level } : undefined);
        return;
      }
      default:
        if (dir === 'server_to_client') onlyOpen(ch)?.event(semconv.EVENT_NOTIFICATION, { [semconv.ATTR_MCP_METHOD_NAME]: m.method as string });
    }
  }

  private failed(err: unknown): void {
    if (this.failures++ === 0) this.log.warn('tracing a message failed; forwarding it unchanged', { error: (err as Error).message });
  }
}

const END: Record<'client_gone' | 'upstream_gone' | 'shut_down', (op: Operation) => void> = {
  client_gone: (op) => op.clientGone(), upstream_gone: (op) => op.upstreamGone(), shut_down: (op) => op.shutDown(),
};

function prune(ops: Operation[]): void {
  if (ops.length >= 8) for (let i = ops.length - 1; i >= 0; i--) if (ops[i].isEnded) ops.splice(i, 1);
}

/** The channel's one open request, when there is exactly one: stream notifications belong to it. */
function onlyOpen(ch: Channel): Operation | undefined {
  let found: Operation | undefined;
  for (const op of ch.requests) {
    if (op.isEnded) continue;
    if (found) return undefined;
    found = op;
  }
  return found;
}
