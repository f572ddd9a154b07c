// The inject-webhook command line: one options table (the webhook's own flags, then one flag per
// setting of settings.ts), parsed once into typed options. Every flag also reads MCP_TRACE_PROXY_<FLAG>;
// a flag beats its variable, which beats the default. The yargs object never leaves this file.
import { ConfigError } from '../errors';
import { envName } from '../cli/config';
import { parseValue } from '../cli/options';
import { parseTable } from '../cli/parser';
import { SETTINGS, type RawSettings, type RawValue, type SettingKey } from './settings';

interface WebhookOption {
  readonly flag: string;
  readonly kind: 'string' | 'port' | 'admin-port' | 'bool' | 'log-level' | 'log-format';
  readonly describe: string;
  readonly default?: string;
}

/** The webhook's own flags; the settings' flags follow them in --help. */
export const WEBHOOK_OPTIONS: readonly WebhookOption[] = [
  { flag: 'tls-cert', kind: 'string', describe: 'serving certificate file, PEM (required; reloaded when it changes)' },
  { flag: 'tls-key', kind: 'string', describe: 'its private key file, PEM (required; reloaded when it changes)' },
  { flag: 'port', kind: 'port', default: '8443', describe: 'HTTPS port for kube-apiserver (0: any free port)' },
  { flag: 'host', kind: 'string', default: '0.0.0.0', describe: 'address the HTTPS port listens on' },
  { flag: 'admin-port', kind: 'admin-port', default: '9465', describe: 'plain-HTTP port for /healthz, /readyz and /metrics (0: any free port, off: none)' },
  { flag: 'admin-host', kind: 'string', describe: 'address the admin port listens on (default: --host)' },
  { flag: 'namespace', kind: 'string', describe: "the webhook's own namespace, whose pods are never injected (the chart sets it from the downward API)" },
  { flag: 'log-level', kind: 'log-level', default: 'info', describe: 'debug, info, warn or error' },
  { flag: 'log-format', kind: 'log-format', describe: 'json or pretty (default: pretty on a terminal, json otherwise)' },
];

const FLAG_SETTINGS = SETTINGS.filter((s) => !('annotationOnly' in s && s.annotationOnly));

export interface WebhookOptions {
  readonly certFile: string;
  readonly keyFile: string;
  readonly host: string;
  readonly port: number;
  readonly adminHost: string;
  readonly adminPort: number | null;
  readonly namespace: string | null;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly logFormat: 'json' | 'pretty' | null;
  /** The injection settings as given; checked by the command (resolveSettings and the proxy's rules). */
  readonly settings: RawSettings;
}

export type WebhookParse = { kind: 'options'; options: WebhookOptions } | { kind: 'exit'; output: string };

/** The value checked by the proxy's own rules for its kind (ports, log level and format), else non-empty text. */
function check(o: WebhookOption, raw: string, name: string): string | number | null {
  if (o.kind === 'port' || o.kind === 'admin-port' || o.kind === 'log-level' || o.kind === 'log-format') return parseValue(o.kind, raw, name) as string | number | null;
  if (raw.trim() === '') throw new ConfigError(`${name}: invalid value ${JSON.stringify(raw)}; expected a non-empty value`);
  return raw.trim();
}

/** Parses the arguments after `inject-webhook`; throws ConfigError naming the flag or variable. */
export function parseWebhookArgs(argv: readonly string[], env: NodeJS.ProcessEnv, version = '0.0.0'): WebhookParse {
  const all = [...WEBHOOK_OPTIONS, ...FLAG_SETTINGS.map((s) => ({ flag: s.key, kind: s.kind === 'bool' ? 'bool' : 'string', describe: s.describe, default: 'default' in s ? s.default : undefined }) as WebhookOption)];
  const { args, output } = parseTable(argv, {
    scriptName: 'mcp-trace-proxy inject-webhook',
    usage: '$0 --tls-cert <file> --tls-key <file> --image <image> [options]\n\nA Kubernetes mutating admission webhook that adds the proxy to annotated pods.',
    version,
    epilogue: `Every flag can also be set as MCP_TRACE_PROXY_<FLAG> (e.g. ${envName('otlp-endpoint')}). Pods override the settings with mcp-trace-proxy.io/<flag> annotations; see the README.`,
    options: all,
    envName,
  });
  if (output || args.help || args.version) return { kind: 'exit', output };
  if ((args._ as unknown[]).length > 0) throw new ConfigError(`unexpected argument ${JSON.stringify(String((args._ as unknown[])[0]))}; every option is a --flag, see inject-webhook --help`);

  /** The flag's value, else its variable's, with the name to blame; undefined when neither is set. */
  const given = (o: WebhookOption): RawValue | undefined => {
    const v = args[o.flag];
    if (v !== undefined) return { value: String(v), source: o.kind === 'bool' ? `--${v ? '' : 'no-'}${o.flag}` : `--${o.flag}` };
    const e = env[envName(o.flag)];
    if (e !== undefined && e !== '') return { value: e.trim(), source: envName(o.flag) };
    return undefined;
  };
  const value = (flag: string): string | number | null | undefined => {
    const o = WEBHOOK_OPTIONS.find((x) => x.flag === flag) as WebhookOption;
    const g = given(o) ?? (o.default === undefined ? undefined : { value: o.default, source: `--${o.flag}` });
    return g === undefined ? undefined : check(o, g.value, g.source);
  };
  const certFile = value('tls-cert');
  const keyFile = value('tls-key');
  if (certFile === undefined || keyFile === undefined) {
    throw new ConfigError(`--${certFile === undefined ? 'tls-cert' : 'tls-key'} is required: the webhook serves HTTPS only, e.g. --tls-cert /tls/tls.crt --tls-key /tls/tls.key`);
  }
  const settings = new Map<SettingKey, RawValue>();
  for (const s of FLAG_SETTINGS) {
    const g = given({ flag: s.key, kind: s.kind === 'bool' ? 'bool' : 'string', describe: '' });
    if (g) settings.set(s.key, g);
  }
  const host = value('host') as string;
  return {
    kind: 'options',
    options: Object.freeze({
      certFile: certFile as string,
      keyFile: keyFile as string,
      host,
      port: value('port') as number,
      adminHost: (value('admin-host') as string | undefined) ?? host,
      adminPort: value('admin-port') as number | null,
      namespace: (value('namespace') as string | undefined) ?? null,
      logLevel: value('log-level') as WebhookOptions['logLevel'],
      logFormat: (value('log-format') as WebhookOptions['logFormat'] | undefined) ?? null,
      settings,
    }),
  };
}
