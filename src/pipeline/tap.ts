// The tap: every transport hands it the frames that pass, in both directions, and forwards what
// it returns. It parses (never throws), starts, correlates and ends operations, and decides the
// injection. It holds no bytes back: a frame's answer is immediate, and a failure in here costs
// the traffic nothing (the frame goes on unchanged).
import type { Context } from '@opentelemetry/api';
import { MetaEdit, spliceMeta } from '../jsonrpc/inject';
import { RpcMessage, idTextOf, parseBody, str } from '../jsonrpc/parse';
import type { Logger } from '../log';
import type { ConnInfo } from '../tracing/attributes';
import { CallerRules, NO_RULES, callerAttributes } from '../tracing/caller';
import type { ProxyCounters } from '../tracing/metrics';
import { injectHeaders, metaFields, pickMeta } from '../tracing/propagation';
import * as semconv from '../tracing/semconv';
import type { Operation } from '../tracing/lifecycle';
import type { Tracing } from '../tracing/operations';
import { Correlator, Direction, progressKey, requestKey } from './correlator';
import { InjectMeta, isSessionEra } from './inject-rule';
import { Channel, LISTEN, attribution, onlyOpen, prune } from './channel';
import { Rounds } from './rounds';
import { routeNotification } from './route';
import type { Scope } from './scope';

export { InjectMeta, isSessionEra } from './inject-rule';
export type { Channel } from './channel';

export interface TapOptions {
  readonly injectMeta: InjectMeta;
  readonly maxFrameBytes: number;
  readonly limits: { readonly maxPerScope: number; readonly maxTotal: number; readonly ttlMs: number };
  readonly caller?: CallerRules;
  /** Sees each parsed message as it came (before any splice): the recorder. Must not throw (the tap would skip the frame's tracing). */
  readonly onMessage?: (channel: Channel, direction: Direction, text: string, message: RpcMessage) => void;
}

export class Tap {
  readonly correlator: Correlator<Operation>;
  private readonly rounds = new Rounds();
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
    const ownStream = scope.transport === 'http' || scope.transport === 'legacy-sse';
    const channel: Channel = { scope, conn, headerCtx, caller, sessionEra, ownStream, requests: [], notifications: [], claimed };
    // An HTTP exchange acts on others' operations only once the upstream accepted it.
    if (scope.kind === 'exchange' && scope.transport === 'http') channel.awaiting = [];
    return channel;
  }

  /**
   * A client→server frame. Returns null when it is not JSON-RPC, else the text to forward: `text`
   * itself when nothing changed (forward the original bytes), or the spliced text.
   */
  fromClient(channel: Channel, text: string, canSplice = true): string | null {
    if (text.length > this.options.maxFrameBytes) return null;
    try {
      const parsed = parseBody(text);
      if (!parsed) return null;
      this.counters.clientMessages += parsed.messages.length;
      channel.batch = parsed.batch;
      channel.requestIds = [];
      const mode = this.options.injectMeta;
      const edits: (MetaEdit | null)[] = [];
      for (const m of parsed.messages) {
        this.options.onMessage?.(channel, 'client_to_server', text, m);
        if (m.kind === 'response') {
          if (channel.awaiting) channel.awaiting.push(m);
          else this.clientResponse(channel, m);
          continue;
        }
        const retry = m.kind === 'request' ? this.rounds.retry(channel, m) : undefined;
        const op = this.tracing.startServer(m, channel.conn, channel.headerCtx, attribution(channel, this.options.caller ?? NO_RULES, m), retry);
        if (retry) this.rounds.started(op, retry);
        let fields = null;
        if (!channel.first) {
          channel.first = op;
          channel.carrier = {};
          injectHeaders(this.tracing.propagator, op.context, channel.carrier);
          fields = pickMeta(channel.carrier);
        } else if (mode !== 'never') {
          fields = metaFields(this.tracing.propagator, op.context);
        }
        if (m.kind === 'request') {
          channel.requestIds.push(m.idText as string);
          this.track(channel, op, 'client_to_server', m);
          prune(channel.requests);
          channel.requests.push(op);
        } else {
          if (channel.awaiting) channel.awaiting.push(m);
          else this.notification(channel, m, 'client_to_server');
          // On a connection no acknowledgement comes: forwarded is done. On HTTP, the status decides.
          if (channel.scope.kind === 'connection') op.delivered();
          else channel.notifications.push(op);
        }
        // Never a new `_meta` on initialize: the server has not chosen its revision yet, and a dual-era
        // server reads a sessionless request with `_meta` as a 2026-07-28 stateless one.
        const create = mode === 'always' || (channel.sessionEra && m.method !== 'initialize');
        if (mode !== 'never' && fields) edits[m.index] = { fields, create };
      }
      return (canSplice && edits.length > 0 && spliceMeta(text, edits)) || text;
    } catch (err) {
      this.failed(err);
      return null;
    }
  }

  /** A server→client frame. Returns whether it was JSON-RPC. */
  fromServer(channel: Channel, text: string): boolean {
    if (text.length > this.options.maxFrameBytes) return false;
    try {
      const parsed = parseBody(text);
      if (!parsed) return false;
      this.counters.serverMessages += parsed.messages.length;
      for (const m of parsed.messages) {
        this.options.onMessage?.(channel, 'server_to_client', text, m);
        if (m.kind === 'response') {
          if (m.idText === undefined) {
            if (m.error) channel.nullIdError = m;
            continue;
          }
          const op = this.correlator.take(channel.scope, requestKey('client_to_server', m.idText));
          if (op) this.answered(channel, op, m);
        } else if (m.kind === 'request') {
          // Nested under the operation whose stream carries it (e.g. the tool call that asks for sampling).
          const op = this.tracing.startClient(m, channel.conn, onlyOpen(channel) ?? undefined, channel.headerCtx, attribution(channel, this.options.caller ?? NO_RULES));
          this.track(channel, op, 'server_to_client', m);
        } else {
          this.notification(channel, m, 'server_to_client');
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
  accepted(channel: Channel, status: number): void {
    const held = channel.awaiting;
    channel.awaiting = undefined;
    const ok = status < 300;
    if (held && ok) {
      for (const m of held) {
        if (m.kind === 'response') this.clientResponse(channel, m);
        else this.notification(channel, m, 'client_to_server');
      }
    }
    for (const op of channel.notifications) {
      if (status >= 400) op.failed(String(status), `upstream answered HTTP ${status}`);
      else op.delivered();
    }
  }

  /** The upstream issued (or confirmed) a session on this exchange: its requests now wait in the session. */
  session(channel: Channel, scope: Scope): void {
    if (channel.scope === scope) return;
    for (const op of channel.requests) if (op.method === 'initialize') op.setSession(scope.sessionId as string);
    scope.client ??= channel.scope.client; // the session remembers what its initialize named
    this.correlator.rescope(channel.scope, scope);
    channel.scope = scope;
    channel.conn = { ...channel.conn, sessionId: scope.sessionId };
  }

  /**
   * An HTTP response is complete. What it did not answer ends here, unless a session may still
   * deliver it (on the GET stream or a resumed one): that waits from now on, under the expiry. A
   * listen lives no longer than its stream. Server requests in a scope of this exchange alone can
   * never be answered.
   */
  settle(channel: Channel, status: number): void {
    for (const op of channel.requests) {
      if (op.isEnded) continue;
      if (channel.nullIdError) op.answered(channel.nullIdError);
      else if (status >= 400) op.failed(String(status), `upstream answered HTTP ${status}`);
      else if (channel.scope.kind !== 'session' || op.method === LISTEN) op.upstreamGone();
      else this.correlator.mark(channel.scope, op, false);
    }
    if (channel.scope.kind === 'exchange') for (const op of this.correlator.takeScope(channel.scope)) op.upstreamGone();
  }

  /** The exchange failed upstream: every operation it started ends with the error. */
  fail(channel: Channel, code: string, message: string): void {
    for (const op of [...channel.requests, ...channel.notifications]) op.failed(code, message);
    if (channel.scope.kind === 'exchange') for (const op of this.correlator.takeScope(channel.scope)) op.upstreamGone();
  }

  /**
   * The client went away. Without a session that ends what it asked. In a session a disconnect is
   * not a cancel: the answer may come on a resumed stream, or a cancellation may follow.
   */
  clientGone(channel: Channel, mayResume: boolean): void {
    const resume = mayResume && channel.scope.kind === 'session';
    for (const op of channel.requests) {
      if (!resume || op.method === LISTEN) op.clientGone();
      else if (!op.isEnded) this.correlator.mark(channel.scope, op, false);
    }
    if (channel.scope.kind !== 'session') for (const op of this.correlator.takeScope(channel.scope)) op.clientGone();
  }

  /** A connection closed (WebSocket, stdio), or a session ended: nothing in its scope will be answered. */
  close(scope: Scope, why: 'client_gone' | 'upstream_gone' | 'shut_down'): void {
    for (const op of this.correlator.takeScope(scope)) END[why](op);
  }

  /** Shutdown: every pending operation ends, so its span is exported. */
  shutdown(): void {
    for (const op of this.correlator.close()) op.shutDown();
  }

  /** The client's answer to a server→client request. */
  private clientResponse(channel: Channel, m: RpcMessage): void {
    if (m.idText !== undefined) this.correlator.take(channel.scope, requestKey('server_to_client', m.idText))?.answered(m);
  }

  private answered(channel: Channel, op: Operation, m: RpcMessage): void {
    const result = m.result as Record<string, unknown> | undefined;
    if (op.method === 'tools/list' || op.method === 'prompts/list') this.tracing.labels.learn(op.method, result);
    if (op.kind === 'server') this.rounds.answered(channel, op, m);
    // On a connection, the negotiated revision is on every later span, and decides whether `_meta`
    // may be created from now on.
    if (op.method === 'initialize' && channel.scope.kind === 'connection') {
      const version = str(result, 'protocolVersion');
      channel.sessionEra = isSessionEra(version);
      if (version) channel.conn = { ...channel.conn, mcpProtocolVersion: version };
    }
    op.answered(m);
  }

  private track(channel: Channel, op: Operation, dir: Direction, m: RpcMessage): void {
    const keys = [requestKey(dir, m.idText as string)];
    const token = m.params?._meta && (m.params._meta as Record<string, unknown>).progressToken;
    if (typeof token === 'string' || typeof token === 'number') keys.push(progressKey(dir, token));
    // Not expired while a stream holds it open: a listen's, or the exchange's own response on HTTP.
    const lasting = dir === 'client_to_server' && (channel.ownStream || m.method === LISTEN);
    for (const k of keys) this.correlator.put(channel.scope, k, op, lasting);
    // channel.scope, read when it ends: the keys may have moved to a session meanwhile.
    op.whenEnded(() => {
      for (const k of keys) this.correlator.release(channel.scope, k, op);
    });
  }

  /** A notification about an open operation (cancellation, progress, log message, a listen's update), found by what it names. */
  private notification(channel: Channel, m: RpcMessage, dir: Direction): void {
    const p = m.params;
    if (m.method === 'notifications/cancelled') {
      // A cancel names a request its sender sent.
      const id = p?.requestId;
      if (typeof id === 'string' || typeof id === 'number') this.correlator.take(channel.scope, requestKey(dir, idTextOf(id)))?.cancelled(str(p, 'reason'));
      return;
    }
    const op = routeNotification(this.correlator, channel, m, dir);
    if (op === null) this.counters.unroutedNotifications++;
    if (!op) return;
    if (m.method === 'notifications/progress') {
      const attrs: Record<string, number> = {};
      if (typeof p?.progress === 'number') attrs[semconv.ATTR_EVENT_PROGRESS] = p.progress;
      if (typeof p?.total === 'number') attrs[semconv.ATTR_EVENT_PROGRESS_TOTAL] = p.total;
      op.event(semconv.EVENT_PROGRESS, attrs);
    } else if (m.method === 'notifications/message') {
      // Log data may be private: the event records the level only.
      const level = str(p, 'level');
      op.event(semconv.EVENT_LOG_MESSAGE, level ? { [semconv.ATTR_EVENT_LOG_LEVEL]: level } : undefined);
    } else {
      op.event(semconv.EVENT_NOTIFICATION, { [semconv.ATTR_MCP_METHOD_NAME]: m.method as string });
    }
  }

  private failed(err: unknown): void {
    if (this.failures++ === 0) this.log.warn('tracing a message failed; forwarding it unchanged', { error: (err as Error).message });
  }
}

const END: Record<'client_gone' | 'upstream_gone' | 'shut_down', (op: Operation) => void> = {
  client_gone: (op) => op.clientGone(), upstream_gone: (op) => op.upstreamGone(), shut_down: (op) => op.shutDown(),
};
