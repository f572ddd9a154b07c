// Config: parsed once from flags and environment into a typed, read-only object.
// yargs 17 (CommonJS) rather than 18 (ESM-only): the build, jest and `npx` all run CommonJS here.
import yargs from 'yargs';
import { ConfigError } from '../errors';
import type { InjectMeta } from '../pipeline/tap';
import { OtelConfig, otelConfig } from './otel-config';
import { callerOptions } from './caller-config';
import { ENV_PREFIX, OPTIONS, REPEATABLE, camel, envName, listValue, parseValue } from './options';
import type { AttributeRule } from '../tracing/caller';
import { DEFAULT_REDACT_KEYS, normalizeKey } from '../tracing/redact';

export type { OtelConfig, Propagator, SamplerName, TracesExporter } from './otel-config';
export { OPTIONS, envName } from './options';

export interface StdioCommand {
  readonly command: string;
  readonly args: readonly string[];
}

export interface Config extends OtelConfig {
  /** The HTTP(S) upstream; with --stdio, a placeholder that is never contacted. */
  readonly upstream: URL;
  /** --stdio: wrap this server command instead of proxying HTTP. */
  readonly stdio: StdioCommand | null;
  readonly host: string;
  readonly port: number;
  readonly adminHost: string;
  /** null: no admin listener. */
  readonly adminPort: number | null;
  readonly serviceName: string;
  /** Trace context into `params._meta`: auto creates `_meta` only where it cannot change the server's reading. */
  readonly injectMeta: InjectMeta;
  /** Without a tools/list or prompts/list from the upstream, how many distinct names become metric labels. */
  readonly metricMaxTools: number;
  readonly preserveHost: boolean;
  readonly maxBodyBytes: number;
  readonly upstreamTimeoutMs: number;
  readonly pendingTimeoutMs: number;
  readonly shutdownGraceMs: number;
  /** Before closing the listener at shutdown, answer /readyz 503 for this long (so Kubernetes removes the endpoint). */
  readonly drainDelayMs: number;
  /** Opt-in: tool arguments / results on spans, redacted and truncated. */
  readonly captureArguments: boolean;
  readonly captureResults: boolean;
  readonly captureMaxLength: number;
  /** Estimate each result's tokens (js-tiktoken, loaded only then). */
  readonly estimateTokens: boolean;
  /** Normalized key fragments whose values are masked (defaults plus --redact-key). */
  readonly redactKeys: readonly string[];
  /** Host / Origin allow-lists (lower case); null: no check by the proxy. */
  readonly allowedHosts: readonly string[] | null;
  readonly allowedOrigins: readonly string[] | null;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** null: pretty on a terminal, JSON otherwise. */
  readonly logFormat: 'json' | 'pretty' | null;
  /** One log line per MCP operation (method, target, duration, status, trace id). */
  readonly accessLog: boolean;
  /** Add a W3C `traceresponse` header naming the operation's trace to the client's response. */
  readonly traceResponse: boolean;
  /** The live view (page and JSON API) on the admin port. */
  readonly ui: boolean;
  /** How many finished spans the live view keeps. */
  readonly uiBuffer: number;
  /** OpenInference attributes (Phoenix, Langfuse) beside the MCP ones. */
  readonly openinference: boolean;
  /** Caller attribution: request headers and bearer-JWT claims copied onto the spans. */
  readonly attributeHeaders: readonly AttributeRule[];
  readonly attributeJwtClaims: readonly AttributeRule[];
  /** Attributes recorded as an HMAC-SHA256 of the value, keyed by MCP_TRACE_PROXY_HASH_KEY. */
  readonly hashAttributes: readonly string[];
  readonly hashKey: string | null;
  /** Attributes that are also labels of the operation histograms, each bounded by metricMaxValues. */
  readonly metricAttributes: readonly string[];
  readonly metricMaxValues: number;
  /** Export an operation the head sampler dropped when it fails (keepErrors) or is slower than keepSlowMs. */
  readonly keepErrors: boolean;
  readonly keepSlowMs: number | null;
}

/** service.name from OTEL_RESOURCE_ATTRIBUTES (key=value pairs, percent-encoded), which OTEL_SERVICE_NAME overrides. */
function resourceServiceName(env: NodeJS.ProcessEnv): string | undefined {
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === 'service.name') {
      try {
        return decodeURIComponent(pair.slice(eq + 1).trim()) || undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}


/**
 * The proxy's own arguments, and the server command for --stdio: everything after `--`, or, with
 * no `--` (launchers such as the MCP Inspector drop it), everything from the first argument that
 * is neither an option nor an option's value.
 */
function splitCommand(argv: readonly string[], env: NodeJS.ProcessEnv): { own: string[]; command: string[] } {
  const dashes = argv.indexOf('--');
  if (dashes >= 0) return { own: argv.slice(0, dashes), command: argv.slice(dashes + 1) };
  const stdioEnv = /^(true|1)$/i.test(env[envName('stdio')]?.trim() ?? '');
  if (!stdioEnv && !argv.some((a) => a === '--stdio' || /^--stdio=(true|1)$/i.test(a))) return { own: [...argv], command: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') return { own: argv.slice(0, i), command: argv.slice(i) };
    const name = /^--(?:no-)?([a-z-]+)(=|$)/.exec(a);
    const opt = name && OPTIONS.find((o) => o.flag === name[1]);
    // A flag that takes a value, written apart from it, owns the next argument.
    if (opt && opt.kind !== 'bool' && name[2] !== '=' && !a.startsWith('--no-')) i++;
  }
  return { own: [...argv], command: [] };
}

export type ParseResult = { kind: 'config'; config: Config } | { kind: 'exit'; output: string };

/**
 * Parses argv (without node and script) and the environment. Flags beat MCP_TRACE_PROXY_* variables,
 * which beat defaults. Returns the help or version text instead of a config when asked for it;
 * throws ConfigError on any bad value.
 */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv, version = '0.0.0'): ParseResult {
  const { own, command } = splitCommand(argv, env);
  const repeated = new Map<string, string>();
  for (let i = 0; i < own.length; i++) {
    // --no-inject-meta is kept from when the flag was a boolean.
    if (own[i] === '--no-inject-meta') own[i] = '--inject-meta=never';
    else if (own[i] === '--inject-meta' && !/^(auto|always|never|true|false|0|1)$/i.test(own[i + 1] ?? '')) own[i] = '--inject-meta=auto';
    // yargs keeps the last of a repeated flag: the values of a repeatable one are joined here.
    const rep = /^--([a-z-]+)(?:=(.*))?$/.exec(own[i]);
    const ropt = rep && OPTIONS.find((o) => o.flag === rep[1] && REPEATABLE.has(o.kind));
    if (rep && ropt) {
      const value = rep[2] ?? own[i + 1];
      if (value === undefined || (rep[2] === undefined && value.startsWith('--'))) throw new ConfigError(`--${ropt.flag} needs a value, e.g. ${ropt.describe.match(/e\.g\. (\S+)/)?.[1] ?? '<value>'}`);
      own.splice(i, rep[2] === undefined ? 2 : 1);
      const prev = repeated.get(ropt.flag);
      repeated.set(ropt.flag, prev === undefined ? value : `${prev},${value}`);
      i--;
      continue;
    }
    // yargs reads `--bool=anything` as false; check the value so a typo is an error, not a silent `false`.
    const m = /^--([a-z-]+)=(.*)$/.exec(own[i]);
    const opt = m && OPTIONS.find((o) => o.flag === m[1] && o.kind === 'bool');
    if (m && opt) own[i] = parseValue('bool', m[2], `--${opt.flag}`) ? `--${opt.flag}` : `--no-${opt.flag}`;
  }
  let parser = yargs(own)
    .scriptName('mcp-trace-proxy')
    .usage('$0 --upstream <url> [options]\n\nA transparent OpenTelemetry tracing proxy for MCP servers.')
    .version(version)
    .help()
    .strict()
    .exitProcess(false)
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .wrap(Math.min(110, process.stderr.columns || 110))
    .epilogue(`Every flag can also be set as ${ENV_PREFIX}<FLAG> (e.g. ${envName('upstream-timeout')}=5s). Standard OTEL_* variables apply; see the README.`);
  for (const o of OPTIONS) {
    const describe = `${o.describe} [env ${envName(o.flag)}]`;
    parser = o.kind === 'bool'
      ? parser.option(o.flag, { type: 'boolean', describe, defaultDescription: o.default })
      : parser.option(o.flag, { type: 'string', describe, defaultDescription: o.default, requiresArg: true });
  }

  let failure: string | undefined;
  let output = '';
  const args = parser.fail((msg, err) => {
    failure = err?.message ?? msg;
  }).parseSync(own, {}, (_err, _argv, out) => {
    output = out;
  }) as Record<string, unknown>;
  if (failure) throw new ConfigError(failure);
  if (output || args.help || args.version) return { kind: 'exit', output };
  if (args._ && (args._ as unknown[]).length > 0) {
    throw new ConfigError(`unexpected argument ${JSON.stringify(String((args._ as unknown[])[0]))}; every option is a --flag, see --help`);
  }

  const values: Record<string, unknown> = {};
  for (const o of OPTIONS) {
    const fromFlag = repeated.get(o.flag) ?? args[camel(o.flag)];
    const fromEnv = env[envName(o.flag)];
    let raw: string | undefined;
    let name: string;
    if (fromFlag !== undefined) {
      raw = String(fromFlag);
      name = o.kind === 'bool' ? `--${fromFlag ? '' : 'no-'}${o.flag}` : `--${o.flag}`;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw = fromEnv.trim();
      name = envName(o.flag);
    } else {
      raw = o.default;
      name = `--${o.flag}`;
    }
    values[o.flag] = raw === undefined ? undefined : parseValue(o.kind, raw, name);
  }
  const stdio = values.stdio === true;
  if (stdio && command.length === 0) {
    throw new ConfigError('--stdio needs the server command after --, e.g. mcp-trace-proxy --stdio -- npx -y @modelcontextprotocol/server-everything stdio');
  }
  if (!stdio && command.length > 0) {
    throw new ConfigError(`a command after -- (${JSON.stringify(command[0])}) needs --stdio, e.g. mcp-trace-proxy --stdio -- ${command.join(' ')}`);
  }
  if (stdio && values.upstream) throw new ConfigError('--upstream and --stdio exclude each other: proxy an HTTP server or wrap a command, not both');
  if (!values.upstream && !stdio) {
    throw new ConfigError(`--upstream is required: the URL of the MCP server to proxy, e.g. --upstream http://127.0.0.1:3001/mcp (or set ${envName('upstream')}), or --stdio -- <command>`);
  }
  // A stdio server is a child of a desktop client: it opens no admin port unless asked to.
  const adminExplicit = args.adminPort !== undefined || env[envName('admin-port')];

  const host = values.host as string;
  const otel = otelConfig(env);
  const serviceName = (values['service-name'] as string | undefined) ?? (env.OTEL_SERVICE_NAME?.trim() || resourceServiceName(env) || 'mcp-trace-proxy');
  const config: Config = {
    upstream: (values.upstream as URL | undefined) ?? new URL('http://127.0.0.1/'),
    stdio: stdio ? { command: command[0], args: command.slice(1) } : null,
    host,
    port: values.port as number,
    adminHost: (values['admin-host'] as string | undefined) ?? host,
    adminPort: stdio && !adminExplicit ? null : (values['admin-port'] as number | null),
    serviceName,
    injectMeta: values['inject-meta'] as InjectMeta,
    metricMaxTools: values['metric-max-tools'] as number,
    preserveHost: values['preserve-host'] as boolean,
    maxBodyBytes: values['max-body-bytes'] as number,
    upstreamTimeoutMs: values['upstream-timeout'] as number,
    pendingTimeoutMs: values['pending-timeout'] as number,
    shutdownGraceMs: values['shutdown-grace'] as number,
    drainDelayMs: values['drain-delay'] as number,
    captureArguments: values['capture-arguments'] as boolean,
    captureResults: values['capture-results'] as boolean,
    captureMaxLength: values['capture-max-length'] as number,
    estimateTokens: values['estimate-tokens'] as boolean,
    redactKeys: [...DEFAULT_REDACT_KEYS, ...listValue(values['redact-key']).map(normalizeKey)],
    ui: (values.ui as boolean | undefined) ?? isLoopback((values['admin-host'] as string | undefined) ?? host),
    uiBuffer: values['ui-buffer'] as number,
    logLevel: values['log-level'] as Config['logLevel'],
    logFormat: (values['log-format'] as Config['logFormat'] | undefined) ?? null,
    accessLog: values['access-log'] as boolean,
    traceResponse: values['trace-response'] as boolean,
    allowedHosts: values['allowed-hosts'] === undefined ? null : listValue(values['allowed-hosts']),
    allowedOrigins: values['allowed-origins'] === undefined ? null : listValue(values['allowed-origins']),
    openinference: values.openinference as boolean,
    ...callerOptions(values, env),
    metricMaxValues: values['metric-max-values'] as number,
    keepErrors: values['keep-errors'] as boolean,
    keepSlowMs: (values['keep-slow'] as number | undefined) ?? null,
    ...otel,
  };
  return { kind: 'config', config: Object.freeze(config) };
}

/** What createProxy takes: the upstream, and any fields to change from the defaults. */
export type ConfigInput = Partial<Omit<Config, 'upstream'>> & { readonly upstream: URL | string };

/** A config for programmatic use: defaults for everything not given. */
export function configFrom(partial: ConfigInput, env: NodeJS.ProcessEnv = {}): Config {
  const upstream = typeof partial.upstream === 'string' ? partial.upstream : partial.upstream.href;
  const base = parseConfig(['--upstream', upstream], env);
  if (base.kind !== 'config') throw new ConfigError('unexpected help output');
  return Object.freeze({ ...base.config, ...partial, upstream: new URL(upstream) });
}
