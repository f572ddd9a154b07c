// The HTTP adapter (Streamable HTTP, legacy HTTP+SSE, plain HTTP): an exchange in stages. Read the
// request (request.ts), show its body to the tap, forward it (forward.ts), relay the response and
// show the tap a copy of its frames (relay.ts, pipeline/body.ts). It frames bytes and maps
// failures; tracing decisions are the tap's.
import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ProxyError } from '../../errors';
import { errorBody } from '../../jsonrpc/parse';
import type { Logger } from '../../log';
import { BodyFrames } from '../../pipeline/body';
import { decodeWhole, encodingOf } from '../../pipeline/decode';
import { Scope } from '../../pipeline/scope';
import type { SessionRegistry } from '../../pipeline/sessions';
import { Channel, Tap, isSessionEra } from '../../pipeline/tap';
import type { ProxyCounters } from '../../tracing/metrics';
import { extractHeaders } from '../../tracing/propagation';
import { acceptsTrailers, clientHeaders, connInfo, header, isEventStream, isJson, requestPath, upstreamHeaders } from '../headers';
import type { Pausable } from '../flow';
import { Forward, Sink, forward } from './forward';
import { Relay } from './relay';
import { BoundedRead, hasBody, readBounded } from './request';
import { legacySessionId } from '../legacy-sse';

/** What the HTTP adapter needs to know, from the composition root. */
export interface HttpOptions {
  readonly upstream: URL;
  /** Send the client's Host upstream instead of the upstream's own. */
  readonly preserveHost: boolean;
  /** Bodies up to this size are read whole for the tap; larger ones pass untouched. */
  readonly maxBodyBytes: number;
  readonly upstreamTimeoutMs: number;
  /** Add a W3C `traceresponse` header naming the operation's trace. */
  readonly traceResponse: boolean;
}

export class HttpProxy {
  /** Open GET streams: they never end by themselves, so shutdown ends them. */
  private readonly streams = new Set<Exchange>();

  constructor(
    readonly config: HttpOptions,
    readonly upstream: Dispatcher,
    readonly tap: Tap | null,
    readonly sessions: SessionRegistry | null,
    readonly log: Logger,
    readonly stats: ProxyCounters,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const path = requestPath(req.url);
    if (path === null) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('mcp-trace-proxy: only origin-form request targets are forwarded\n');
      return;
    }
    const ex = new Exchange(this, req, res, path, this.tap ? this.channel(req, this.tap) : null);
    if (req.method === 'GET') {
      this.streams.add(ex);
      res.once('close', () => this.streams.delete(ex));
    }
    try {
      ex.start();
    } catch (err) {
      ex.unexpected(err);
    }
  }

  /** Ends open GET streams (shutdown); one still waiting for the upstream gets a 503, not an empty 200. */
  closeStreams(): void {
    for (const ex of this.streams) ex.shutdown();
    this.streams.clear();
  }

  /** The channel of an exchange: the session's scope when the upstream issued it, else the exchange's own. */
  private channel(req: IncomingMessage, tap: Tap): Channel {
    const sid = header(req.headers, 'mcp-session-id');
    const legacy = sid === undefined && req.method === 'POST' ? legacySessionId(req.url ?? '') : undefined;
    // Streamable HTTP: the request joins the session it names once the upstream accepts it (tap.session).
    // Legacy SSE: at once, since its answer may come on the GET stream before the POST's 202; there the
    // session id in the URL is all the upstream itself checks, so waiting would protect nobody.
    const claimed = sid !== undefined ? this.sessions?.lookup('http', sid) : undefined;
    const scope = (legacy !== undefined && this.sessions?.lookup('legacy-sse', legacy)) || Scope.exchange(legacy !== undefined ? 'legacy-sse' : 'http');
    // Session-era: a created `_meta` cannot turn the request into a 2026-07-28 stateless one.
    const sessionEra = sid !== undefined || legacy !== undefined || isSessionEra(header(req.headers, 'mcp-protocol-version'));
    const conn = connInfo(req, 'http', req.httpVersion, sid ?? legacy);
    return tap.channel(scope, conn, extractHeaders(tap.tracing.propagator, req.headers), sessionEra, req.headers, claimed);
  }

  /** A JSON request body read whole: traced, and spliced when it is plain text. Compressed bodies go as sent. */
  tapRequest(channel: Channel, buf: Buffer, contentEncoding: string | undefined): Buffer {
    const enc = encodingOf(contentEncoding);
    const decoded = enc && decodeWhole(buf, enc, this.config.maxBodyBytes);
    const text = decoded && isUtf8(decoded) ? decoded.toString('utf8') : null;
    const out = text === null ? null : this.tap!.fromClient(channel, text, enc === 'identity');
    if (out === null) this.stats.unparsedBodies++;
    return out === null || out === text ? buf : Buffer.from(out, 'utf8');
  }

  onResponseHeaders(channel: Channel, status: number, headers: IncomingHttpHeaders, req: IncomingMessage): void {
    const issued = header(headers, 'mcp-session-id');
    const sent = header(req.headers, 'mcp-session-id');
    // A session id is the upstream's when it sends it (initialize) or accepts it (a session from before a proxy restart).
    const confirmed = issued ?? (sent !== undefined && status < 300 ? sent : undefined);
    const scope = confirmed !== undefined ? this.sessions?.issued('http', confirmed) : undefined;
    if (scope) this.tap!.session(channel, scope);
    // Only a DELETE the upstream accepted ends a session here (else its idle timeout does): a 404
    // may answer a wrong path or a forged id, and must not end another client's session tracking.
    if (sent !== undefined && req.method === 'DELETE' && status < 300) this.sessions?.ended('http', sent);
    this.tap!.accepted(channel, status);
  }

  /** A legacy GET stream named its session: the POSTs that name it correlate here, for as long as the stream lives. */
  legacySession(channel: Channel | null, id: string, res: ServerResponse): void {
    const scope = this.sessions?.issued('legacy-sse', id);
    if (!channel || !scope) return;
    this.tap!.session(channel, scope);
    res.once('close', () => this.sessions?.ended('legacy-sse', id));
  }

  failed(e: ProxyError, method: string | undefined, path: string, channel: Channel | null, during = ''): void {
    this.stats.upstreamErrors[e.code] = (this.stats.upstreamErrors[e.code] ?? 0) + 1;
    const span = channel?.first?.span.spanContext();
    // The path only: a query string may carry keys or tokens.
    this.log.warn(`upstream request failed${during}`, {
      code: e.code, method, path: path.split('?')[0], cause: ((e.cause as Error | undefined) ?? e).message, trace_id: span?.traceId, span_id: span?.spanId,
    });
    if (channel) this.tap!.fail(channel, e.code, `${e.message}${during}`);
  }

  /** The upstream's headers, less hop-by-hop ones, plus `traceresponse` when asked for (W3C Trace Context Level 2). */
  responseHeaders(channel: Channel | null, headers: IncomingHttpHeaders) {
    const h = clientHeaders(headers);
    if (this.config.traceResponse && channel?.first) {
      const c = channel.first.span.spanContext();
      h.traceresponse = `00-${c.traceId}-${c.spanId}-${c.traceFlags.toString(16).padStart(2, '0')}`;
    }
    return h;
  }
}

/**
 * One request and its response: the upstream request's sink. One object holds the exchange's state,
 * rather than a closure per stage, because this runs for every request (measured in bench/: see docs/ARCHITECTURE.md, "Cost").
 */
class Exchange implements Sink {
  private readonly fwd = new Forward(this);
  private relay: Relay | null = null;
  private frames: BodyFrames | null = null;
  private status = 0;
  /** An answer that cannot be resumed elsewhere once the client leaves. */
  private jsonResponse = false;

  constructor(
    private readonly proxy: HttpProxy,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly path: string,
    private readonly channel: Channel | null,
  ) {
    res.once('close', () => this.closed());
  }

  start(): void {
    const { req, channel, proxy } = this;
    const headers = upstreamHeaders(req, proxy.config.upstream.host, proxy.config.preserveHost);
    const body: Readable | null = hasBody(req) ? req : null;
    if (channel && req.method === 'POST' && body && isJson(req.headers['content-type'])) {
      readBounded(req, proxy.config.maxBodyBytes, (read) => {
        try {
          this.read(headers, read);
        } catch (err) {
          this.unexpected(err);
        }
      });
    } else {
      this.send(headers, body);
    }
  }

  /** A JSON body read for the tap: whole (traced, maybe spliced) or, past the limit, streamed as is. */
  private read(headers: Record<string, string | string[]>, read: BoundedRead): void {
    if (read === 'aborted') return;
    if (!read.complete) {
      this.proxy.stats.oversizedBodies++;
      return this.send(headers, read.stream);
    }
    const body = this.proxy.tapRequest(this.channel!, read.buf, header(this.req.headers, 'content-encoding'));
    headers['content-length'] = String(body.length);
    this.send(headers, body);
  }

  /** Shutdown: an open stream ends; one still waiting for its headers gets a 503. */
  shutdown(): void {
    if (this.res.headersSent) this.res.end();
    else sendError(this.res, new ProxyError('MTP_SHUTTING_DOWN', 'the proxy is shutting down', 503, -32000), null);
    this.fwd.abort();
  }

  private send(headers: Record<string, string | string[]>, body: Buffer | Readable | null): void {
    const { channel, proxy } = this;
    // Last, so nothing after it can change the propagation headers: the first operation's fields,
    // injected once by the tap (for its _meta too), replace what the client sent under those names.
    if (channel?.carrier) Object.assign(headers, channel.carrier);
    forward(proxy.upstream, { path: this.path, method: this.req.method as string, headers, body, headersTimeoutMs: proxy.config.upstreamTimeoutMs }, this.fwd);
  }

  onStart(status: number, headers: IncomingHttpHeaders, flow: Pausable): void {
    const { req, channel, proxy } = this;
    const tap = proxy.tap;
    const contentType = header(headers, 'content-type');
    const eventStream = isEventStream(contentType);
    this.status = status;
    this.jsonResponse = !eventStream;
    if (channel) proxy.onResponseHeaders(channel, status, headers, req);
    const enc = encodingOf(header(headers, 'content-encoding'));
    if (channel && enc && (eventStream || isJson(contentType))) {
      this.frames = new BodyFrames(eventStream ? 'sse' : 'json', enc, proxy.config.maxBodyBytes, (text) => tap!.fromServer(channel, text), (oversized) => {
        if (oversized) proxy.stats.oversizedBodies++;
        tap!.settle(channel, status);
      });
    }
    this.relay = new Relay(this.res, {
      status,
      headers: proxy.responseHeaders(channel, headers),
      eventStream,
      // A stage of its own, tracing or not: a legacy endpoint must lead back through the proxy.
      endpoint: req.method === 'GET' && eventStream && enc === 'identity' ? {
        upstreamOrigin: proxy.config.upstream.origin,
        publicOrigin: publicOrigin(req),
        onSession: (id) => proxy.legacySession(channel, id, this.res),
      } : null,
      trailers: acceptsTrailers(req.headers) ? { announced: header(headers, 'trailer') } : null,
    }, flow);
    if (eventStream) {
      proxy.stats.openStreams++;
      this.res.once('close', () => proxy.stats.openStreams--);
    }
  }

  onData(chunk: Buffer): void {
    const out = this.relay!.push(chunk);
    if (out && this.frames) this.frames.push(out);
  }

  onEnd(trailers: IncomingHttpHeaders): void {
    const rest = this.relay!.end(trailers);
    if (this.frames) {
      if (rest) this.frames.push(rest);
      this.frames.end();
    } else if (this.channel) this.proxy.tap!.settle(this.channel, this.status);
  }

  onFail(e: ProxyError, started: boolean, aborted: boolean): void {
    const { res } = this;
    if (aborted || res.destroyed || res.writableEnded) return;
    this.frames?.destroy();
    this.proxy.failed(e, this.req.method, this.path, this.channel, started ? ' during the response body' : '');
    // A JSON body's headers wait for its first byte, so a reset before it is still a clean gateway error.
    if (!this.relay?.started) sendError(res, e, this.channel);
    else res.destroy();
  }

  private closed(): void {
    if (this.res.writableFinished) return;
    this.fwd.abort();
    if (this.channel) this.proxy.tap!.clientGone(this.channel, !this.jsonResponse);
  }

  /** Our own code threw: the client still gets an answer, and the upstream request is given up. */
  unexpected(err: unknown): void {
    this.fwd.abort();
    this.proxy.log.error('unexpected proxy failure', { error: err instanceof Error ? err.message : String(err) });
    if (!this.res.headersSent) sendError(this.res, new ProxyError('MTP_UPSTREAM_ERROR', 'proxy failure', 502, -32603), null);
    else this.res.destroy();
  }
}

/** The proxy's origin as the client reached it, for rewriting a legacy endpoint URL. */
function publicOrigin(req: IncomingMessage): string {
  const proto = header(req.headers, 'x-forwarded-proto') ?? ('encrypted' in req.socket ? 'https' : 'http');
  return `${proto}://${header(req.headers, 'host') ?? `${req.socket.localAddress}:${req.socket.localPort}`}`;
}

/** A gateway error: the status from the error table, and a JSON-RPC error carrying the request ids. */
export function sendError(res: ServerResponse, e: ProxyError, channel: Channel | null): void {
  const ids = channel?.requestIds ?? [];
  const body = errorBody(ids, channel?.batch === true && ids.length > 0, e.rpcCode, `mcp-trace-proxy: ${e.message}`, { code: e.code });
  res.writeHead(e.httpStatus, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
