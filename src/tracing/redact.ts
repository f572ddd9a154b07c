// Opt-in capture of tool arguments and results, made safe: keys that name secrets are masked,
// values that look like secrets (bearer tokens, JWTs, API keys, e-mail addresses) are masked,
// nesting is bounded and the text is truncated.

/** Masked wherever they appear in a key (case, '-' and '_' ignored): `access_token`, `X-Api-Key`, … */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'password', 'passwd', 'secret', 'token', 'apikey', 'authorization', 'cookie', 'credential', 'privatekey', 'accesskey', 'session',
];

const MASK = '[REDACTED]';
const MAX_DEPTH = 32;

// Each pattern is linear in the input: it starts only where its first token can start (a literal,
// or a lookbehind that refuses the middle of a run), so no run of characters is scanned once per
// position. The e-mail pattern without its lookbehind took 20 s on an 80 KB string.
const PATTERNS: readonly [RegExp, string][] = [
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, `Bearer ${MASK}`],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/g, MASK], // JWT
  [/\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}/g, MASK], // OpenAI/Stripe-style keys
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, MASK], // GitHub tokens
  [/\bAKIA[0-9A-Z]{16}\b/g, MASK], // AWS access key ids
  [/(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])/g, '[EMAIL]'],
];

export function normalizeKey(k: string): string {
  return k.toLowerCase().replace(/[-_\s]/g, '');
}

export function maskString(s: string): string {
  let out = s;
  for (const [re, repl] of PATTERNS) out = out.replace(re, repl);
  return out;
}

function scrub(v: unknown, keys: readonly string[], depth: number, maxLength: number): unknown {
  // Cut before matching: the text is truncated to maxLength anyway, and matching costs its length.
  if (typeof v === 'string') return maskString(v.length > maxLength ? v.slice(0, maxLength) : v);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_DEPTH) return '[TOO DEEP]';
  if (Array.isArray(v)) return v.map((x) => scrub(x, keys, depth + 1, maxLength));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const nk = normalizeKey(k);
    out[k] = keys.some((r) => nk.includes(r)) ? MASK : scrub(x, keys, depth + 1, maxLength);
  }
  return out;
}

/** `value` with secrets masked by the same rules, whole (no truncation): the recorder's captured data. */
export function redactValue(value: unknown, keys: readonly string[]): unknown {
  return scrub(value, keys, 0, Infinity);
}

/** JSON text of `value` with secrets masked, at most `maxLength` characters. `keys` are normalized (normalizeKey). */
export function redactedJson(value: unknown, keys: readonly string[], maxLength: number): string {
  const text = JSON.stringify(scrub(value, keys, 0, maxLength)) ?? 'null';
  return text.length > maxLength ? `${text.slice(0, maxLength)}…[truncated]` : text;
}
