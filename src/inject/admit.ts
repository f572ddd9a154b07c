// The decision for one admission request: inject, or skip with a reason (and, where the user asked
// for injection and did not get it, a warning saying why). Pure but for the proxy's validation, which
// reads nothing outside its arguments.
import { injectRequest, isOwnPod, withPodOverrides } from './annotations';
import { InjectError } from './errors';
import { type PatchOp, hasProxy, planSidecar } from './patch';
import { type PodView, readPod } from './pod';
import { checkWithProxy } from './proxy-check';
import type { AdmissionRequest } from './review';
import { type RawSettings, resolveSettings } from './settings';

/** How the webhook was reached: `pod`, pods opt in by annotation; `namespace`, the namespace is labelled. */
export type Scope = 'pod' | 'namespace';

export type SkipReason =
  | 'not_pod_create' | 'own_pod' | 'not_requested' | 'opted_out' | 'already_injected' | 'host_network'
  | 'invalid_setting' | 'no_upstream_port' | 'port_conflict';

export type Outcome =
  | { readonly kind: 'injected'; readonly ops: readonly PatchOp[]; readonly native: boolean; readonly pod: PodView }
  | { readonly kind: 'skipped'; readonly reason: SkipReason; readonly warning: string | null; readonly pod: PodView | null }
  | { readonly kind: 'malformed'; readonly warning: string };

export interface AdmitOptions {
  /** The webhook's settings (flags and variables); annotations go over them. */
  readonly defaults: RawSettings;
  /** The webhook's own namespace: its pods are never injected. */
  readonly ownNamespace: string | null;
}

const REASONS: Partial<Record<InjectError['code'], SkipReason>> = {
  MTP_INJECT_BAD_SETTING: 'invalid_setting',
  MTP_INJECT_NO_UPSTREAM_PORT: 'no_upstream_port',
  MTP_INJECT_PORT_CONFLICT: 'port_conflict',
};

export function admit(request: AdmissionRequest, scope: Scope, opts: AdmitOptions): Outcome {
  const skip = (reason: SkipReason, pod: PodView | null, warning: string | null = null): Outcome => ({ kind: 'skipped', reason, warning, pod });
  const isPod = request.kind.group === '' && request.kind.kind === 'Pod' && request.resource === 'pods' && request.subResource === '';
  if (!isPod || request.operation !== 'CREATE') return skip('not_pod_create', null);
  let pod: PodView;
  try {
    pod = readPod(request.object);
  } catch (err) {
    if (err instanceof InjectError) return { kind: 'malformed', warning: `mcp-trace-proxy: not injected: ${err.message}` };
    throw err;
  }
  if (isOwnPod(pod) || (opts.ownNamespace !== null && request.namespace === opts.ownNamespace)) return skip('own_pod', pod);
  try {
    const wanted = injectRequest(pod);
    if (wanted === false) return skip('opted_out', pod);
    if (wanted === null && scope === 'pod') return skip('not_requested', pod);
    if (hasProxy(pod)) return skip('already_injected', pod);
    if (pod.hostNetwork) return skip('host_network', pod, 'mcp-trace-proxy: not injected: the pod uses hostNetwork, where the proxy\'s ports would open on the node');
    const settings = resolveSettings(withPodOverrides(opts.defaults, pod));
    const plan = planSidecar(pod, settings);
    checkWithProxy(plan.env, plan.from, settings);
    return { kind: 'injected', ops: plan.ops, native: settings.nativeSidecar, pod };
  } catch (err) {
    const reason = err instanceof InjectError ? REASONS[err.code] : undefined;
    if (!reason) throw err;
    return skip(reason, pod, `mcp-trace-proxy: not injected: ${(err as Error).message}`);
  }
}
