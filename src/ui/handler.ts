// The live view's page and JSON API on the admin port:
//   GET /  (or /index.html)   the page
//   GET /api/operations       recent operations, newest first (filters: method, tool, status, session, tenant, user, client, trace_id, min_duration_ms, limit)
//   GET /api/traces/<id>      the spans of one trace still in memory
//   GET /api/summary          per-tool count, error rate, p50/p95
//   GET /api/series           the chart: ops/s, errors/s, p50/p95 per 10 s over 15 min (tool, tenant or client)
//   GET /api/stream           Server-Sent Events: one `data:` JSON per span as it finishes
//   GET /api/sessions[/<id>]  sessions, connections and runs, and one's operations (sessions-api.ts)
// Everything is read-only. Requests whose Host is a domain name other than localhost are refused
// (DNS-rebinding protection: a web page must not read the spans through a name it controls).
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { RecentSpans, SpanFilter } from './recent';
import { BUCKET_MS, Dimension, OperationSeries } from './series';
import { SCRIPT, STYLE, renderPage } from './page';
import type { SessionIndex } from './sessions';
import { sessionRoute } from './sessions-api';

/** A stream whose unsent output passes this is dropped (the browser reconnects and reloads). */
export const MAX_STREAM_BUFFER_BYTES = 1024 * 1024;
export const HEARTBEAT_MS = 15_000;
const MAX_FILTER_CHARS = 512;

export type UiHandler = ((req: IncomingMessage, res: ServerResponse) => boolean) & {
  /** Ends every open /api/stream response and refuses new ones. Idempotent. */
  close(): void;
  /** Open /api/stream responses. */
  readonly streams: number;
};

/** The live view's state: recent finished spans, and the rates of every finished operation. */
export interface LiveView {
  readonly recent: RecentSpans;
  readonly series: OperationSeries;
  readonly sessions: SessionIndex;
}

export interface UiHandlerOptions {
  /** The chart's data: rates and latencies of every operation (GET /api/series). */
  series?: OperationSeries | null;
  /** The Sessions tab's data (GET /api/sessions). */
  sessions?: SessionIndex | null;
  /** Heartbeat interval of /api/stream (default 15 s). */
  heartbeatMs?: number;
  /** Unsent bytes after which a slow stream is dropped (default 1 MiB). */
  maxStreamBufferBytes?: number;
  /**
   * Host names accepted besides localhost and IP addresses (e.g. config.allowedHosts), for an
   * admin port reached through a DNS name. Compared with the Host header, with or without its port.
   */
  allowedHosts?: readonly string[] | null;
}

/** Serves `/`, `/index.html` and `/api/*`; returns false for other paths. */
export function uiHandler(recent: RecentSpans, options: UiHandlerOptions = {}): UiHandler {
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const maxBuffer = options.maxStreamBufferBytes ?? MAX_STREAM_BUFFER_BYTES;
  const extraHosts = new Set((options.allowedHosts ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean));
  const page = Buffer.from(renderPage(), 'utf8');
  const csp = [
    "default-src 'none'",
    `script-src '${sha256(SCRIPT)}'`,
    `style-src '${sha256(STYLE)}'`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  const streams = new Set<() => void>();
  let heartbeat: NodeJS.Timeout | null = null;
  let closed = false;

  function stopHeartbeatIfIdle(): void {
    if (streams.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = null;
    }
  }

  const beats = new Set<() => void>();

  function stream(req: IncomingMessage, res: ServerResponse): void {
    if (closed) return json(res, 503, { error: 'the live view is shutting down' });
    let done = false;
    const send = (chunk: string) => {
      if (done) return;
      // A browser that does not read fast enough is dropped rather than buffered without bound.
      if (res.writableLength > maxBuffer) return void end(true);
      res.write(chunk);
    };
    const unsubscribe = recent.subscribe((_rec, text) => send(`data: ${text}\n\n`), () => end(false));
    if (!unsubscribe) return json(res, 503, { error: 'too many live streams are open' });
    const beat = () => send(': heartbeat\n\n');
    const end = (destroy: boolean) => {
      if (done) return;
      done = true;
      unsubscribe();
      streams.delete(endNow);
      beats.delete(beat);
      stopHeartbeatIfIdle();
      if (destroy) res.destroy();
      else res.end();
    };
    const endNow = () => end(false);
    streams.add(endNow);
    beats.add(beat);
    res.on('close', () => end(false));
    req.socket.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 2000\n: connected\n\n');
    if (!heartbeat) {
      heartbeat = setInterval(() => {
        for (const b of [...beats]) b();
      }, heartbeatMs);
      heartbeat.unref();
    }
  }

  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    // Split by hand, as admin.ts does: new URL() would read a path like //host/ as a host.
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const search = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    const isPage = path === '/' || path === '/index.html';
    if (!isPage && path !== '/api' && !path.startsWith('/api/')) return false;

    if (!hostAllowed(req.headers.host, extraHosts)) {
      text(res, 403, 'forbidden: the live view answers only to localhost or an IP address in the Host header (DNS-rebinding protection); open it as http://127.0.0.1:<admin port>/ or through a port-forward\n');
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return true;
    }

    if (isPage) {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': page.length,
        'cache-control': 'no-store',
        'content-security-policy': csp,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
      });
      res.end(req.method === 'HEAD' ? undefined : page);
      return true;
    }

    if (path === '/api/operations') {
      const filter = parseFilter(search, recent.maxSpans);
      if (typeof filter === 'string') json(res, 400, { error: filter });
      else json(res, 200, { operations: recent.list(filter), buffered: recent.size, capacity: recent.maxSpans });
      return true;
    }
    if (path === '/api/series') {
      // One dimension at a time: the tool if one is picked, else the tenant, else the client.
      const dim = (['tool', 'tenant', 'client'] as const).find((d) => search.get(d));
      const value = dim && (search.get(dim) as string);
      if (value && value.length > MAX_FILTER_CHARS) json(res, 400, { error: `${dim} is too long` });
      else {
        const pick = dim && value ? { dim: dim as Dimension, value } : undefined;
        json(res, 200, { bucketMs: BUCKET_MS, pick: pick ?? null, points: options.series?.points(pick) ?? [] });
      }
      return true;
    }
    if (path === '/api/summary') {
      json(res, 200, recent.summary());
      return true;
    }
    if (path === '/api/stream') {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' }).end();
      } else stream(req, res);
      return true;
    }
    const routed = sessionRoute(path, options.sessions);
    if (routed) {
      json(res, routed.status, routed.body);
      return true;
    }
    const m = /^\/api\/traces\/([^/]+)$/.exec(path);
    if (m) {
      const id = decodeURIComponentSafe(m[1]).toLowerCase();
      if (!/^[0-9a-f]{32}$/.test(id)) json(res, 400, { error: 'a trace id is 32 hex digits' });
      else {
        const spans = recent.trace(id);
        if (spans.length === 0) json(res, 404, { traceId: id, spans, error: 'trace not in memory: the view keeps only the most recent spans' });
        else json(res, 200, { traceId: id, spans });
      }
      return true;
    }
    json(res, 404, { error: 'not found: the API has /api/operations, /api/traces/<trace id>, /api/summary, /api/series, /api/sessions and /api/stream' });
    return true;
  };

  return Object.defineProperties(handle, {
    close: {
      value: () => {
        closed = true;
        for (const end of [...streams]) end();
        stopHeartbeatIfIdle();
      },
    },
    streams: { get: () => streams.size },
  }) as UiHandler;
}

/** Query string → filter, or an error message naming the parameter. */
export function parseFilter(q: URLSearchParams, maxLimit: number): SpanFilter | string {
  const f: SpanFilter = {};
  for (const [param, key] of [['method', 'method'], ['tool', 'tool'], ['session', 'session'], ['tenant', 'tenant'], ['user', 'user'], ['client', 'client']] as const) {
    const v = q.get(param);
    if (v === null || v === '') continue;
    if (v.length > MAX_FILTER_CHARS) return `${param} is too long`;
    f[key] = v;
  }
  const status = q.get('status');
  if (status) {
    if (status !== 'ok' && status !== 'error') return 'status must be ok or error';
    f.status = status;
  }
  const traceId = q.get('trace_id');
  if (traceId) {
    if (!/^[0-9a-fA-F]{32}$/.test(traceId)) return 'trace_id must be 32 hex digits';
    f.traceId = traceId.toLowerCase();
  }
  const min = q.get('min_duration_ms');
  if (min) {
    const n = Number(min);
    if (!Number.isFinite(n) || n < 0) return 'min_duration_ms must be a number of milliseconds, 0 or more';
    f.minDurationMs = n;
  }
  const limit = q.get('limit');
  if (limit) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1) return 'limit must be a whole number, 1 or more';
    f.limit = Math.min(n, maxLimit);
  }
  return f;
}

/**
 * IP literals, localhost and the `extra` names pass; other names (a DNS-rebinding attacker's) do not.
 * No Host: not a browser.
 */
export function hostAllowed(host: string | undefined, extra: ReadonlySet<string> = new Set()): boolean {
  if (host === undefined || host === '') return true;
  let name = host.trim().toLowerCase();
  if (extra.has(name) || extra.has(name.replace(/:\d*$/, ''))) return true;
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    return end > 0 && net.isIPv6(name.slice(1, end));
  }
  name = name.replace(/:\d*$/, '');
  if (name.endsWith('.')) name = name.slice(0, -1);
  return net.isIPv4(name) || name === 'localhost' || name.endsWith('.localhost');
}

function sha256(s: string): string {
  return 'sha256-' + createHash('sha256').update(s, 'utf8').digest('base64');
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': data.length,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(res.req?.method === 'HEAD' ? undefined : data);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(body);
}
