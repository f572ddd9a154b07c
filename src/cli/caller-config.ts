// The caller-attribution options, checked together (config.ts parses each value; this file the rules).
import { ConfigError } from '../errors';
import { parseAttributeNames, parseRules, producedAttributes } from '../tracing/caller';

/** The hash key comes from the environment only: a flag would show it in the process list. */
export const HASH_KEY_ENV = 'MCP_TRACE_PROXY_HASH_KEY';

/** The attribution rules, checked together: what --hash-attribute and --metric-attribute name must be produced by a rule. */
export function callerOptions(values: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  const text = (flag: string) => values[flag] as string | undefined;
  const headers = text('attribute-header') ? parseRules(text('attribute-header') as string, '--attribute-header', 'header') : [];
  const claims = text('attribute-jwt-claim') ? parseRules(text('attribute-jwt-claim') as string, '--attribute-jwt-claim', 'claim') : [];
  const hashed = text('hash-attribute') ? parseAttributeNames(text('hash-attribute') as string, '--hash-attribute') : [];
  const metric = text('metric-attribute') ? parseAttributeNames(text('metric-attribute') as string, '--metric-attribute') : [];
  const produced = producedAttributes(headers, claims);
  for (const [flag, names] of [['--hash-attribute', hashed], ['--metric-attribute', metric]] as const) {
    const unknown = names.find((n) => !produced.has(n));
    if (unknown !== undefined) {
      throw new ConfigError(`${flag} ${unknown}: no --attribute-header or --attribute-jwt-claim produces it; e.g. --attribute-header x-tenant-id=${unknown} ${flag} ${unknown}`);
    }
  }
  const hashKey = env[HASH_KEY_ENV] || null;
  if (hashed.length > 0 && !hashKey) throw new ConfigError(`--hash-attribute needs a key: set ${HASH_KEY_ENV} (keep it secret; the same key gives the same hashes across restarts)`);
  return { attributeHeaders: headers, attributeJwtClaims: claims, hashAttributes: hashed, hashKey, metricAttributes: metric };
}
