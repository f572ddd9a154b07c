// Typed errors with stable codes. Callers branch on `code`, never on the message.

export type ProxyErrorCode =
  | 'MTP_CONFIG'
  | 'MTP_UPSTREAM_UNREACHABLE'
  | 'MTP_UPSTREAM_DNS'
  | 'MTP_UPSTREAM_RESET'
  | 'MTP_UPSTREAM_TIMEOUT'
  | 'MTP_UPSTREAM_ERROR'
  | 'MTP_SHUTTING_DOWN'
  | 'MTP_HEADER_FIELDS_TOO_MANY'
  | 'MTP_TRANSFER_CODING';

export class ProxyError extends Error {
  readonly code: ProxyErrorCode;
  /** HTTP status the client gets when this error ends a proxied request. */
  readonly httpStatus: number;
  /** JSON-RPC error code for the body, so SDK clients report the failure cleanly. */
  readonly rpcCode: number;

  constructor(code: ProxyErrorCode, message: string, httpStatus: number, rpcCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyError';
    this.code = code;
    this.httpStatus = httpStatus;
    this.rpcCode = rpcCode;
  }
}

/** A bad flag or environment variable. The message names it and what it accepts. */
export class ConfigError extends ProxyError {
  constructor(message: string) {
    super('MTP_CONFIG', message, 0, 0);
    this.name = 'ConfigError';
  }
}

// JSON-RPC codes in the implementation-defined range; -32001 is the MCP SDKs' RequestTimeout.
const RPC_UPSTREAM_FAILED = -32000;
const RPC_TIMEOUT = -32001;
const RPC_REFUSED = -32000;

/** No response headers in time; `cause` says which timer saw it (ours, or undici's connect timeout). */
export function upstreamTimeout(cause: unknown): ProxyError {
  return new ProxyError('MTP_UPSTREAM_TIMEOUT', 'upstream did not answer in time', 504, RPC_TIMEOUT, { cause });
}

// Requests the proxy cannot forward as the client framed them: refused before anything reaches the
// upstream. Their body is never read, so the JSON-RPC error carries no id.

/** More header fields than the proxy forwards (RFC 6585 §5): part of them would be lost on the way. */
export function tooManyHeaderFields(max: number): ProxyError {
  return new ProxyError('MTP_HEADER_FIELDS_TOO_MANY', `more than ${max} request header fields`, 431, RPC_REFUSED);
}

/** A transfer coding other than chunked (RFC 9112 §6.1): forwarding would pass the coded bytes on without it. */
export function unsupportedTransferCoding(value: string): ProxyError {
  return new ProxyError('MTP_TRANSFER_CODING', `transfer coding ${JSON.stringify(value)} is not supported, only chunked`, 501, RPC_REFUSED);
}

/** Maps an undici/socket error to the gateway status table (RFC 9110: 502, 503, 504). */
export function upstreamError(err: unknown): ProxyError {
  const code = (err as { code?: string } | null)?.code ?? '';
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return upstreamTimeout(err);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ProxyError('MTP_UPSTREAM_DNS', 'upstream host name could not be resolved', 503, RPC_UPSTREAM_FAILED, { cause: err });
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ProxyError('MTP_UPSTREAM_UNREACHABLE', 'upstream refused the connection', 502, RPC_UPSTREAM_FAILED, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return new ProxyError('MTP_UPSTREAM_RESET', 'upstream closed the connection', 502, RPC_UPSTREAM_FAILED, { cause: err });
    default:
      return new ProxyError('MTP_UPSTREAM_ERROR', `upstream request failed${code ? ` (${code})` : ''}`, 502, RPC_UPSTREAM_FAILED, { cause: err });
  }
}
