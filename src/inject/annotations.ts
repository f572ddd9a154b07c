// The names a user writes on pods and namespaces, and the per-pod overrides read from them.
//
//   pod annotation  mcp-trace-proxy.io/inject: "true"     inject into this pod ("false": never)
//   pod label       mcp-trace-proxy.io/inject: "false"    never (also keeps the webhook from being called)
//   namespace label mcp-trace-proxy.io/inject: enabled    inject into every pod of the namespace
//   pod annotation  mcp-trace-proxy.io/<setting>: value   override a setting of settings.ts for this pod
//   pod label       mcp-trace-proxy.io/injector: "true"   the webhook's own pods (never injected)
import { InjectError } from './errors';
import type { PodView } from './pod';
import { type RawSettings, type RawValue, type SettingKey, isSettingKey } from './settings';

export const PREFIX = 'mcp-trace-proxy.io/';
export const INJECT_KEY = `${PREFIX}inject`;
export const INJECTOR_LABEL = `${PREFIX}injector`;
/** The namespace label's value that turns injection on (the chart's namespaceSelector matches it). */
export const NAMESPACE_ENABLED = 'enabled';

/** What the pod says about injection: its annotation, else its label; null when it says nothing. */
export function injectRequest(pod: PodView): boolean | null {
  for (const [where, map] of [['annotation', pod.annotations], ['label', pod.labels]] as const) {
    const v = map[INJECT_KEY];
    if (v === undefined) continue;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new InjectError('MTP_INJECT_BAD_SETTING', `${INJECT_KEY} (${where}): invalid value ${JSON.stringify(v)}; expected "true" or "false"`);
  }
  return null;
}

export function isOwnPod(pod: PodView): boolean {
  return pod.labels[INJECTOR_LABEL] === 'true';
}

/**
 * The webhook's defaults with this pod's annotations over them. An unknown mcp-trace-proxy.io/ key is
 * an error, as an unknown flag is: a misspelt override would otherwise be dropped without a word.
 */
export function withPodOverrides(defaults: RawSettings, pod: PodView): Map<SettingKey, RawValue> {
  const out = new Map(defaults);
  for (const [name, value] of Object.entries(pod.annotations)) {
    if (!name.startsWith(PREFIX) || name === INJECT_KEY) continue;
    const key = name.slice(PREFIX.length);
    if (!isSettingKey(key)) {
      throw new InjectError('MTP_INJECT_BAD_SETTING', `unknown annotation ${name}; see the README's list of mcp-trace-proxy.io/ annotations`);
    }
    out.set(key, { value, source: name });
  }
  return out;
}
