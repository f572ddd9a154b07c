// Differences between a recorded answer and a live one, as JSON paths (`result.content[0].text`),
// less the paths the user ignores (--ignore, with `*` for any key or index). Pure.
import { RESULTS_MARKER, isObject } from './policy';

export interface Difference {
  readonly path: string;
  readonly recorded: unknown;
  readonly live: unknown;
}

export type IgnorePath = readonly string[];

/** `$.result.content[0].text`, `result.content[*].text` → segments; throws on an empty path. */
export function parseIgnore(path: string): IgnorePath {
  const body = path.trim().replace(/^\$\.?/, '');
  const segments: string[] = [];
  for (const m of body.matchAll(/([^.[\]]+)|\[(\*|\d+|"[^"]*"|'[^']*')\]/g)) {
    const raw = m[1] ?? m[2];
    segments.push(/^["']/.test(raw) ? raw.slice(1, -1) : raw);
  }
  if (segments.length === 0) throw new Error(`--ignore: ${JSON.stringify(path)} is not a JSON path; expected e.g. result.content[0].text or $.result.meta.time`);
  return segments;
}

/** The differences in `result` and `error` of two responses, none under an ignored path. */
export function diffResponses(recorded: Record<string, unknown>, live: Record<string, unknown>, ignore: readonly IgnorePath[]): Difference[] {
  const out: Difference[] = [];
  for (const field of ['result', 'error']) walk(recorded[field], live[field], [field], ignore, out);
  return out;
}

function ignored(path: readonly string[], ignore: readonly IgnorePath[]): boolean {
  return ignore.some((p) => p.length <= path.length && p.every((s, i) => s === '*' || s === path[i]));
}

function walk(a: unknown, b: unknown, path: string[], ignore: readonly IgnorePath[], out: Difference[]): void {
  if (ignored(path, ignore)) return;
  // A result the recording did not capture matches whatever the server says now.
  if (isObject(a) && Array.isArray(a.content) && isObject(a.content[0]) && a.content[0].text === RESULTS_MARKER) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], [...path, String(i)], ignore, out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], [...path, k], ignore, out);
    return;
  }
  if (a !== b && JSON.stringify(a) !== JSON.stringify(b)) out.push({ path: formatPath(path), recorded: a, live: b });
}

export function formatPath(path: readonly string[]): string {
  return path.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join('');
}
