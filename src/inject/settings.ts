// What the webhook injects: one table of settings. Each is a webhook flag (--<key>, and
// MCP_TRACE_PROXY_<KEY>) giving the default, and a pod annotation (mcp-trace-proxy.io/<key>)
// overriding it, except the rows marked annotationOnly, which only make sense per pod.
// Values the proxy itself validates (OTLP, sampler, keep-*, attribution) are only checked to be
// non-empty here; proxy-check.ts runs the proxy's own validation on the container's environment.
import { InjectError } from './errors';

export type SettingKind = 'image' | 'pull-policy' | 'bool' | 'port' | 'port-or-name' | 'path' | 'dns-name' | 'secret-key' | 'quantity' | 'proxy';

export interface SettingRow {
  readonly key: string;
  readonly kind: SettingKind;
  readonly describe: string;
  readonly default?: string;
  readonly annotationOnly?: boolean;
}

export const SETTINGS = [
  { key: 'image', kind: 'image', describe: 'image of the injected proxy (required), e.g. registry.example.com/mcp-trace-proxy:0.1.0' },
  { key: 'image-pull-policy', kind: 'pull-policy', default: 'IfNotPresent', describe: 'imagePullPolicy of the injected proxy: Always, IfNotPresent or Never' },
  { key: 'native-sidecar', kind: 'bool', default: 'true', describe: 'inject a native sidecar (an initContainers entry with restartPolicy Always, Kubernetes >= 1.29); false: a plain container' },
  { key: 'proxy-port', kind: 'port', default: '8080', describe: 'port the injected proxy listens on (container port named mcp-proxy)' },
  { key: 'proxy-admin-port', kind: 'port', default: '9464', describe: "the injected proxy's admin port: /healthz, /readyz, /metrics (container port named mcp-admin)" },
  { key: 'upstream-port', kind: 'port-or-name', annotationOnly: true, describe: "the MCP server's port in the pod, a number or a container port's name (default: the port of the only container, when it has exactly one)" },
  { key: 'upstream-path', kind: 'path', default: '/mcp', describe: "the MCP server's path: the proxy forwards to http://127.0.0.1:<upstream-port><upstream-path>" },
  { key: 'service-name', kind: 'proxy', annotationOnly: true, describe: 'service.name of the spans (default: the pod label app.kubernetes.io/name, else app, else the proxy\'s default)' },
  { key: 'otlp-endpoint', kind: 'proxy', describe: 'OTLP base URL for the spans (OTEL_EXPORTER_OTLP_ENDPOINT), e.g. http://otel-collector.observability:4318' },
  { key: 'otlp-protocol', kind: 'proxy', describe: 'OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf, grpc or http/json' },
  { key: 'otlp-headers-secret', kind: 'dns-name', describe: "a Secret in the pod's namespace whose key --otlp-headers-secret-key holds OTEL_EXPORTER_OTLP_HEADERS" },
  { key: 'otlp-headers-secret-key', kind: 'secret-key', default: 'otlp-headers', describe: 'the key in that Secret' },
  { key: 'otlp-tls-secret', kind: 'dns-name', describe: "a Secret in the pod's namespace with ca.crt (and tls.crt, tls.key with --otlp-tls-client-cert), mounted for TLS to the collector" },
  { key: 'otlp-tls-client-cert', kind: 'bool', default: 'false', describe: "also present the Secret's tls.crt and tls.key to the collector (mutual TLS)" },
  { key: 'sampler', kind: 'proxy', describe: 'OTEL_TRACES_SAMPLER of the injected proxy, e.g. parentbased_traceidratio' },
  { key: 'sampler-arg', kind: 'proxy', describe: 'OTEL_TRACES_SAMPLER_ARG, e.g. 0.1' },
  { key: 'keep-errors', kind: 'bool', describe: "the injected proxy's --keep-errors: true or false (default: the proxy's, true)" },
  { key: 'keep-slow', kind: 'proxy', describe: "the injected proxy's --keep-slow, e.g. 1s" },
  { key: 'attribute-header', kind: 'proxy', describe: "the injected proxy's --attribute-header rules, a comma list, e.g. x-tenant-id=tenant.id" },
  { key: 'attribute-jwt-claim', kind: 'proxy', describe: "the injected proxy's --attribute-jwt-claim rules, a comma list, e.g. sub=enduser.id" },
  { key: 'cpu-request', kind: 'quantity', default: '50m', describe: 'CPU request of the injected proxy (none: no request)' },
  { key: 'memory-request', kind: 'quantity', default: '64Mi', describe: 'memory request of the injected proxy (none: no request)' },
  { key: 'cpu-limit', kind: 'quantity', default: '500m', describe: 'CPU limit of the injected proxy (none: no limit)' },
  { key: 'memory-limit', kind: 'quantity', default: '256Mi', describe: 'memory limit of the injected proxy (none: no limit)' },
] as const satisfies readonly SettingRow[];

export type SettingKey = (typeof SETTINGS)[number]['key'];

/** A raw value and where it came from (a flag, a variable or an annotation), for messages. */
export interface RawValue {
  readonly value: string;
  readonly source: string;
}
export type RawSettings = ReadonlyMap<SettingKey, RawValue>;

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface InjectSettings {
  readonly image: string;
  readonly imagePullPolicy: PullPolicy;
  readonly nativeSidecar: boolean;
  readonly proxyPort: number;
  readonly adminPort: number;
  /** null: inferred from the pod. */
  readonly upstreamPort: number | string | null;
  readonly upstreamPath: string;
  readonly serviceName: string | null;
  readonly otlpEndpoint: string | null;
  readonly otlpProtocol: string | null;
  readonly otlpHeadersSecret: string | null;
  readonly otlpHeadersSecretKey: string;
  readonly otlpTlsSecret: string | null;
  readonly otlpTlsClientCert: boolean;
  readonly sampler: string | null;
  readonly samplerArg: string | null;
  readonly keepErrors: string | null;
  readonly keepSlow: string | null;
  readonly attributeHeader: string | null;
  readonly attributeJwtClaim: string | null;
  readonly requests: Readonly<Record<string, string>>;
  readonly limits: Readonly<Record<string, string>>;
  /** Which source set each key (for messages about a value checked later, e.g. by the proxy). */
  readonly sources: ReadonlyMap<SettingKey, string>;
}

// A Kubernetes resource quantity as people write them (the API's own grammar also takes exponents).
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;

function bad(raw: RawValue, accepts: string): InjectError {
  return new InjectError('MTP_INJECT_BAD_SETTING', `${raw.source}: invalid value ${JSON.stringify(raw.value)}; expected ${accepts}`);
}

/** Checks one value by its kind; returns it normalized. */
function checkValue(kind: SettingKind, raw: RawValue): string | number | boolean | null {
  const v = raw.value.trim();
  switch (kind) {
    case 'image':
      if (!/^[^\s]+$/.test(v)) throw bad(raw, 'an image reference, e.g. registry.example.com/mcp-trace-proxy:0.1.0');
      return v;
    case 'pull-policy':
      if (v !== 'Always' && v !== 'IfNotPresent' && v !== 'Never') throw bad(raw, 'Always, IfNotPresent or Never');
      return v;
    case 'bool':
      if (/^(true|1)$/i.test(v)) return true;
      if (/^(false|0)$/i.test(v)) return false;
      throw bad(raw, 'true or false');
    case 'port': {
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n >= 1 && n <= 65535)) throw bad(raw, 'a port from 1 to 65535');
      return n;
    }
    case 'port-or-name': {
      if (PORT_NAME.test(v)) return v;
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n >= 1 && n <= 65535)) throw bad(raw, "a port from 1 to 65535, or a container port's name");
      return n;
    }
    case 'path':
      if (!/^\/[^\s?#]*$/.test(v)) throw bad(raw, 'a path starting with /, e.g. /mcp');
      return v;
    case 'dns-name':
      if (v.length > 253 || !DNS_SUBDOMAIN.test(v)) throw bad(raw, 'the name of a Secret (lower case letters, digits, - and .)');
      return v;
    case 'secret-key':
      if (!/^[-._a-zA-Z0-9]{1,253}$/.test(v)) throw bad(raw, 'a Secret key (letters, digits, -, _ and .)');
      return v;
    case 'quantity':
      if (v === 'none') return null;
      if (!QUANTITY.test(v)) throw bad(raw, 'a quantity such as 50m, 0.5, 64Mi or 1Gi, or none');
      return v;
    case 'proxy':
      if (v === '') throw bad(raw, 'a non-empty value');
      return v;
  }
}

const ROWS = new Map<string, SettingRow>(SETTINGS.map((r) => [r.key, r]));

export function isSettingKey(key: string): key is SettingKey {
  return ROWS.has(key);
}

/**
 * Checks the raw values by kind and returns the typed settings; throws an InjectError
 * (MTP_INJECT_BAD_SETTING) that names the flag, variable or annotation of the first bad value.
 */
export function resolveSettings(raw: RawSettings): InjectSettings {
  const values = new Map<SettingKey, string | number | boolean | null>();
  const sources = new Map<SettingKey, string>();
  for (const row of SETTINGS) {
    const given = raw.get(row.key);
    const r = given ?? ('default' in row ? { value: row.default, source: `--${row.key}` } : undefined);
    if (!r) continue;
    values.set(row.key, checkValue(row.kind, r));
    sources.set(row.key, r.source);
  }
  const str = (k: SettingKey) => (values.has(k) ? (values.get(k) as string | null) : null);
  const image = str('image');
  if (!image) throw new InjectError('MTP_INJECT_BAD_SETTING', '--image is required: the proxy image to inject, e.g. --image registry.example.com/mcp-trace-proxy:0.1.0');
  const proxyPort = values.get('proxy-port') as number;
  const adminPort = values.get('proxy-admin-port') as number;
  if (proxyPort === adminPort) {
    throw new InjectError('MTP_INJECT_BAD_SETTING', `${sources.get('proxy-admin-port')}: the admin port ${adminPort} is the proxy port too; give it a port of its own`);
  }
  const tlsSecret = str('otlp-tls-secret');
  const endpoint = str('otlp-endpoint');
  if (tlsSecret && !endpoint?.startsWith('https://')) {
    throw new InjectError('MTP_INJECT_BAD_SETTING', `${sources.get('otlp-tls-secret')}: TLS to the collector needs an https:// otlp-endpoint (got ${endpoint ? JSON.stringify(endpoint) : 'none'})`);
  }
  const quantities = (pairs: [string, SettingKey][]) => {
    const out: Record<string, string> = {};
    for (const [resource, key] of pairs) if (str(key)) out[resource] = str(key) as string;
    return out;
  };
  return {
    image,
    imagePullPolicy: values.get('image-pull-policy') as PullPolicy,
    nativeSidecar: values.get('native-sidecar') as boolean,
    proxyPort,
    adminPort,
    upstreamPort: (values.get('upstream-port') as number | string | undefined) ?? null,
    upstreamPath: str('upstream-path') as string,
    serviceName: str('service-name'),
    otlpEndpoint: endpoint,
    otlpProtocol: str('otlp-protocol'),
    otlpHeadersSecret: str('otlp-headers-secret'),
    otlpHeadersSecretKey: str('otlp-headers-secret-key') as string,
    otlpTlsSecret: tlsSecret,
    otlpTlsClientCert: values.get('otlp-tls-client-cert') as boolean,
    sampler: str('sampler'),
    samplerArg: str('sampler-arg'),
    keepErrors: values.has('keep-errors') ? String(values.get('keep-errors')) : null,
    keepSlow: str('keep-slow'),
    attributeHeader: str('attribute-header'),
    attributeJwtClaim: str('attribute-jwt-claim'),
    requests: quantities([['cpu', 'cpu-request'], ['memory', 'memory-request']]),
    limits: quantities([['cpu', 'cpu-limit'], ['memory', 'memory-limit']]),
    sources,
  };
}
