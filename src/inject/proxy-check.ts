// Runs the proxy's own flag validation (parseConfig) on the environment the injected proxy will
// get, so that a value the proxy would refuse at start (and crash-loop on) is refused here instead,
// blamed on the flag or annotation that set it.
import { parseConfig } from '../cli/config';
import { ConfigError } from '../errors';
import { FILE_VARS, type EnvVar } from './container';
import { InjectError } from './errors';
import type { InjectSettings, SettingKey } from './settings';

/**
 * Throws MTP_INJECT_BAD_SETTING when the proxy would not start with this environment. Variables
 * from Secrets and the downward API, and file paths inside the pod, are left out: they only exist there.
 */
export function checkWithProxy(env: readonly EnvVar[], from: ReadonlyMap<string, string>, settings: InjectSettings): void {
  const plain: Record<string, string> = {};
  for (const e of env) if ('value' in e && !FILE_VARS.has(e.name)) plain[e.name] = e.value;
  try {
    parseConfig([], plain);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // The proxy's message starts with the variable's name (or, for some, its flag's, which reads the
    // same variable): name the setting's source instead.
    const named = /^(--[a-z][a-z-]*|[A-Z][A-Z0-9_]*)\b/.exec(err.message)?.[1];
    const variable = named?.startsWith('--') ? `MCP_TRACE_PROXY_${named.slice(2).toUpperCase().replace(/-/g, '_')}` : named;
    const key = variable ? (from.get(variable) as SettingKey | undefined) : undefined;
    const source = key ? settings.sources.get(key) ?? `--${key}` : undefined;
    const message = source && named ? `${source}${err.message.slice(named.length)}` : err.message;
    throw new InjectError('MTP_INJECT_BAD_SETTING', message, { cause: err });
  }
}
