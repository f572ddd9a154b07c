// The HTTP adapter (Streamable HTTP, legacy HTTP+SSE, plain HTTP): an exchange in stages. Read the
// request (request.ts), show its body to the tap, forward it (forward.ts), relay the response and
// show the tap a copy of its frames (relay.ts, pipeline/body.ts). It frames bytes and maps
// failures; tracing decisions are the tap's.
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Config } from '../config';
import { ProxyError, upstreamError } from '../errors';
import { errorBody } from '../jsonrpc/parse';
import type { Logger } from '../log';
import { BodyFrames } from '../pipeline/body';
import { decodeWhole, encodingOf } from '../pipeline/decode';
import { Scope } from '../pipeline/scope';
import type { SessionRegistry } from '../pipeline/sessions';
import { Channel, Tap, isSessionEra } from '../pipeline/tap';
import type { ProxyCounters } from '../tracing/metrics';
import { extractHeaders } from '../tracing/propagation';
import { clientHeaders, connInfo, header, isEventStream, isJson, requestPath, upstreamHeaders } from './headers';
import { Abort, forward } from './http/forward';
import { relay } from './http/relay';
import { hasBody, readBounded } from './http/request';
import { legacySessionId } from './legacy-sse';

export class HttpProxy {
  /** Open GET streams: they never end by themselves, so shutdown ends them. */
  private readonly streams = new Map<ServerResponse, Abort>();

  constructor(
    private readonly config: Config,
    private readonly upstream: Dispatcher,
    private readonly tap: Tap | null,
    private readonly sessions: SessionRegistry | null,
    private readonly log: Logger,
    private readonly stats: ProxyCounters,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.exchange(req, res).catch((err: unknown) => {
      this.log.error('unexpected proxy failure', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) sendError(res, new ProxyError('MTP_UPSTREAM_ERROR', 'proxy failure', 502, -32603), null);
      else res.destroy();
    });
  }

  /** Ends open GET streams (shutdown); one still waiting for the upstream gets a 503, not an empty 200. */
  closeStreams(): void {
    for (const [res, abort] of this.streams) {
      if (res.headersSent) res.end();
      else sendError(res, new ProxyError('MTP_SHUTTING_DOWN', 'the proxy is shutting down', 503, -32000), null);
      abort.abort();
    }
    this.streams.clear();
  }

  private async exchange(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req.url);
    if (path === null) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('mcp-trace-proxy: only origin-form request targets are forwarded\n');
      return;
    }
    const abort = new Abort();
    if (req.method === 'GET') this.streams.set(res, abort);
    const tap = this.tap;
    const ch = tap ? this.channel(req, tap) : null;
    let jsonResponse = false; // an answer that cannot be resumed elsewhere once the client leaves
    res.on('close', () => {
      this.streams.delete(res);
      if (res.writableFinished) return;
      abort.abort();
      if (ch) tap!.clientGone(ch, !jsonResponse);
    });

    const headers = upstreamHeaders(req, this.config.upstream.host, this.config.preserveHost);
    let body: Buffer | Readable | null = hasBody(req) ? req : null;
    if (ch && req.method === 'POST' && body && isJson(req.headers['content-type'])) {
      const read = await readBounded(req, this.config.maxBodyBytes);
      if (read === 'aborted') return;
      if (read.complete) {
        body = this.tapRequest(ch, read.buf, header(req.headers, 'content-encoding'));
        headers['content-length'] = String(body.length);
      } else {
        this.stats.oversizedBodies++;
        body = read.stream;
      }
    }
    // Last, so nothing after it can change the propagation headers: the first operation's fields,
    // injected once by the tap (for its _meta too), replace what the client sent under those names.
    if (ch?.carrier) Object.assign(headers, ch.carrier);

    const sent = await forward(this.upstream, { path, method: req.method as string, headers, body, signal: abort, headersTimeoutMs: this.config.upstreamTimeoutMs });
    if (!sent.ok) {
      if (sent.aborted) return;
      this.failed(sent.error, req.method, path, ch);
      if (!res.headersSent) sendError(res, sent.error, ch);
      return;
    }
    const up = sent.res;
    const contentType = header(up.headers, 'content-type');
    const eventStream = isEventStream(contentType);
    jsonResponse = !eventStream;
    if (ch) this.onResponseHeaders(ch, up, req);
    const enc = encodingOf(header(up.headers, 'content-encoding'));
    const frames = ch && enc && (eventStream || isJson(contentType))
      ? new BodyFrames(eventStream ? 'sse' : 'json', enc, this.config.maxBodyBytes, (text) => tap!.fromServer(ch, text), (oversized) => {
        if (oversized) this.stats.oversizedBodies++;
        tap!.settle(ch, up.statusCode);
      })
      : null;
    relay(up.body, res, {
      status: up.statusCode,
      headers: this.responseHeaders(ch, up),
      eventStream,
      // A stage of its own, tracing or not: a legacy endpoint must lead back through the proxy.
      endpoint: req.method === 'GET' && eventStream && enc === 'identity' ? {
        upstreamOrigin: this.config.upstream.origin,
        publicOrigin: publicOrigin(req),
        onSession: (id) => this.legacySession(ch, id, res),
      } : null,
      onChunk: frames ? (c) => frames.push(c) : () => {},
      onEnd: () => (frames ? frames.end() : ch && tap!.settle(ch, up.statusCode)),
      onError: (err, headersSent) => {
        frames?.destroy();
        const e = this.failed(err, req.method, path, ch, ' during the response body');
        if (!headersSent) sendError(res, e, ch);
      },
    });
    if (eventStream) {
      this.stats.openStreams++;
      res.once('close', () => this.stats.openStreams--);
    }
  }

  /** The channel of an exchange: the session's scope when the upstream issued it, else the exchange's own. */
  private channel(req: IncomingMessage, tap: Tap): Channel {
    const sid = header(req.headers, 'mcp-session-id');
    const legacy = sid === undefined && req.method === 'POST' ? legacySessionId(req.url ?? '') : undefined;
    const scope = (sid !== undefined && this.sessions?.lookup('http', sid))
      || (legacy !== undefined && this.sessions?.lookup('legacy-sse', legacy))
      || Scope.exchange(legacy !== undefined ? 'legacy-sse' : 'http');
    // Session-era: a created `_meta` cannot turn the request into a 2026-07-28 stateless one.
    const era = sid !== undefined || legacy !== undefined || isSessionEra(header(req.headers, 'mcp-protocol-version'));
    return tap.channel(scope, connInfo(req, 'http', req.httpVersion, sid ?? legacy), extractHeaders(tap.tracing.propagator, req.headers), era, req.headers);
  }

  /** A JSON request body read whole: traced, and spliced when it is plain text. Compressed bodies go as sent. */
  private tapRequest(ch: Channel, buf: Buffer, contentEncoding: string | undefined): Buffer {
    const enc = encodingOf(contentEncoding);
    const decoded = enc && decodeWhole(buf, enc, this.config.maxBodyBytes);
    const text = decoded && isUtf8(decoded) ? decoded.toString('utf8') : null;
    const out = text === null ? null : this.tap!.fromClient(ch, text, enc === 'identity');
    if (out === null) this.stats.unparsedBodies++;
    return out === null || out === text ? buf : Buffer.from(out, 'utf8');
  }

  private onResponseHeaders(ch: Channel, up: Dispatcher.ResponseData, req: IncomingMessage): void {
    const issued = header(up.headers, 'mcp-session-id');
    const sent = header(req.headers, 'mcp-session-id');
    // A session id is the upstream's when it sends it (initialize) or accepts it (a session from before a proxy restart).
    const confirmed = issued ?? (sent !== undefined && up.statusCode < 300 ? sent : undefined);
    const scope = confirmed !== undefined ? this.sessions?.issued('http', confirmed) : undefined;
    if (scope) this.tap!.session(ch, scope);
    if (sent !== undefined && ((req.method === 'DELETE' && up.statusCode < 300) || up.statusCode === 404)) this.sessions?.ended('http', sent);
    this.tap!.accepted(ch, up.statusCode);
  }

  /** A legacy GET stream named its session: the POSTs that name it correlate here, for as long as the stream lives. */
  private legacySession(ch: Channel | null, id: string, res: ServerResponse): void {
    const scope = this.sessions?.issued('legacy-sse', id);
    if (!ch || !scope) return;
    this.tap!.session(ch, scope);
    res.once('close', () => this.sessions?.ended('legacy-sse', id));
  }

  private failed(err: Error | ProxyError, method: string | undefined, path: string, ch: Channel | null, during = ''): ProxyError {
    const e = err instanceof ProxyError ? err : upstreamError(err);
    this.stats.upstreamErrors[e.code] = (this.stats.upstreamErrors[e.code] ?? 0) + 1;
    const span = ch?.first?.span.spanContext();
    // The path only: a query string may carry keys or tokens.
    this.log.warn(`upstream request failed${during}`, {
      code: e.code, method, path: path.split('?')[0], cause: ((e.cause as Error | undefined) ?? e).message, trace_id: span?.traceId, span_id: span?.spanId,
    });
    if (ch) this.tap!.fail(ch, e.code, `${e.message}${during}`);
    return e;
  }

  /** The upstream's headers, less hop-by-hop ones, plus `traceresponse` when asked for (W3C Trace Context Level 2). */
  private responseHeaders(ch: Channel | null, up: Dispatcher.ResponseData) {
    const h = clientHeaders(up.headers);
    if (this.config.traceResponse && ch?.first) {
      const c = ch.first.span.spanContext();
      h.traceresponse = `00-${c.traceId}-${c.spanId}-${c.traceFlags.toString(16).padStart(2, '0')}`;
    }
    return h;
  }
}

/** The proxy's origin as the client reached it, for rewriting a legacy endpoint URL. */
function publicOrigin(req: IncomingMessage): string {
  const proto = header(req.headers, 'x-forwarded-proto') ?? ('encrypted' in req.socket ? 'https' : 'http');
  return `${proto}://${header(req.headers, 'host') ?? `${req.socket.localAddress}:${req.socket.localPort}`}`;
}

/** A gateway error: the status from the error table, and a JSON-RPC error carrying the request ids. */
function sendError(res: ServerResponse, e: ProxyError, ch: Channel | null): void {
  const ids = ch?.requestIds ?? [];
  const body = errorBody(ids, ch?.batch === true && ids.length > 0, e.rpcCode, `mcp-trace-proxy: ${e.message}`, { code: e.code });
  res.writeHead(e.httpStatus, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
