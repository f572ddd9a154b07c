// Listeners (proxy port, admin port), routing, and graceful shutdown.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { AdminOptions, AdminServer, hostForUrl, listen, startAdmin } from './admin';
import type { Logger } from './log';
import { SessionRegistry } from './pipeline/sessions';
import type { Tap } from './pipeline/tap';
import { HttpOptions, HttpProxy, sendError } from './proxy/http/adapter';
import { WebSocketBridge, WebSocketOptions, refuse } from './proxy/websocket';
import { ProxyCounters, newCounters } from './tracing/metrics';
import type { Telemetry } from './tracing/sdk';
import * as semconv from './tracing/semconv';
import type { LiveView } from './ui/handler';
import { allowed, unforwardable } from './proxy/headers';

/** The listeners' options; the proxy's and the admin port's are parts of it. */
export interface ServerOptions extends HttpOptions, WebSocketOptions, AdminOptions {
  readonly host: string;
  readonly port: number;
  /** Host / Origin allow-lists (lower case); null: no check by the proxy. */
  readonly allowedHosts: readonly string[] | null;
  readonly allowedOrigins: readonly string[] | null;
  /** At shutdown, answer /readyz 503 this long before closing the listener. */
  readonly drainDelayMs: number;
  readonly shutdownGraceMs: number;
}

export interface RunningProxy {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  /** null when --admin-port off */
  readonly adminUrl: string | null;
  readonly stats: ProxyCounters;
  /** Graceful: stop accepting, drain within the grace period, close streams, flush spans. Idempotent. */
  close(): Promise<void>;
}

const READY_CHECK_TIMEOUT_MS = 1000;
const SESSION_IDLE_MS = 30 * 60_000;
const MAX_TRACKED_SESSIONS = 100_000;

/** `traced`: null with tracing off (forwarding only). */
export async function startServer(config: ServerOptions, log: Logger, traced: { telemetry: Telemetry; tap: Tap } | null, view: LiveView | null): Promise<RunningProxy> {
  const upstream = new Pool(config.upstream.origin, {
    keepAliveTimeout: 30_000,
    headersTimeout: config.upstreamTimeoutMs,
    bodyTimeout: 0,
    connectTimeout: Math.min(config.upstreamTimeoutMs, 10_000),
  });
  const telemetry = traced?.telemetry ?? null;
  const tap = traced?.tap ?? null;
  const stats = telemetry?.counters ?? newCounters();
  const metrics = telemetry?.metrics ?? null;
  const sessions = tap
    ? new SessionRegistry(SESSION_IDLE_MS, MAX_TRACKED_SESSIONS,
      (seconds, scope) => {
        metrics?.session(seconds, { [semconv.ATTR_NETWORK_TRANSPORT]: 'tcp', [semconv.ATTR_NETWORK_PROTOCOL_NAME]: 'http' });
        tap.close(scope, 'upstream_gone');
      },
      (n) => (stats.activeSessions = n))
    : null;
  const proxy = new HttpProxy(config, upstream, tap, sessions, log, stats);
  const ws = new WebSocketBridge(config, tap, log, stats);
  // A count, not a Set of responses: a long-lived Set that every request enters and leaves kept
  // young objects alive through V8's scavenges (old-space churn, about a fifth of the CPU per request).
  let inflight = 0;
  let shuttingDown = false;

  // headersTimeout bounds slow-header clients; no requestTimeout: a POST's SSE response may stream for hours.
  const server = http.createServer({ keepAliveTimeout: 65_000, headersTimeout: 30_000, requestTimeout: 0 }, (req, res) => {
    stats.requests++;
    inflight++;
    res.once('close', () => inflight--);
    if (shuttingDown) res.shouldKeepAlive = false;
    const refused = allowed(req.headers, config.allowedHosts, config.allowedOrigins);
    if (refused) return void forbidden(res, refused);
    const cannot = unforwardable(req);
    if (cannot) return void sendError(res, cannot, null);
    proxy.handle(req, res);
  });
  // Every field is kept (maxHeaderSize still bounds them all), so unforwardable() sees a request with
  // too many whole and refuses it; Node's own limit would drop the tail silently, Content-Length too.
  server.maxHeadersCount = 0;
  server.on('upgrade', (req, socket, head) => {
    if (shuttingDown) return refuse(socket, 503, 'mcp-trace-proxy: shutting down');
    const refused = allowed(req.headers, config.allowedHosts, config.allowedOrigins);
    if (refused) return refuse(socket, 403, `Forbidden: ${refused}`);
    const cannot = unforwardable(req);
    if (cannot) return refuse(socket, cannot.httpStatus, `mcp-trace-proxy: ${cannot.message}`);
    ws.handleUpgrade(req, socket, head);
  });
  // Not an open proxy: CONNECT tunnels nothing (without this listener node would just drop the socket).
  server.on('connect', (_req, socket) => {
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: 39\r\n\r\nmcp-trace-proxy: CONNECT is not served\n');
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // A header section over maxHeaderSize: 431, as Node itself would answer, not a plain 400.
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });

  await listen(server, config.port, config.host);
  let admin: AdminServer | null;
  try {
    admin = await startAdmin(config, { metrics: metrics?.prometheusHandler ?? null, view }, async () => {
      if (shuttingDown) return { ok: false, reason: 'shutting down' };
      return (await upstreamReachable(config.upstream)) ? { ok: true } : { ok: false, reason: `upstream ${config.upstream.host} unreachable` };
    });
  } catch (err) {
    server.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${hostForUrl(config.host)}:${port}`;

  let closing: Promise<void> | null = null;
  const close = () => (closing ??= (async () => {
    shuttingDown = true;
    // /readyz now answers 503; keep serving while the load balancer takes this endpoint out.
    if (config.drainDelayMs > 0) await sleep(config.drainDelayMs);
    server.close();
    server.closeIdleConnections();
    proxy.closeStreams();
    ws.close();
    const deadline = Date.now() + config.shutdownGraceMs;
    while (inflight > 0 && Date.now() < deadline) await sleep(25);
    if (inflight > 0) log.warn('shutdown grace period over: closing requests still in flight', { count: inflight });
    server.closeAllConnections();
    tap?.shutdown();
    sessions?.close();
    await upstream.destroy().catch(() => {});
    try {
      await telemetry?.shutdown(); // flushes the span queue
    } catch (err) {
      log.warn('could not flush spans at shutdown', { error: (err as Error).message });
    }
    await admin?.close();
  })());

  return { url, port, adminUrl: admin?.url ?? null, stats, close };
}



/** 403 as the MCP spec asks of servers for a bad Host/Origin, with a JSON-RPC error body. */
function forbidden(res: http.ServerResponse, why: string): void {
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: `Forbidden: ${why}` } });
  res.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}


function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Readiness: a TCP connection to the upstream opens. */
function upstreamReachable(u: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(READY_CHECK_TIMEOUT_MS, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
