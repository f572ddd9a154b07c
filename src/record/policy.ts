// The capture and redaction policy of the cassette, applied before a byte is written. Tool
// arguments and results are kept only when captured (--capture-arguments, --capture-results), and
// then masked by the span rules (tracing/redact.ts, --redact-key); else a marker stands in. The
// rest of a message is masked by the same rules, except a few protocol keys whose names only look
// secret (progressToken, maxTokens): replay needs them as they were. Headers are never recorded.
import { maskString, normalizeKey, redactValue } from '../tracing/redact';

export interface RecordPolicy {
  readonly captureArguments: boolean;
  readonly captureResults: boolean;
  /** Normalized key fragments (tracing/redact.ts). */
  readonly redactKeys: readonly string[];
}

export const ARGUMENTS_MARKER = '[not captured: --capture-arguments]';
export const RESULTS_MARKER = '[not captured: --capture-results]';
const MASK = '[REDACTED]';
const MAX_DEPTH = 64;

/** MCP keys that contain a secret-sounding fragment ("token") but hold protocol values. */
const PROTOCOL_KEYS: ReadonlySet<string> = new Set(['progresstoken', 'maxtokens']);

/**
 * The message to write. `method` is the request's method: the message's own, or for a response the
 * method of the request it answers (undefined when unknown: then its result counts as a tool's).
 */
export function applyPolicy(message: Record<string, unknown>, method: string | undefined, policy: RecordPolicy): Record<string, unknown> {
  const out = envelope(message, policy.redactKeys, 0) as Record<string, unknown>;
  const isResponse = !('method' in message);
  if (!isResponse && method === 'tools/call' && isObject(message.params) && 'arguments' in message.params) {
    const params = out.params as Record<string, unknown>;
    params.arguments = policy.captureArguments ? redactValue(message.params.arguments, policy.redactKeys) : ARGUMENTS_MARKER;
  }
  if (isResponse && (method === 'tools/call' || method === undefined) && isObject(message.result)) {
    out.result = toolResult(message.result, policy);
  }
  return out;
}

function toolResult(result: Record<string, unknown>, policy: RecordPolicy): Record<string, unknown> {
  if (policy.captureResults) return redactValue(result, policy.redactKeys) as Record<string, unknown>;
  // The shape a client validates stays (content is an array of blocks); what the tool said does not.
  const kept: Record<string, unknown> = { content: [{ type: 'text', text: RESULTS_MARKER }] };
  if (typeof result.isError === 'boolean') kept.isError = result.isError;
  return kept;
}

/** Masks secret-named keys and secret-looking strings everywhere, sparing the protocol keys. */
function envelope(v: unknown, keys: readonly string[], depth: number): unknown {
  if (typeof v === 'string') return maskString(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_DEPTH) return '[TOO DEEP]';
  if (Array.isArray(v)) return v.map((x) => envelope(x, keys, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const nk = normalizeKey(k);
    out[k] = !PROTOCOL_KEYS.has(nk) && keys.some((r) => nk.includes(r)) ? MASK : envelope(x, keys, depth + 1);
  }
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
