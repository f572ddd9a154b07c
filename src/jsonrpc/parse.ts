// JSON-RPC 2.0 messages from a body or frame. Never throws: what is not JSON-RPC yields null
// and the caller forwards the bytes as they came.

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
  readonly method?: string;
  /** Only object params: positional (array) params carry nothing the proxy reads. */
  readonly params?: Record<string, unknown>;
  readonly result?: unknown;
  readonly error?: RpcError;
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
  if (Array.isArray(value)) {
    const messages: RpcMessage[] = [];
    for (let i = 0; i < value.length; i++) {
      const m = toMessage(value[i], i);
      if (m) messages.push(m);
    }
    return messages.length > 0 ? { batch: true, messages } : null;
  }
  const m = toMessage(value, 0);
  return m ? { batch: false, messages: [m] } : null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is JsonRpcId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** Classifies one decoded value; null when it is not a JSON-RPC message. */
export function toMessage(v: unknown, index = 0): RpcMessage | null {
  if (!isObject(v)) return null;
  const params = isObject(v.params) ? v.params : undefined;
  if (typeof v.method === 'string') {
    if (isId(v.id)) return { kind: 'request', index, id: v.id, method: v.method, params };
    if (v.id === undefined) return { kind: 'notification', index, method: v.method, params };
    return null;
  }
  if ('result' in v || 'error' in v) {
    const id = isId(v.id) ? v.id : undefined;
    const e = v.error;
    const error = isObject(e)
      ? { code: typeof e.code === 'number' ? e.code : 0, message: typeof e.message === 'string' ? e.message : '' }
      : undefined;
    return { kind: 'response', index, id, result: v.result, error };
  }
  return null;
}

/** A map key for a request id that keeps its type: `1` and `"1"` are different ids. */
export function idKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n:${id}` : `s:${id}`;
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

/** A JSON-RPC error body answering the given requests (an array for a batch). */
export function errorBody(ids: readonly (JsonRpcId | null)[], batch: boolean, code: number, message: string, data?: unknown): string {
  const one = (id: JsonRpcId | null) => ({ jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } });
  return JSON.stringify(batch ? ids.map(one) : one(ids.length > 0 ? ids[0] : null));
}
