// Byte-preserving splice of trace keys into `params._meta`.
//
// JSON.parse + JSON.stringify would lose integers above 2^53 and change escapes, key order and
// whitespace, so the body is edited as text (scan.ts finds each message's top-level `params` and,
// inside it, `_meta`); only those spots change.
import { LBRACE, Member, lastMember, members, messageStarts } from './scan';

/** The trace keys SEP-414 reserves in `_meta`, in the order they are written. */
export const TRACE_META_KEYS = ['traceparent', 'tracestate', 'baggage'] as const;
export type TraceFields = Partial<Record<(typeof TRACE_META_KEYS)[number], string>>;

/** What to do with message i: put `fields` into an existing `_meta`, and create one only when `create`. */
export interface MetaEdit {
  readonly fields: TraceFields;
  readonly create: boolean;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function fieldsText(fields: TraceFields): string {
  const parts: string[] = [];
  for (const k of TRACE_META_KEYS) {
    const v = fields[k];
    if (v !== undefined) parts.push(`"${k}":${JSON.stringify(v)}`);
  }
  return parts.join(',');
}

/** The edit that puts the fields into the message object whose `{` is at `open`, or null. */
function editFor(s: string, open: number, edit: MetaEdit): Edit | null {
  const f = fieldsText(edit.fields);
  if (!f) return null;
  const msg = members(s, open);
  const params = lastMember(msg.list, 'params');
  if (!params) {
    if (!edit.create) return null;
    const sep = msg.list.length > 0 ? ',' : '';
    return { start: msg.close, end: msg.close, text: `${sep}"params":{"_meta":{${f}}}` };
  }
  if (s.charCodeAt(params.valueStart) !== LBRACE) return null; // positional or invalid params
  const p = members(s, params.valueStart);
  const meta = lastMember(p.list, '_meta');
  if (!meta) {
    if (!edit.create) return null;
    const sep = p.list.length > 0 ? ',' : '';
    return { start: params.valueStart + 1, end: params.valueStart + 1, text: `"_meta":{${f}}${sep}` };
  }
  if (s.charCodeAt(meta.valueStart) !== LBRACE) return null; // null or odd `_meta`: not ours to fix
  const m = members(s, meta.valueStart);
  // Only the keys written now are replaced: a client's baggage stays when no baggage propagator runs.
  // Own keys only: a member named "toString" is not a trace key.
  const replaced = (x: Member) => Object.hasOwn(edit.fields, x.key) && edit.fields[x.key as keyof TraceFields] !== undefined;
  const kept = m.list.filter((x) => !replaced(x));
  if (kept.length === m.list.length) {
    // Nothing to remove: a pure insertion after `{` keeps every other byte.
    const sep = m.list.length > 0 ? ',' : '';
    return { start: meta.valueStart + 1, end: meta.valueStart + 1, text: `${f}${sep}` };
  }
  const rest = kept.map((x) => s.slice(x.segStart, x.segEnd)).join(',');
  return { start: meta.valueStart + 1, end: m.close, text: rest ? `${f},${rest}` : f };
}

/**
 * Returns `text` with `edits[i]` applied to message i (the i-th element of a batch, or the single
 * message). A null entry leaves that message alone. Returns null when nothing changed or the text
 * is not a JSON object or array.
 */
export function spliceMeta(text: string, edits: readonly (MetaEdit | null)[]): string | null {
  try {
    const done: Edit[] = [];
    const starts = messageStarts(text);
    for (let n = 0; n < starts.length; n++) {
      const e = edits[n] && starts[n] >= 0 ? editFor(text, starts[n], edits[n] as MetaEdit) : null;
      if (e) done.push(e);
    }
    if (done.length === 0) return null;
    let out = '';
    let pos = 0;
    for (const e of done) {
      out += text.slice(pos, e.start) + e.text;
      pos = e.end;
    }
    return out + text.slice(pos);
  } catch {
    return null;
  }
}
