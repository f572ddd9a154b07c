// Streamable HTTP (and any other HTTP) forwarding with undici. JSON-RPC bodies up to the limit are
// parsed once, traced, and get the trace context spliced in; everything else passes untouched.
import { ROOT_CONTEXT, Context, trace } from '@opentelemetry/api';
import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Config } from '../config';
import { ProxyError, upstreamError } from '../errors';
import { TraceFields, spliceMeta } from '../jsonrpc/inject';
import { JsonRpcId, ParsedBody, RpcMessage, errorBody, parseBody } from '../jsonrpc/parse';
import type { Logger } from '../log';
import type { ProxyCounters } from '../tracing/metrics';
import type { SessionTracker } from './sessions';
import type { ConnInfo } from '../tracing/attributes';
import { extractHeaders, injectHeaders, metaFields, pickMeta } from '../tracing/propagation';
import { Operation, Tracing } from '../tracing/spans';
import { clientHeaders, connInfo, header, isEventStream, isJson, requestPath, upstreamHeaders } from './headers';
import { firstEvent, legacySessionId } from './legacy-sse';
import { SseParser } from './sse';

/** The traced side of one HTTP exchange: the operations its body started, and where to correlate. */
interface Exchange {
  conn: ConnInfo;
  readonly headerCtx: Context;
  /** Correlation scope: the session id, or a scope of this exchange alone. */
  scope: string;
  /** The session id, or '' without one. A legacy GET stream learns it from its endpoint event. */
  sessionScope: string;
  /** Requests: they end when their response arrives. */
  readonly ops: Operation[];
  /** Notifications: they end when the upstream accepts them. */
  readonly notes: Operation[];
  readonly parsed: ParsedBody | null;
  /** The request body as text, decoded once for parsing and splicing. */
  readonly text: string;
}

let exchangeSeq = 0;

/**
 * Aborts an upstream request. undici takes an EventEmitter as a signal; an AbortController per
 * request cost several percent of the proxy's CPU in the benchmark profile.
 */
class Abort extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

/** A GET stream's first event is held at most this long (bytes) looking for a legacy endpoint. */
const FIRST_EVENT_MAX = 64 * 1024;

export class HttpProxy {
  private readonly upstreamHost: string;
  /** Open GET streams: they never end by themselves, so shutdown ends them. */
  private readonly streams = new Map<ServerResponse, Abort>();

  constructor(
    private readonly config: Config,
    private readonly upstream: Dispatcher,
    private readonly tracing: Tracing | null,
    private readonly log: Logger,
    private readonly stats: ProxyCounters,
    private readonly sessions: SessionTracker | null,
  ) {
    this.upstreamHost = config.upstream.host;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.forward(req, res).catch((err: unknown) => {
      this.log.error('unexpected proxy failure', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) sendError(res, new ProxyError('MTP_UPSTREAM_ERROR', 'proxy failure', 502, -32603), null);
      else res.destroy();
    });
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req.url);
    if (path === null) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('mcp-trace-proxy: only origin-form request targets are forwarded\n');
      return;
    }
    const abort = new Abort();
    let ex: Exchange | null = null;
    if (req.method === 'GET') this.streams.set(res, abort);
    res.on('close', () => {
      this.streams.delete(res);
      if (res.writableFinished) return;
      abort.abort();
      if (ex) for (const op of [...ex.ops, ...ex.notes]) op.abandon('client_abort', 'client closed the connection');
    });

    const headers = upstreamHeaders(req, this.upstreamHost, this.config.preserveHost);
    let body: Buffer | Readable | null = hasBody(req) ? req : null;

    if (this.tracing && req.method === 'POST' && body && isJson(req.headers['content-type'])) {
      const read = await readBounded(req, this.config.maxBodyBytes);
      if (read === 'aborted') return;
      if (read.complete) {
        ex = this.startExchange(req, read.buf);
        body = ex ? this.inject(ex, read.buf, headers) : read.buf;
        headers['content-length'] = String(body.length);
      } else {
        this.stats.oversizedBodies++;
        body = read.stream;
      }
    } else if (this.tracing) {
      // GET streams and DELETE carry no operation of their own; their headers pass as sent.
      ex = this.streamExchange(req);
    }

    let up: Dispatcher.ResponseData;
    try {
      up = await this.upstream.request({
        path,
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body,
        signal: abort,
        headersTimeout: this.config.upstreamTimeoutMs,
        bodyTimeout: 0, // SSE streams may be silent for hours; a client abort ends them instead
      });
    } catch (err) {
      if (abort.aborted) return;
      const e = upstreamError(err);
      this.stats.upstreamErrors[e.code] = (this.stats.upstreamErrors[e.code] ?? 0) + 1;
      // The path only: a query string may carry keys or tokens.
      const span = (ex?.ops[0] ?? ex?.notes[0])?.span.spanContext();
      this.log.warn('upstream request failed', {
        code: e.code, method: req.method, path: path.split('?')[0], cause: (err as Error).message, trace_id: span?.traceId, span_id: span?.spanId,
      });
      if (ex) for (const op of [...ex.ops, ...ex.notes]) op.fail(e.code, e.message);
      if (!res.headersSent) sendError(res, e, ex?.parsed ?? null);
      return;
    }

    const contentType = header(up.headers, 'content-type');
    if (ex) this.onResponseHeaders(ex, up, req.method);
    if (ex && isEventStream(contentType)) return this.pipeEvents(ex, up, res, req.method === 'GET' ? publicOrigin(req) : null);
    if (ex && isJson(contentType) && fitsLimit(up.headers, this.config.maxBodyBytes)) return this.relayJson(ex, up, res);
    res.writeHead(up.statusCode, this.responseHeaders(ex, up));
    Readable.prototype.pipe.call(up.body, res);
    up.body.on('error', () => res.destroy());
    up.body.on('end', () => ex && this.settle(ex, up.statusCode, null));
  }

  /** Ends open GET streams cleanly (shutdown): the client sees the stream close and may reconnect elsewhere. */
  closeStreams(): void {
    for (const [res, abort] of this.streams) {
      res.end();
      abort.abort();
    }
    this.streams.clear();
  }

  /** Parses a request body and starts a span per request or notification in it. */
  private startExchange(req: IncomingMessage, buf: Buffer): Exchange | null {
    const tracing = this.tracing as Tracing;
    const text = isUtf8(buf) ? buf.toString('utf8') : null;
    const parsed = text === null ? null : parseBody(text);
    if (!parsed) {
      this.stats.unparsedBodies++;
      return null;
    }
    const ex = this.streamExchange(req, parsed, text as string);
    this.stats.clientMessages += parsed.messages.length;
    if (ex.conn.sessionId) this.sessions?.seen(ex.conn.sessionId);
    for (const m of parsed.messages) {
      if (m.kind === 'response') {
        // The client answering a request the server sent it: ends that CLIENT span.
        if (m.id !== undefined) tracing.answered(ex.sessionScope, m.id, false)?.respond(m);
        continue;
      }
      const op = tracing.startServer(m, ex.conn, ex.headerCtx, ex.scope);
      if (m.kind === 'request') ex.ops.push(op);
      else {
        ex.notes.push(op);
        tracing.noteNotification(m, ex.sessionScope, []);
      }
    }
    return ex;
  }

  private streamExchange(req: IncomingMessage, parsed: ParsedBody | null = null, text = ''): Exchange {
    const tracing = this.tracing as Tracing;
    // Streamable HTTP names the session in a header; the 2024-11-05 transport in the POST URL.
    const sessionId = header(req.headers, 'mcp-session-id') ?? (req.method === 'POST' ? legacySessionId(req.url ?? '') : undefined);
    const conn = connInfo(req, 'http', req.httpVersion, sessionId);
    return {
      conn,
      headerCtx: extractHeaders(tracing.propagator, req.headers),
      scope: sessionId ?? `#${++exchangeSeq}`,
      sessionScope: sessionId ?? '',
      ops: [],
      notes: [],
      parsed,
      text,
    };
  }

  /** Injects each operation's context into `_meta` and the first one's into the headers. */
  private inject(ex: Exchange, buf: Buffer, headers: Record<string, string | string[]>): Buffer {
    const tracing = this.tracing as Tracing;
    const first = ex.ops[0] ?? ex.notes[0];
    if (!first) return buf;
    const carrier: Record<string, string> = {};
    injectHeaders(tracing.propagator, first.context, carrier);
    Object.assign(headers, carrier);
    if (!this.config.injectMeta || !ex.parsed) return buf;
    const fields: (TraceFields | null)[] = [];
    let r = 0;
    let n = 0;
    for (const m of ex.parsed.messages) {
      const op = m.kind === 'request' ? ex.ops[r++] : m.kind === 'notification' ? ex.notes[n++] : null;
      // The first operation's context is already in `carrier`: no second inject for it.
      if (op) fields[m.index] = op === first ? pickMeta(carrier) : metaFields(tracing.propagator, op.context);
    }
    const spliced = spliceMeta(ex.text, fields);
    return spliced === null ? buf : Buffer.from(spliced, 'utf8');
  }

  private onResponseHeaders(ex: Exchange, up: Dispatcher.ResponseData, method: string | undefined): void {
    const session = header(up.headers, 'mcp-session-id');
    if (session) {
      // initialize: the session starts with this response.
      for (const op of ex.ops) if (op.method === 'initialize') op.setSession(session);
      this.sessions?.seen(session);
    }
    if (ex.conn.sessionId && ((method === 'DELETE' && up.statusCode < 300) || up.statusCode === 404)) this.sessions?.ended(ex.conn.sessionId);
    // Notifications are done once the upstream has accepted them.
    for (const op of ex.notes) {
      if (up.statusCode >= 400) op.fail(String(up.statusCode), `upstream answered HTTP ${up.statusCode}`);
      else op.end();
    }
  }

  /**
   * Taps each message of an SSE stream while the bytes pass through as they arrive. On a GET stream
   * (`origin` set) the first event is held until complete: a legacy `endpoint` event names the session
   * and may need its URL rewritten to the proxy.
   */
  private pipeEvents(ex: Exchange, up: Dispatcher.ResponseData, res: ServerResponse, origin: string | null): void {
    res.writeHead(up.statusCode, this.responseHeaders(ex, up));
    res.flushHeaders();
    this.stats.openStreams++;
    res.once('close', () => this.stats.openStreams--);
    const parser = new SseParser((e) => {
      const parsed = parseBody(e.data); // priming events carry empty data: not an error
      if (parsed) for (const m of parsed.messages) this.onServerMessage(ex, m);
    }, this.config.maxBodyBytes);
    let held: Buffer | null = origin ? Buffer.alloc(0) : null;
    up.body.on('data', (data: Buffer) => {
      let chunk = data;
      if (held) {
        held = Buffer.concat([held, data]);
        const first = firstEvent(held, this.config.upstream.origin, origin as string);
        if (!first && held.length < FIRST_EVENT_MAX) return;
        chunk = first ? first.bytes : held;
        held = null;
        if (first?.sessionId) {
          ex.scope = ex.sessionScope = first.sessionId;
          ex.conn = { ...ex.conn, sessionId: first.sessionId };
          this.sessions?.seen(first.sessionId);
          res.once('close', () => this.sessions?.ended(first.sessionId as string)); // a legacy session lives as long as its stream
        }
      }
      if (!res.write(chunk)) {
        up.body.pause();
        res.once('drain', () => up.body.resume());
      }
      parser.push(chunk);
    });
    up.body.on('end', () => {
      if (held?.length) res.write(held);
      parser.end();
      res.end();
      this.settle(ex, up.statusCode, null);
    });
    up.body.on('error', (err) => {
      if (res.destroyed || res.writableEnded) return;
      const e = upstreamError(err);
      for (const op of ex.ops) op.fail(e.code, `${e.message} during the event stream`);
      res.destroy();
    });
  }

  /** A JSON response within the body limit: read whole (so a reset mid-body can still get a clean 502), traced, relayed. */
  private relayJson(ex: Exchange, up: Dispatcher.ResponseData, res: ServerResponse): void {
    let chunks: Buffer[] | null = [];
    let size = 0;
    up.body.on('data', (c: Buffer) => {
      if (!chunks) {
        if (!res.write(c)) {
          up.body.pause();
          res.once('drain', () => up.body.resume());
        }
        return;
      }
      chunks.push(c);
      size += c.length;
      if (size > this.config.maxBodyBytes) {
        // A chunked body past the limit: stop holding it, relay the rest as it comes, untraced.
        res.writeHead(up.statusCode, this.responseHeaders(ex, up));
        for (const held of chunks) res.write(held);
        chunks = null;
        this.stats.oversizedBodies++;
      }
    });
    up.body.on('error', (err) => {
      if (res.destroyed) return;
      const e = upstreamError(err);
      this.stats.upstreamErrors[e.code] = (this.stats.upstreamErrors[e.code] ?? 0) + 1;
      for (const op of ex.ops) op.fail(e.code, `${e.message} during the response body`);
      if (chunks) sendError(res, e, ex.parsed);
      else res.destroy();
    });
    up.body.on('end', () => {
      if (!chunks) {
        res.end();
        return this.settle(ex, up.statusCode, null);
      }
      const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      res.writeHead(up.statusCode, this.responseHeaders(ex, up));
      res.end(buf);
      this.settle(ex, up.statusCode, parseBody(buf.toString('utf8')));
    });
  }

  /** A message the server sent: a response ends its span, a request starts a CLIENT span, a notification becomes an event. */
  private onServerMessage(ex: Exchange, m: RpcMessage): void {
    const tracing = this.tracing as Tracing;
    this.stats.serverMessages++;
    if (m.kind === 'response') {
      if (m.id !== undefined) tracing.answered(ex.scope, m.id, true)?.respond(m);
      return;
    }
    const open = ex.ops.filter((op) => !op.isEnded);
    if (m.kind === 'request') {
      // Nested under the operation whose stream carries it (e.g. the tool call that asks for sampling).
      const parent = open.length === 1 ? open[0].context : ex.headerCtx;
      tracing.startClient(m, ex.conn, trace.getSpan(parent) ? parent : ROOT_CONTEXT, ex.sessionScope);
      return;
    }
    tracing.noteNotification(m, ex.scope, open);
  }

  /** The upstream's headers, less hop-by-hop ones, plus `traceresponse` when asked for (W3C Trace Context Level 2). */
  private responseHeaders(ex: Exchange | null, up: Dispatcher.ResponseData) {
    const h = clientHeaders(up.headers);
    const op = ex?.ops[0] ?? ex?.notes[0];
    if (this.config.traceResponse && op) {
      const c = op.span.spanContext();
      h.traceresponse = `00-${c.traceId}-${c.spanId}-${c.traceFlags.toString(16).padStart(2, '0')}`;
    }
    return h;
  }

  /** The response is complete: what it did not answer either waits (a session may deliver it on another stream) or ends. */
  private settle(ex: Exchange, status: number, parsed: ParsedBody | null): void {
    let nullIdError: RpcMessage | undefined;
    if (parsed) {
      for (const m of parsed.messages) {
        if (m.kind === 'response' && m.id === undefined && m.error) nullIdError = m;
        else this.onServerMessage(ex, m);
      }
    }
    for (const op of ex.ops) {
      if (op.isEnded) continue;
      if (nullIdError) op.respond(nullIdError);
      else if (status >= 400) op.fail(String(status), `upstream answered HTTP ${status}`);
      else if (!ex.conn.sessionId) op.abandon('no_response');
      // else: pending under the session until its response arrives or it expires
    }
  }
}


/** The proxy's origin as the client reached it, for rewriting a legacy endpoint URL. */
function publicOrigin(req: IncomingMessage): string {
  const proto = header(req.headers, 'x-forwarded-proto') ?? ('encrypted' in req.socket ? 'https' : 'http');
  return `${proto}://${header(req.headers, 'host') ?? `${req.socket.localAddress}:${req.socket.localPort}`}`;
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function fitsLimit(headers: Record<string, string | string[] | undefined>, max: number): boolean {
  const len = header(headers, 'content-length');
  return len === undefined || Number(len) <= max;
}

type BoundedRead = { complete: true; buf: Buffer } | { complete: false; stream: Readable } | 'aborted';

/** Reads a request body up to `max` bytes; past that, a stream that replays what was read and then the rest. */
function readBounded(req: IncomingMessage, max: number): Promise<BoundedRead> {
  const declared = Number(req.headers['content-length']);
  if (declared > max) return Promise.resolve({ complete: false, stream: req });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      chunks.push(c);
      if (size > max) {
        cleanup();
        req.pause();
        resolve({ complete: false, stream: Readable.from(replay(chunks, req)) });
      }
    };
    const onEnd = () => {
      cleanup();
      resolve({ complete: true, buf: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) });
    };
    const onAbort = () => {
      cleanup();
      resolve('aborted');
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('aborted', onAbort);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('aborted', onAbort);
  });
}

async function* replay(head: Buffer[], rest: IncomingMessage): AsyncGenerator<Buffer> {
  yield* head;
  for await (const c of rest) yield c as Buffer;
}


/** A gateway error: the status from the error table, and a JSON-RPC error carrying the request ids. */
function sendError(res: ServerResponse, e: ProxyError, parsed: ParsedBody | null): void {
  const ids: (JsonRpcId | null)[] = parsed ? parsed.messages.filter((m) => m.kind === 'request').map((m) => m.id as JsonRpcId) : [];
  const body = errorBody(ids, parsed?.batch === true && ids.length > 0, e.rpcCode, `mcp-trace-proxy: ${e.message}`, { code: e.code });
  res.writeHead(e.httpStatus, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
