// Pure: a pod and the settings in, the JSON Patch (RFC 6902) ops that add the proxy out. Paths are
// JSON Pointers (RFC 6901): a list that does not exist yet is created whole, an existing one is
// appended to with `/-`, so the patch applies to exactly the pod it was made for.
import { ADMIN_PORT_NAME, CONTAINER_NAME, PROXY_PORT_NAME, TLS_VOLUME, type EnvVar, sidecarContainer, sidecarEnv, tlsVolume } from './container';
import { InjectError } from './errors';
import type { PodView } from './pod';
import type { InjectSettings } from './settings';

export type PatchOp = { readonly op: 'add'; readonly path: string; readonly value: unknown };

export interface SidecarPlan {
  readonly ops: readonly PatchOp[];
  readonly upstream: string;
  /** The proxy's environment, and which setting each variable came from (for proxy-check.ts). */
  readonly env: readonly EnvVar[];
  readonly from: ReadonlyMap<string, string>;
}

export function hasProxy(pod: PodView): boolean {
  return [...pod.containers, ...pod.initContainers].some((c) => c.name === CONTAINER_NAME);
}

/** The upstream port: the setting (a number, or a port name in the pod), else the only port of the only container. */
export function upstreamPort(pod: PodView, s: InjectSettings): number {
  const source = s.sources.get('upstream-port') ?? 'mcp-trace-proxy.io/upstream-port';
  if (typeof s.upstreamPort === 'number') return s.upstreamPort;
  const ports = pod.containers.flatMap((c) => c.ports);
  if (typeof s.upstreamPort === 'string') {
    const named = ports.find((p) => p.name === s.upstreamPort);
    if (!named) throw new InjectError('MTP_INJECT_NO_UPSTREAM_PORT', `${source}: no container port is named ${JSON.stringify(s.upstreamPort)}`);
    return named.containerPort;
  }
  if (pod.containers.length === 1 && ports.length === 1) return ports[0].containerPort;
  throw new InjectError('MTP_INJECT_NO_UPSTREAM_PORT',
    `set ${source} to the MCP server's port: the pod has ${pod.containers.length} container(s) with ${ports.length} port(s), so it cannot be guessed`);
}

/** The proxy's two ports, and their names, must be free in the pod (containers share one network namespace). */
function checkPorts(pod: PodView, s: InjectSettings, upstream: number): void {
  const ports = [...pod.containers, ...pod.initContainers].flatMap((c) => c.ports);
  for (const [port, what] of [[s.proxyPort, 'proxy-port'], [s.adminPort, 'proxy-admin-port']] as const) {
    if (port === upstream || ports.some((p) => p.containerPort === port)) {
      throw new InjectError('MTP_INJECT_PORT_CONFLICT', `${s.sources.get(what) ?? `--${what}`}: port ${port} is used in the pod; set mcp-trace-proxy.io/${what} to a free port`);
    }
  }
  const taken = ports.find((p) => p.name === PROXY_PORT_NAME || p.name === ADMIN_PORT_NAME);
  if (taken) throw new InjectError('MTP_INJECT_PORT_CONFLICT', `a container port of the pod is already named ${taken.name}`);
  if (pod.volumeNames.includes(TLS_VOLUME) && s.otlpTlsSecret) {
    throw new InjectError('MTP_INJECT_PORT_CONFLICT', `the pod already has a volume named ${TLS_VOLUME}`);
  }
}

/** service.name: the setting, else the pod's app.kubernetes.io/name or app label; null: the proxy's default. */
export function serviceName(pod: PodView, s: InjectSettings): string | null {
  return s.serviceName ?? pod.labels['app.kubernetes.io/name'] ?? pod.labels.app ?? null;
}

/** The ops that add the proxy. Throws MTP_INJECT_NO_UPSTREAM_PORT or MTP_INJECT_PORT_CONFLICT. */
export function planSidecar(pod: PodView, s: InjectSettings): SidecarPlan {
  const port = upstreamPort(pod, s);
  checkPorts(pod, s, port);
  const upstream = `http://127.0.0.1:${port}${s.upstreamPath}`;
  const { env, from } = sidecarEnv(s, upstream, serviceName(pod, s));
  const container = sidecarContainer(s, env);
  const ops: PatchOp[] = [];
  if (!s.nativeSidecar) ops.push({ op: 'add', path: '/spec/containers/-', value: container });
  else if (pod.hasInitContainers) ops.push({ op: 'add', path: '/spec/initContainers/-', value: container });
  else ops.push({ op: 'add', path: '/spec/initContainers', value: [container] });
  const volume = tlsVolume(s);
  if (volume) ops.push(pod.hasVolumes ? { op: 'add', path: '/spec/volumes/-', value: volume } : { op: 'add', path: '/spec/volumes', value: [volume] });
  return { ops, upstream, env, from };
}
