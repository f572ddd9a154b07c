// JSON-RPC 2.0 messages from a body or frame. Never throws: what is not JSON-RPC yields null
// and the caller forwards the bytes as they came.
import { lastMember, members, messageStarts } from './scan';

export type JsonRpcId = string | number;

export interface RpcError {
  readonly code: number;
  readonly message: string;
}

export interface RpcMessage {
  readonly kind: 'request' | 'notification' | 'response';
  /** Position in the batch (0 for a single message), so splices line up with messages. */
  readonly index: number;
  readonly id?: JsonRpcId;
  /**
   * The id as a correlation key: its exact JSON text, so `1` and `"1"` differ, and so do 2^53 and
   * 2^53+1, which JSON.parse turns into the same number.
   */
  readonly idText?: string;
  readonly method?: string;
  /** Only object params: positional (array) params carry nothing the proxy reads. */
  readonly params?: Record<string, unknown>;
  readonly result?: unknown;
  readonly error?: RpcError;
  /** The text it was parsed from (the whole frame: a batch's too), so a member's raw size can be read (size.ts). */
  readonly frame?: string;
}

export interface ParsedBody {
  readonly batch: boolean;
  readonly messages: readonly RpcMessage[];
}

/** Parses a body holding one JSON-RPC message or a batch (array) of them. */
export function parseBody(text: string): ParsedBody | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  let messages: RpcMessage[];
  if (Array.isArray(value)) {
    messages = [];
    for (let i = 0; i < value.length; i++) {
      const m = toMessage(value[i], i, text);
      if (m) messages.push(m);
    }
  } else {
    const m = toMessage(value, 0, text);
    messages = m ? [m] : [];
  }
  if (messages.length === 0) return null;
  // Rare: a number id JSON.parse may have changed (past 2^53, fractions). Read its text instead.
  if (messages.some((m) => typeof m.id === 'number' && !Number.isSafeInteger(m.id))) messages = messages.map((m) => exactId(text, m));
  return { batch: Array.isArray(value), messages };
}

function exactId(text: string, m: RpcMessage): RpcMessage {
  if (typeof m.id !== 'number' || Number.isSafeInteger(m.id)) return m;
  try {
    const start = messageStarts(text)[m.index];
    const id = lastMember(members(text, start).list, 'id');
    return id ? { ...m, idText: text.slice(id.valueStart, id.valueEnd) } : m;
  } catch {
    return m;
  }
}

/** The correlation key text of an id: a string as JSON, a number as written. */
export function idTextOf(id: JsonRpcId): string {
  return typeof id === 'string' ? JSON.stringify(id) : String(id);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is JsonRpcId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** Classifies one decoded value; null when it is not a JSON-RPC message. */
export function toMessage(v: unknown, index = 0, frame?: string): RpcMessage | null {
  if (!isObject(v) || v.jsonrpc !== '2.0') return null;
  const params = isObject(v.params) ? v.params : undefined;
  if (typeof v.method === 'string') {
    if (isId(v.id)) return { kind: 'request', index, id: v.id, idText: idTextOf(v.id), method: v.method, params, frame };
    if (v.id === undefined) return { kind: 'notification', index, method: v.method, params, frame };
    return null;
  }
  if ('result' in v || 'error' in v) {
    const id = isId(v.id) ? v.id : undefined;
    const e = v.error;
    const error = isObject(e)
      ? { code: typeof e.code === 'number' ? e.code : 0, message: typeof e.message === 'string' ? e.message : '' }
      : undefined;
    return { kind: 'response', index, id, idText: id === undefined ? undefined : idTextOf(id), result: v.result, error, frame };
  }
  return null;
}

/** A string property of an object, or undefined. */
export function str(obj: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = obj?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** The message's `params._meta` object, or undefined. */
export function metaOf(m: RpcMessage): Record<string, unknown> | undefined {
  const meta = m.params?._meta;
  return isObject(meta) ? meta : undefined;
}

/**
 * A JSON-RPC error body answering the given requests (an array for a batch). Ids are written as
 * their exact text (`idText`), so an id past 2^53 comes back as the client sent it.
 */
export function errorBody(idTexts: readonly (string | null)[], batch: boolean, code: number, message: string, data?: unknown): string {
  const error = JSON.stringify(data === undefined ? { code, message } : { code, message, data });
  const one = (id: string | null) => `{"jsonrpc":"2.0","id":${id ?? 'null'},"error":${error}}`;
  return batch ? `[${idTexts.map(one).join(',')}]` : one(idTexts.length > 0 ? idTexts[0] : null);
}
