// The options table and the parsing of one value by its kind: each throws a ConfigError that names
// the flag or variable and what it accepts. config.ts turns the values into a Config.
import { HASH_KEY_ENV } from './caller-config';
import { ConfigError } from '../errors';

export type Kind = 'url' | 'port' | 'admin-port' | 'string' | 'bool' | 'bytes' | 'duration' | 'duration0' | 'count' | 'list' | 'log-level' | 'log-format' | 'inject-meta'
  | 'header-rules' | 'claim-rules' | 'names';

/** Flags that may be given more than once: their values add up, as a comma list would. */
export const REPEATABLE: ReadonlySet<Kind> = new Set(['header-rules', 'claim-rules', 'names']);


export interface Option {
  readonly flag: string;
  readonly kind: Kind;
  readonly describe: string;
  /** Shown in --help and used when neither flag nor variable is set. */
  readonly default?: string;
}

export const ENV_PREFIX = 'MCP_TRACE_PROXY_';

/** The options table: one row per flag; each also reads MCP_TRACE_PROXY_<FLAG>. */
export const OPTIONS: readonly Option[] = [
  { flag: 'upstream', kind: 'url', describe: 'URL of the MCP server to proxy, e.g. http://127.0.0.1:3001/mcp (required unless --stdio)' },
  { flag: 'stdio', kind: 'bool', default: 'false', describe: 'wrap a stdio MCP server: mcp-trace-proxy --stdio -- <command> [args...]' },
  { flag: 'port', kind: 'port', default: '8080', describe: 'port the proxy listens on (0: any free port)' },
  { flag: 'host', kind: 'string', default: '127.0.0.1', describe: 'address the proxy listens on (0.0.0.0 in a container)' },
  { flag: 'admin-port', kind: 'admin-port', default: '9464', describe: 'port for /healthz, /readyz and /metrics (0: any free port, off: none)' },
  { flag: 'admin-host', kind: 'string', describe: 'address the admin port listens on (default: --host)' },
  { flag: 'service-name', kind: 'string', describe: 'service.name of the spans (default: OTEL_SERVICE_NAME, else mcp-trace-proxy)' },
  { flag: 'inject-meta', kind: 'inject-meta', default: 'auto', describe: 'trace context into params._meta: auto (into a _meta the client sent; a new _meta only on session-era exchanges), always, or never (--no-inject-meta: headers only)' },
  { flag: 'metric-max-tools', kind: 'count', default: '100', describe: 'distinct tool (and prompt) names kept as metric labels until the upstream lists its own; the rest are _OTHER' },
  { flag: 'preserve-host', kind: 'bool', default: 'true', describe: "forward the client's Host header (--no-preserve-host: the upstream's host)" },
  { flag: 'max-body-bytes', kind: 'bytes', default: '4mb', describe: 'largest body parsed for tracing; larger ones pass untouched (e.g. 1048576, 512kb, 4mb)' },
  { flag: 'upstream-timeout', kind: 'duration', default: '30s', describe: 'wait this long for the upstream response headers, then 504 (e.g. 500ms, 30s, 2m)' },
  { flag: 'pending-timeout', kind: 'duration', default: '5m', describe: 'a request whose response never comes ends its span after this long' },
  { flag: 'shutdown-grace', kind: 'duration', default: '10s', describe: 'on SIGTERM/SIGINT, let in-flight requests finish for this long' },
  { flag: 'drain-delay', kind: 'duration0', default: '0', describe: 'on SIGTERM, answer /readyz 503 for this long before closing the listener (Kubernetes endpoint removal)' },
  { flag: 'capture-arguments', kind: 'bool', default: 'false', describe: 'record tool arguments (gen_ai.tool.call.arguments), redacted and truncated' },
  { flag: 'capture-results', kind: 'bool', default: 'false', describe: 'record tool results (gen_ai.tool.call.result), redacted and truncated' },
  { flag: 'capture-max-length', kind: 'count', default: '4096', describe: 'longest captured argument or result text, in characters' },
  { flag: 'estimate-tokens', kind: 'bool', default: 'false', describe: 'estimate the tokens of every result (js-tiktoken, o200k_base) on spans, a histogram and the live view' },
  { flag: 'redact-key', kind: 'list', describe: 'comma-separated extra key names whose values are masked in captured data (added to password, token, secret, api_key, ...)' },
  { flag: 'log-level', kind: 'log-level', default: 'info', describe: 'debug, info, warn or error' },
  { flag: 'log-format', kind: 'log-format', describe: 'json or pretty (default: pretty on a terminal, json otherwise)' },
  { flag: 'access-log', kind: 'bool', default: 'false', describe: 'log one line per MCP operation: method, target, duration, status, trace id' },
  { flag: 'trace-response', kind: 'bool', default: 'false', describe: 'add a W3C traceresponse header with the trace id to responses' },
  { flag: 'ui', kind: 'bool', describe: 'serve the live trace view at / on the admin port (default: on when the admin port listens on loopback; --no-ui: off)' },
  { flag: 'ui-buffer', kind: 'count', default: '1000', describe: 'how many recent spans the live view keeps in memory' },
  { flag: 'allowed-hosts', kind: 'list', describe: 'comma-separated Host values to accept (e.g. localhost,mcp.example.com); others get 403' },
  { flag: 'allowed-origins', kind: 'list', describe: 'comma-separated Origin values to accept (e.g. https://app.example.com); requests with another Origin get 403' },
  { flag: 'openinference', kind: 'bool', default: 'true', describe: 'add OpenInference attributes for Phoenix and Langfuse (openinference.span.kind, session.id, ...; --no-openinference: off)' },
  { flag: 'attribute-header', kind: 'header-rules', describe: 'copy a request header onto the spans: <header>=<attribute>, e.g. x-tenant-id=tenant.id (repeatable; env: a comma list)' },
  { flag: 'attribute-jwt-claim', kind: 'claim-rules', describe: 'copy a claim of the Authorization: Bearer JWT (not verified) onto the spans: <claim>=<attribute>, e.g. sub=enduser.id, org.id=tenant.id (repeatable)' },
  { flag: 'hash-attribute', kind: 'names', describe: `record this attribute as a keyed hash (HMAC-SHA256, key from ${HASH_KEY_ENV}) instead of its value (repeatable)` },
  { flag: 'metric-attribute', kind: 'names', describe: 'also make this attribute a label of the operation-duration histograms, bounded by --metric-max-values (repeatable)' },
  { flag: 'metric-max-values', kind: 'count', default: '100', describe: 'distinct values of each --metric-attribute kept as labels; the rest are _OTHER' },
  { flag: 'keep-errors', kind: 'bool', default: 'true', describe: 'export an operation the head sampler dropped when it fails (--no-keep-errors: off)' },
  { flag: 'record', kind: 'string', describe: 'write every JSON-RPC message that passes to this cassette file (JSON lines), under the capture and redaction policy; see "Record, replay and share"' },
  { flag: 'record-max-bytes', kind: 'bytes', default: '64mb', describe: 'rotate the cassette at this size: FILE becomes FILE.1 (replacing it) and a new FILE starts' },
  { flag: 'force', kind: 'bool', default: 'false', describe: 'let --record replace an existing file' },
  { flag: 'keep-slow', kind: 'duration', describe: 'export an operation the head sampler dropped when it takes longer than this (e.g. 1s; default off)' },
];

export function listValue(v: unknown): string[] {
  return typeof v === 'string' ? v.split(',') : [];
}

export function envName(flag: string): string {
  return ENV_PREFIX + flag.toUpperCase().replace(/-/g, '_');
}

export function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout's limit

/** Parsers by kind: each throws a ConfigError naming `name` and what it accepts. */
export function parseValue(kind: Kind, raw: string, name: string): string | number | boolean | URL | null {
  const bad = (accepts: string) => new ConfigError(`${name}: invalid value ${JSON.stringify(raw)}; expected ${accepts}`);
  switch (kind) {
    case 'url': {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        throw bad('an absolute http:// or https:// URL, e.g. http://127.0.0.1:3001/mcp');
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad('an http:// or https:// URL');
      return u;
    }
    case 'admin-port':
    case 'port': {
      if (kind === 'admin-port' && raw === 'off') return null;
      const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(n >= 0 && n <= 65535)) throw bad(kind === 'port' ? 'a port from 0 to 65535' : 'a port from 0 to 65535, or off');
      return n;
    }
    case 'bool': {
      const v = raw.toLowerCase();
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      throw bad('true or false');
    }
    case 'bytes': {
      const m = /^(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(raw);
      const unit = (m?.[2] ?? 'b').toLowerCase();
      const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
      const n = m ? Number(m[1]) * mult : NaN;
      if (!(n >= 1 && n <= 1024 ** 3)) throw bad('a size from 1 byte to 1gb, e.g. 1048576, 512kb or 4mb');
      return n;
    }
    case 'duration':
    case 'duration0': {
      const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(raw);
      const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m?.[2] ?? 'ms') as 'ms'];
      const n = m ? Math.round(Number(m[1]) * mult) : NaN;
      if (!(n >= (kind === 'duration0' ? 0 : 1) && n <= MAX_TIMER_MS)) throw bad('a duration such as 500ms, 30s or 2m (a bare number is milliseconds; at most 24 days)');
      return n;
    }
    case 'log-level':
      if (!['debug', 'info', 'warn', 'error'].includes(raw)) throw bad('debug, info, warn or error');
      return raw;
    case 'log-format':
      if (raw !== 'json' && raw !== 'pretty') throw bad('json or pretty');
      return raw;
    case 'inject-meta': {
      const v = raw.toLowerCase();
      if (v === 'auto' || v === 'always' || v === 'never') return v;
      if (v === 'true' || v === '1') return 'auto'; // the boolean of earlier releases
      if (v === 'false' || v === '0') return 'never';
      throw bad('auto, always or never');
    }
    case 'count': {
      const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(n >= 1 && n <= 1_000_000)) throw bad('a whole number from 1 to 1000000');
      return n;
    }
    case 'list': {
      const items = raw.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
      if (items.length === 0) throw bad('a comma-separated list, e.g. localhost,127.0.0.1');
      return items.join(',');
    }
    case 'string':
      if (raw === '') throw bad('a non-empty string');
      return raw;
    case 'header-rules':
    case 'claim-rules':
    case 'names':
      return raw; // parsed into rules once all values are joined (callerOptions)
  }
}
