// WebSocket bridge. The upstream is connected first and the client accepted only then, so a dead
// upstream is a clean HTTP 502 rather than an accepted socket that closes at once. After that,
// messages, pings and close codes are mirrored; text frames pass through the tap, one connection
// being one correlation scope.
import { IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { RawData, WebSocketServer } from 'ws';
import { ProxyError, upstreamError } from '../errors';
import type { Logger } from '../log';
import { Scope } from '../pipeline/scope';
import { Channel, Tap, isSessionEra } from '../pipeline/tap';
import type { ProxyCounters } from '../tracing/metrics';
import { extractHeaders } from '../tracing/propagation';
import { clientHeaders, connInfo, header, requestPath, upstreamHeaders } from './headers';

/** Above this many unsent bytes toward one peer, stop reading from the other. */
const HIGH_WATER = 1 << 20;
/** Handshake headers the upstream connection makes itself (its own key, version, extensions and subprotocols). */
const OWN_HANDSHAKE = /^sec-websocket-(?:key|version|extensions|protocol)$/;
const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

let wsModule: typeof import('ws') | null = null;
const ws = (): typeof import('ws') => (wsModule ??= require('ws') as typeof import('ws'));

/** What the WebSocket bridge needs to know, from the composition root. */
export interface WebSocketOptions {
  readonly upstream: URL;
  readonly preserveHost: boolean;
  /** Text frames up to this size pass through the tap; larger ones are only relayed. */
  readonly maxBodyBytes: number;
  /** For the upstream's handshake. */
  readonly upstreamTimeoutMs: number;
}

interface Bridge { readonly client: WebSocket; readonly upstream: WebSocket; readonly channel: Channel | null; done: boolean }

export class WebSocketBridge {
  private readonly origin: URL;
  private server: WebSocketServer | null = null;
  /** The upstream's 101 for each client handshake in progress: its subprotocol and headers are the client's. */
  private readonly accepted = new WeakMap<IncomingMessage, { protocol: string; headers: string[] }>();
  private readonly bridges = new Set<Bridge>();
  /** Upstream handshakes in flight, each with a way to abort it. */
  private readonly connecting = new Set<() => void>();
  private closed = false;

  constructor(
    readonly config: WebSocketOptions,
    readonly tap: Tap | null,
    readonly log: Logger,
    private readonly stats: ProxyCounters,
  ) {
    this.origin = new URL(`${config.upstream.protocol === 'https:' ? 'wss:' : 'ws:'}//${config.upstream.host}`);
  }

  /** Made at the first upgrade: most deployments never see one, and `ws` costs idle memory. */
  private get wss(): WebSocketServer {
    if (this.server) return this.server;
    // autoPong off on both sides: pings are forwarded and the far peer's own pong comes back.
    const server = new (ws().WebSocketServer)({
      noServer: true, perMessageDeflate: false, clientTracking: false, autoPong: false,
      handleProtocols: (_offered, req) => this.accepted.get(req)?.protocol || false,
    });
    server.on('headers', (lines, req) => lines.push(...(this.accepted.get(req)?.headers ?? [])));
    return (this.server = server);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed) return refuse(socket, 503, 'mcp-trace-proxy: shutting down');
    const path = requestPath(req.url);
    // Checked before the upstream is dialled, so a malformed request costs no upstream connection.
    if (path === null || !isWebSocketHandshake(req)) return refuse(socket, 400, 'mcp-trace-proxy: expected a WebSocket handshake with an origin-form target');
    let upstream: WebSocket;
    const bare = path.split('?')[0]; // for logs: a query string may carry keys or tokens
    try {
      upstream = new (ws())(upstreamUrl(this.origin, path), protocolsOf(req), {
        headers: this.forwardedHeaders(req), perMessageDeflate: false, autoPong: false, followRedirects: false,
      });
    } catch {
      return refuse(socket, 400, 'mcp-trace-proxy: invalid Sec-WebSocket-Protocol');
    }

    let settled = false;
    const settle = () => {
      const first = !settled;
      settled = true;
      clearTimeout(timer);
      this.connecting.delete(abort);
      return first;
    };
    const fail = (e: ProxyError, quiet = false) => {
      if (!settle()) return;
      if (!quiet) this.log.warn('websocket upstream handshake failed', { code: e.code, path: bare, cause: (e.cause as Error | undefined)?.message ?? e.message });
      refuse(socket, e.httpStatus, `mcp-trace-proxy: ${e.message}`);
      upstream.terminate();
    };
    const abort = () => fail(new ProxyError('MTP_UPSTREAM_ERROR', 'shutting down', 503, -32000), true);
    // Our own timer rather than ws's handshakeTimeout, whose error carries no code to tell it apart.
    const timer = setTimeout(() => fail(new ProxyError('MTP_UPSTREAM_TIMEOUT', 'upstream did not complete the WebSocket handshake in time', 504, -32001)), this.config.upstreamTimeoutMs);
    this.connecting.add(abort);
    // Until the client is accepted, the raw socket is ours: its loss (or a refusal) ends the upstream attempt.
    const onGone = () => void (settle(), upstream.terminate());
    const onError = () => socket.destroy();
    socket.on('close', onGone);
    socket.on('error', onError);

    upstream.on('error', (err) => fail(upstreamError(err)));
    upstream.on('unexpected-response', (_ureq, res) => {
      if (!settle()) return;
      // The upstream answered in HTTP (401, 403 from an Origin check, 404…): that answer is the client's.
      this.log.warn('websocket upgrade refused by the upstream', { code: 'MTP_UPSTREAM_ERROR', status: res.statusCode, path: bare });
      relayResponse(socket, res, this.config.upstreamTimeoutMs);
    });
    let upgraded: IncomingMessage | undefined;
    upstream.once('upgrade', (res) => void (upgraded = res));
    upstream.once('open', () => {
      if (!settle()) return;
      // The client gets the subprotocol the upstream chose and the upstream's other 101 headers (e.g. Set-Cookie).
      this.accepted.set(req, { protocol: upstream.protocol, headers: upgraded ? headerLines(upgraded, (k) => !k.startsWith('sec-websocket-')) : [] });
      this.wss.handleUpgrade(req, socket, head, (client) => {
        socket.off('close', onGone);
        socket.off('error', onError);
        this.bridge(req, client, upstream);
      });
    });
  }

  /** Shutdown: every bridge ends with 1001 on both sides, handshakes in flight get 503, new ones too. */
  close(): void {
    this.closed = true;
    for (const abort of [...this.connecting]) abort();
    for (const b of [...this.bridges]) {
      this.finish(b, 'shut_down');
      for (const ws of [b.client, b.upstream]) {
        ws.resume(); // a side paused by backpressure must still read the peer's close frame
        ws.close(1001, 'going away');
      }
    }
  }

  private bridge(req: IncomingMessage, client: WebSocket, upstream: WebSocket): void {
    const tap = this.tap;
    const channel = tap && tap.channel(
      Scope.connection('websocket'),
      connInfo(req, 'websocket', header(req.headers, 'sec-websocket-version') ?? '13', header(req.headers, 'mcp-session-id')),
      extractHeaders(tap.tracing.propagator, req.headers),
      isSessionEra(header(req.headers, 'mcp-protocol-version')),
      req.headers, // attribution comes from the upgrade request
    );
    const b: Bridge = { client, upstream, channel, done: false };
    this.bridges.add(b);
    this.stats.openStreams++;
    this.relay(client, upstream, tap && channel && ((text) => tap.fromClient(channel, text)));
    this.relay(upstream, client, tap && channel && ((text) => (tap.fromServer(channel, text), null)));
    client.on('close', (code, reason) => {
      this.finish(b, 'client_gone');
      mirrorClose(upstream, code, reason, 1001, 'client went away');
    });
    upstream.on('close', (code, reason) => {
      this.finish(b, 'upstream_gone');
      mirrorClose(client, code, reason, 1011, 'upstream closed abnormally');
    });
    // An error is always followed by 'close', which mirrors it; here it is only noted.
    client.on('error', (err) => this.log.debug('websocket client error', { error: err.message }));
    upstream.on('error', (err) => this.log.debug('websocket upstream error', { error: err.message }));
  }

  /** The first side to close decides why the still-open operations got no response. */
  private finish(b: Bridge, why: 'client_gone' | 'upstream_gone' | 'shut_down'): void {
    if (b.done) return;
    b.done = true;
    this.stats.openStreams--;
    if (b.channel) this.tap?.close(b.channel.scope, why);
    this.bridges.delete(b);
  }

  /** Mirrors messages and pings from one peer to the other. `tap` sees text frames within the size limit. */
  private relay(from: WebSocket, to: WebSocket, tap: ((text: string) => string | null) | null): void {
    // Backpressure with ws's public API: when `to` has more than HIGH_WATER unsent bytes, stop reading
    // `from` (pause() stops its socket, so TCP pushes back on that peer); each completed send checks
    // whether `to` has drained enough to read again.
    const drained = () => {
      if (from.isPaused && to.bufferedAmount < HIGH_WATER) from.resume();
    };
    from.on('message', (data: RawData, isBinary) => {
      // Once `to` is closing nothing more can reach it; ws would count a late send as buffered
      // forever, which would pause `from` for good.
      if (to.readyState !== to.OPEN) return;
      const buf = data as Buffer; // binaryType is 'nodebuffer'
      let out: Buffer | string = buf;
      if (tap && !isBinary && buf.length <= this.config.maxBodyBytes) {
        const text = buf.toString('utf8');
        const tapped = tap(text); // never throws: a tracing fault forwards the frame unchanged
        if (tapped !== null && tapped !== text) out = tapped; // unchanged text goes as the original bytes
      }
      to.send(out, { binary: isBinary }, drained);
      if (to.bufferedAmount > HIGH_WATER) from.pause();
    });
    from.on('ping', (data) => to.readyState === to.OPEN && to.ping(data));
    from.on('pong', (data) => to.readyState === to.OPEN && to.pong(data));
  }

  private forwardedHeaders(req: IncomingMessage): Record<string, string | string[]> {
    const all = upstreamHeaders(req, this.config.upstream.host, this.config.preserveHost);
    // Every other end-to-end header goes on as the client sent it: an API key in x-api-key included.
    return Object.fromEntries(Object.entries(all).filter(([k]) => !OWN_HANDSHAKE.test(k)));
  }
}

/** 1005 (no code) goes on as an empty close frame, which the peer reads as 1005 again; 1006 (no close frame) cannot be sent. */
function mirrorClose(to: WebSocket, code: number, reason: Buffer, abnormal: number, why: string): void {
  if (to.readyState === to.CLOSED) return;
  to.resume(); // if backpressure paused it, it must still read the peer's close frame
  if (code === 1005) to.close();
  else if (code === 1006) to.close(abnormal, why);
  else to.close(code, reason);
}

function isWebSocketHandshake(req: IncomingMessage): boolean {
  const version = header(req.headers, 'sec-websocket-version');
  return req.method === 'GET' && header(req.headers, 'upgrade')?.toLowerCase() === 'websocket'
    && WS_KEY.test(header(req.headers, 'sec-websocket-key') ?? '') && (version === '13' || version === '8');
}

/**
 * The upstream URL: the configured origin with the request's path and query set on it, never
 * resolved against it, so a path like //evil.example/x stays a path on the upstream.
 */
function upstreamUrl(origin: URL, path: string): string {
  const u = new URL(origin);
  const q = path.indexOf('?');
  u.pathname = q < 0 ? path : path.slice(0, q);
  u.search = q < 0 ? '' : path.slice(q);
  return u.href;
}

function protocolsOf(req: IncomingMessage): string[] {
  const raw = req.headers['sec-websocket-protocol'];
  return raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : [];
}



/** An HTTP answer on the raw upgrade socket, which is then closed. */
export function refuse(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\n`
      + `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** The upstream's non-101 answer, status, headers and body, relayed as is; a stalled body is cut after `timeoutMs`. */
function relayResponse(socket: Duplex, res: IncomingMessage, timeoutMs: number): void {
  const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`, ...headerLines(res), 'connection: close'];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  res.pipe(socket);
  socket.once('finish', () => socket.destroy());
  res.setTimeout(timeoutMs, () => res.destroy());
  res.once('close', () => {
    if (!res.complete) socket.destroy();
  });
}

/** A response's end-to-end headers as raw header lines. */
function headerLines(res: IncomingMessage, keep: (name: string) => boolean = () => true): string[] {
  return Object.entries(clientHeaders(res.headers))
    .filter(([k]) => keep(k))
    .flatMap(([k, v]) => [v ?? []].flat().map((x) => `${k}: ${x}`));
}
