// Header rules for both directions: hop-by-hop headers (RFC 9110 §7.6.1) stay on their hop,
// forwarding headers are added, everything else passes as the peer sent it.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { ProxyError, tooManyHeaderFields, unsupportedTransferCoding } from '../errors';
import type { ConnInfo } from '../tracing/attributes';

/**
 * The most request header fields the proxy forwards: Node's own default, which is also what an
 * upstream built on Node keeps. The listener keeps every field (its size limit still bounds them),
 * so a request with more is seen whole and refused, not forwarded without its tail.
 */
export const MAX_HEADER_FIELDS = 1000;

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer',
  'proxy-authenticate', 'proxy-authorization', 'http2-settings',
]);

/** Names a `Connection` header lists are hop-by-hop too. */
function connectionListed(value: string | string[] | undefined): Set<string> | null {
  // The usual values name only hop-by-hop headers already dropped: no list to build per request.
  if (!value || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive') return null;
  const list = (Array.isArray(value) ? value.join(',') : value).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return list.length ? new Set(list) : null;
}

function copyEndToEnd(src: IncomingHttpHeaders | Record<string, string | string[] | undefined>, out: Record<string, string | string[]>): void {
  const listed = connectionListed(src.connection);
  for (const name in src) {
    const v = src[name];
    if (v === undefined || HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    out[name] = v;
  }
}

/**
 * Headers for the upstream request. The client's Host is kept by default, so the upstream's
 * Host/Origin (DNS-rebinding) checks see what the client sent.
 */
export function upstreamHeaders(req: IncomingMessage, upstreamHost: string, preserveHost: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  copyEndToEnd(req.headers, out);
  // Node has already answered `Expect: 100-continue` and reads the whole body; the upstream gets it
  // as a plain request (undici refuses the header, which was a 502).
  delete out.expect;
  if (acceptsTrailers(req.headers)) out.te = 'trailers';
  if (!preserveHost || !req.headers.host) out.host = upstreamHost;
  const peer = req.socket.remoteAddress;
  if (peer) {
    const prior = req.headers['x-forwarded-for'];
    out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${peer}` : peer;
  }
  if (!req.headers['x-forwarded-proto']) out['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http';
  if (req.headers.host && !req.headers['x-forwarded-host']) out['x-forwarded-host'] = req.headers.host;
  return out;
}

/** The client accepts trailer fields: `te: trailers`, the one TE value a proxy may forward. */
export function acceptsTrailers(h: IncomingHttpHeaders): boolean {
  return !!header(h, 'te')?.toLowerCase().split(',').some((s) => s.trim() === 'trailers');
}

/**
 * Why a request cannot be forwarded as the client framed it, or null. Node decodes chunked only:
 * with `gzip, chunked` the body it hands on is still gzip, and the upstream would get it with no
 * header saying so (Transfer-Encoding is hop-by-hop).
 */
export function unforwardable(req: IncomingMessage): ProxyError | null {
  if (req.rawHeaders.length > 2 * MAX_HEADER_FIELDS) return tooManyHeaderFields(MAX_HEADER_FIELDS);
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te !== 'chunked' && !onlyChunked(te)) return unsupportedTransferCoding(te);
  return null;
}

function onlyChunked(te: string): boolean {
  const codings = te.split(',').map((s) => s.trim()).filter(Boolean);
  return codings.length === 1 && codings[0].toLowerCase() === 'chunked';
}

/** Headers for the client's response: the upstream's, less hop-by-hop ones. */
export function clientHeaders(upstream: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  copyEndToEnd(upstream, out);
  return out;
}

/** The first value of a header. */
export function header(h: IncomingHttpHeaders | Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

export function isJson(contentType: string | undefined): boolean {
  return !!contentType && /^application\/(?:[\w.+-]*\+)?json\b/i.test(contentType.trimStart());
}

export function isEventStream(contentType: string | undefined): boolean {
  return !!contentType && /^text\/event-stream\b/i.test(contentType.trimStart());
}

/**
 * The reason to refuse a request under the Host/Origin allow-lists (DNS-rebinding protection for
 * upstreams that lack it), or null to let it pass. A request without Origin (not a browser) passes.
 */
export function allowed(h: IncomingHttpHeaders, hosts: readonly string[] | null, origins: readonly string[] | null): string | null {
  if (hosts) {
    const host = (header(h, 'host') ?? '').toLowerCase();
    const bare = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
    if (!hosts.includes(host) && !hosts.includes(bare)) return `Host ${JSON.stringify(host)} is not allowed`;
  }
  const origin = header(h, 'origin')?.toLowerCase();
  if (origins && origin !== undefined && !origins.includes(origin)) return `Origin ${JSON.stringify(origin)} is not allowed`;
  return null;
}

/**
 * The path to request upstream: origin-form as is; an http(s) absolute-form reduced to its path
 * (never another host). Anything else (`*`, `x://a`, a bare name) is null, answered 400.
 */
export function requestPath(url: string | undefined): string | null {
  if (!url) return null;
  if (url.charCodeAt(0) === 47 /* / */) return url;
  const u = URL.canParse(url) ? new URL(url) : null;
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.pathname.startsWith('/')) return null;
  return u.pathname + u.search;
}

const HOST_PORT = /^(?:\[([^\]]*)\]|([^:]*))(?::(\d+))?$/;

/** Network attributes of a request: server from Host (brackets off an IPv6 address), client from X-Forwarded-For or the socket. */
export function connInfo(req: IncomingMessage, protocolName: 'http' | 'websocket', protocolVersion: string, sessionId: string | undefined): ConnInfo {
  const host = HOST_PORT.exec(header(req.headers, 'host') ?? '');
  // The real peer behind an intermediary, when one says who it is.
  const fwd = header(req.headers, 'x-forwarded-for')?.split(',')[0].trim();
  return {
    transport: 'tcp',
    protocolName,
    protocolVersion,
    serverAddress: host?.[1] || host?.[2] || req.socket.localAddress,
    serverPort: host?.[3] ? Number(host[3]) : req.socket.localPort,
    clientAddress: fwd || req.socket.remoteAddress,
    clientPort: fwd ? undefined : req.socket.remotePort,
    sessionId,
    mcpProtocolVersion: header(req.headers, 'mcp-protocol-version'),
  };
}
