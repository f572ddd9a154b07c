// A cassette's operations: each request paired with its response (same key, opposite direction,
// same id), with what the peer sent on the way (notifications and nested requests). Pure: the
// mock, the replay against a server and the report all read a cassette through this.
import type { CassetteRecord, Direction } from './format';

export interface Operation {
  readonly key: string;
  readonly dir: Direction;
  readonly method: string;
  readonly request: CassetteRecord;
  /** Undefined when the cassette ends before the answer. */
  response?: CassetteRecord;
  /** Messages of the other side between the request and its answer, in order (server notifications, nested requests). */
  readonly during: CassetteRecord[];
  /** Requests the other side sent while this one was open: a server→client request under a tool call. */
  readonly nested: Operation[];
}

export interface Transcript {
  /** Operations in the order their requests passed. */
  readonly operations: readonly Operation[];
  /** Notifications, in order, with the operation open in their key when they passed (if one). */
  readonly notifications: readonly { readonly record: CassetteRecord; readonly during?: Operation }[];
}

export function transcript(records: readonly CassetteRecord[]): Transcript {
  const operations: Operation[] = [];
  const notifications: { record: CassetteRecord; during?: Operation }[] = [];
  const open = new Map<string, Operation>(); // key dir id → operation
  const openIn = (key: string, dir: Direction) => {
    let found: Operation | undefined;
    for (const op of open.values()) if (op.key === key && op.dir === dir) found = op; // the newest
    return found;
  };
  for (const r of records) {
    const m = r.message;
    const id = JSON.stringify(m.id);
    const other: Direction = r.dir === 'client_to_server' ? 'server_to_client' : 'client_to_server';
    if (typeof m.method === 'string') {
      const asker = openIn(r.key, other);
      if (m.id === undefined) {
        notifications.push({ record: r, during: asker });
        asker?.during.push(r);
        continue;
      }
      const op: Operation = { key: r.key, dir: r.dir, method: m.method, request: r, during: [], nested: [] };
      if (asker) {
        asker.nested.push(op);
        asker.during.push(r);
      }
      operations.push(op);
      open.set(`${r.key} ${r.dir} ${id}`, op);
      continue;
    }
    const op = open.get(`${r.key} ${other} ${id}`);
    if (!op) continue; // an answer to nothing recorded (before a rotation, or a null-id error)
    open.delete(`${r.key} ${other} ${id}`);
    op.response = r;
  }
  return { operations, notifications };
}

/** The record's `result`, or undefined. */
export function resultOf(r: CassetteRecord | undefined): unknown {
  return r?.message.result;
}

/** Whether the answer is an error: a JSON-RPC error, or a tool's isError. */
export function isFailure(r: CassetteRecord | undefined): boolean {
  if (!r) return false;
  if (r.message.error !== undefined) return true;
  const result = r.message.result as { isError?: unknown } | undefined;
  return result?.isError === true;
}

/** The operation's target: a tool's or prompt's name, a resource's URI. */
export function targetOf(op: Operation): string | undefined {
  const p = op.request.message.params as Record<string, unknown> | undefined;
  const t = p?.name ?? p?.uri;
  return typeof t === 'string' ? t : undefined;
}
