// Config: parsed once from flags and environment into a typed, read-only object.
import fs from 'node:fs';
import { ConfigError } from '../errors';
import type { InjectMeta } from '../pipeline/inject-rule';
import type { Config } from '../settings';
import { otelConfig } from './otel-config';
import { parseTable } from './parser';
import { callerOptions } from './caller-config';
import { ENV_PREFIX, OPTIONS, REPEATABLE, camel, envName, listValue, parseValue } from './options';
import { DEFAULT_REDACT_KEYS, normalizeKey } from '../tracing/redact';

export type { Config, OtelConfig, StdioCommand } from '../settings';
export type { Propagator, SamplerName, TracesExporter } from './otel-config';
export { OPTIONS, envName } from './options';


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
  const { args, output } = parseTable(own, {
    scriptName: 'mcp-trace-proxy',
    usage: '$0 --upstream <url> [options]\n\nA transparent OpenTelemetry tracing proxy for MCP servers.',
    version,
    epilogue: `Every flag can also be set as ${ENV_PREFIX}<FLAG> (e.g. ${envName('upstream-timeout')}=5s). Standard OTEL_* variables apply; see the README.`,
    options: OPTIONS,
    envName,
  });
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
  const record = (values.record as string | undefined) ?? null;
  if (record !== null && values.force !== true && fs.existsSync(record)) {
    throw new ConfigError(`--record: ${record} exists; add --force to replace it (or choose another file)`);
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
    record,
    recordMaxBytes: values['record-max-bytes'] as number,
    force: values.force as boolean,
    ...otel,
  };
  if (record !== null && !config.tracingEnabled) throw new ConfigError('--record needs the tap, which OTEL_SDK_DISABLED=true turns off; use OTEL_TRACES_EXPORTER=none to record without exporting spans');
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
