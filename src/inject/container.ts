// The injected proxy container: pure, from the settings and the upstream URL. Its shape follows the
// chart's sidecar template (charts/mcp-trace-proxy/templates/_sidecar.tpl): the same environment,
// ports, probes, resources and hardened securityContext, so an injected proxy behaves like one a
// chart user pastes in.
import type { InjectSettings } from './settings';

export const CONTAINER_NAME = 'mcp-trace-proxy';
export const PROXY_PORT_NAME = 'mcp-proxy';
export const ADMIN_PORT_NAME = 'mcp-admin';
export const TLS_VOLUME = 'mcp-trace-proxy-otlp-tls';
export const TLS_MOUNT = '/etc/mcp-trace-proxy/otlp-tls';

export type EnvVar =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly valueFrom: Record<string, unknown> };

/** Variables that name files in the pod; the webhook cannot check them (the files are not here). */
export const FILE_VARS: ReadonlySet<string> = new Set(['OTEL_EXPORTER_OTLP_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_KEY']);

/** The chart's defaults (values.yaml): drain before the listener closes, so endpoints go first. */
const DRAIN_DELAY = '5s';

/** The k8s.* resource attributes, from the downward API, as the chart sets them. */
const DOWNWARD: readonly [string, string, string][] = [
  ['K8S_POD_NAME', 'metadata.name', 'k8s.pod.name'],
  ['K8S_POD_UID', 'metadata.uid', 'k8s.pod.uid'],
  ['K8S_NAMESPACE_NAME', 'metadata.namespace', 'k8s.namespace.name'],
  ['K8S_NODE_NAME', 'spec.nodeName', 'k8s.node.name'],
];

/**
 * The proxy's environment. Each entry that comes from a setting is listed in `from`, so that a
 * value the proxy refuses can be blamed on the flag or annotation that set it.
 */
export function sidecarEnv(s: InjectSettings, upstream: string, serviceName: string | null): { env: EnvVar[]; from: Map<string, string> } {
  const env: EnvVar[] = [];
  const from = new Map<string, string>();
  const add = (name: string, value: string | null, key?: string) => {
    if (value === null) return;
    env.push({ name, value });
    if (key) from.set(name, key);
  };
  add('MCP_TRACE_PROXY_UPSTREAM', upstream, 'upstream-path');
  add('MCP_TRACE_PROXY_HOST', '0.0.0.0');
  add('MCP_TRACE_PROXY_PORT', String(s.proxyPort), 'proxy-port');
  add('MCP_TRACE_PROXY_ADMIN_PORT', String(s.adminPort), 'proxy-admin-port');
  add('MCP_TRACE_PROXY_UI', 'false');
  add('OTEL_METRICS_EXPORTER', 'prometheus');
  add('MCP_TRACE_PROXY_DRAIN_DELAY', DRAIN_DELAY);
  add('OTEL_SERVICE_NAME', serviceName, 'service-name');
  add('OTEL_EXPORTER_OTLP_ENDPOINT', s.otlpEndpoint, 'otlp-endpoint');
  add('OTEL_EXPORTER_OTLP_PROTOCOL', s.otlpProtocol, 'otlp-protocol');
  if (s.otlpHeadersSecret) {
    env.push({ name: 'OTEL_EXPORTER_OTLP_HEADERS', valueFrom: { secretKeyRef: { name: s.otlpHeadersSecret, key: s.otlpHeadersSecretKey } } });
  }
  if (s.otlpTlsSecret) {
    add('OTEL_EXPORTER_OTLP_CERTIFICATE', `${TLS_MOUNT}/ca.crt`);
    if (s.otlpTlsClientCert) {
      add('OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', `${TLS_MOUNT}/tls.crt`);
      add('OTEL_EXPORTER_OTLP_CLIENT_KEY', `${TLS_MOUNT}/tls.key`);
    }
  }
  add('OTEL_TRACES_SAMPLER', s.sampler, 'sampler');
  add('OTEL_TRACES_SAMPLER_ARG', s.samplerArg, 'sampler-arg');
  add('MCP_TRACE_PROXY_KEEP_ERRORS', s.keepErrors, 'keep-errors');
  add('MCP_TRACE_PROXY_KEEP_SLOW', s.keepSlow, 'keep-slow');
  add('MCP_TRACE_PROXY_ATTRIBUTE_HEADER', s.attributeHeader, 'attribute-header');
  add('MCP_TRACE_PROXY_ATTRIBUTE_JWT_CLAIM', s.attributeJwtClaim, 'attribute-jwt-claim');
  for (const [name, fieldPath] of DOWNWARD) env.push({ name, valueFrom: { fieldRef: { fieldPath } } });
  // $(VAR) is expanded by the kubelet from the variables above.
  const attrs = [...DOWNWARD.map(([name, , attr]) => `${attr}=$(${name})`), `k8s.container.name=${CONTAINER_NAME}`];
  add('OTEL_RESOURCE_ATTRIBUTES', attrs.join(','));
  return { env, from };
}

/** The container, as one item of initContainers (native sidecar) or containers. */
export function sidecarContainer(s: InjectSettings, env: readonly EnvVar[]): Record<string, unknown> {
  const probe = (path: string, fields: Record<string, number>) => ({ httpGet: { path, port: s.adminPort }, ...fields });
  const resources: Record<string, unknown> = {};
  if (Object.keys(s.requests).length) resources.requests = { ...s.requests };
  if (Object.keys(s.limits).length) resources.limits = { ...s.limits };
  return {
    name: CONTAINER_NAME,
    image: s.image,
    imagePullPolicy: s.imagePullPolicy,
    ...(s.nativeSidecar ? { restartPolicy: 'Always' } : {}),
    ports: [
      { name: PROXY_PORT_NAME, containerPort: s.proxyPort, protocol: 'TCP' },
      { name: ADMIN_PORT_NAME, containerPort: s.adminPort, protocol: 'TCP' },
    ],
    env,
    ...(s.otlpTlsSecret ? { volumeMounts: [{ name: TLS_VOLUME, mountPath: TLS_MOUNT, readOnly: true }] } : {}),
    // A native sidecar must be started before the server containers start: the kubelet waits for this probe.
    ...(s.nativeSidecar ? { startupProbe: probe('/healthz', { periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 30 }) } : {}),
    livenessProbe: probe('/healthz', { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 }),
    readinessProbe: probe('/readyz', { initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 }),
    ...(Object.keys(resources).length ? { resources } : {}),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/** The volume of the collector's TLS Secret (only the keys used, so a missing tls.key is no error). */
export function tlsVolume(s: InjectSettings): Record<string, unknown> | null {
  if (!s.otlpTlsSecret) return null;
  const keys = s.otlpTlsClientCert ? ['ca.crt', 'tls.crt', 'tls.key'] : ['ca.crt'];
  return { name: TLS_VOLUME, secret: { secretName: s.otlpTlsSecret, items: keys.map((key) => ({ key, path: key })) } };
}
