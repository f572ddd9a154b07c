// Byte-preserving splice of trace keys into `params._meta`.
//
// JSON.parse + JSON.stringify would lose integers above 2^53 and change escapes, key order and
// whitespace, so the body is edited as text: a small scanner that knows strings and nesting finds
// each message's top-level `params` and, inside it, `_meta`; only those spots change. The scanner
// is iterative (no recursion), so deep nesting cannot overflow the stack.

/** The trace keys SEP-414 reserves in `_meta`, in the order they are written. */
export const TRACE_META_KEYS = ['traceparent', 'tracestate', 'baggage'] as const;
export type TraceFields = Partial<Record<(typeof TRACE_META_KEYS)[number], string>>;

const QUOTE = 0x22, BACKSLASH = 0x5c, LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d, COMMA = 0x2c, COLON = 0x3a;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** i at an opening quote; returns the index after the closing quote. */
function skipString(s: string, i: number): number {
  for (i++; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** i at the first character of a value; returns the index after it. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return skipString(s, i);
  if (c !== LBRACE && c !== LBRACKET) {
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (d === COMMA || d === RBRACE || d === RBRACKET || isWs(d)) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i);
    if (d === QUOTE) i = skipString(s, i) - 1;
    else if (d === LBRACE || d === LBRACKET) depth++;
    else if ((d === RBRACE || d === RBRACKET) && --depth === 0) return i + 1;
  }
  throw new SyntaxError('unterminated value');
}

interface Member {
  key: string;
  /** The text between the delimiters around this member (`{`/`,` … `,`/`}`), whitespace included. */
  segStart: number;
  segEnd: number;
  valueStart: number;
  valueEnd: number;
}

/** Members of the object whose `{` is at `open`; `close` is the index of its `}`. */
function members(s: string, open: number): { list: Member[]; close: number } {
  const list: Member[] = [];
  let i = skipWs(s, open + 1);
  if (s.charCodeAt(i) === RBRACE) return { list, close: i };
  let segStart = open + 1;
  for (;;) {
    i = skipWs(s, i);
    const keyEnd = skipString(s, i);
    const raw = s.slice(i + 1, keyEnd - 1);
    const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
    i = skipWs(s, keyEnd);
    if (s.charCodeAt(i) !== COLON) throw new SyntaxError('expected colon');
    const valueStart = skipWs(s, i + 1);
    const valueEnd = skipValue(s, valueStart);
    i = skipWs(s, valueEnd);
    list.push({ key, segStart, segEnd: i, valueStart, valueEnd });
    const c = s.charCodeAt(i);
    if (c === RBRACE) return { list, close: i };
    if (c !== COMMA) throw new SyntaxError('expected comma');
    segStart = ++i;
  }
}

/** Like JSON.parse, the last of duplicate keys wins. */
function lastMember(list: Member[], key: string): Member | undefined {
  for (let k = list.length - 1; k >= 0; k--) if (list[k].key === key) return list[k];
  return undefined;
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

/** The edit that puts `fields` into the message object whose `{` is at `open`, or null. */
function editFor(s: string, open: number, fields: TraceFields): Edit | null {
  const f = fieldsText(fields);
  if (!f) return null;
  const msg = members(s, open);
  const params = lastMember(msg.list, 'params');
  if (!params) {
    const sep = msg.list.length > 0 ? ',' : '';
    return { start: msg.close, end: msg.close, text: `${sep}"params":{"_meta":{${f}}}` };
  }
  if (s.charCodeAt(params.valueStart) !== LBRACE) return null; // positional or invalid params
  const p = members(s, params.valueStart);
  const meta = lastMember(p.list, '_meta');
  if (!meta) {
    const sep = p.list.length > 0 ? ',' : '';
    return { start: params.valueStart + 1, end: params.valueStart + 1, text: `"_meta":{${f}}${sep}` };
  }
  if (s.charCodeAt(meta.valueStart) !== LBRACE) return null;
  const m = members(s, meta.valueStart);
  const kept = m.list.filter((x) => !(TRACE_META_KEYS as readonly string[]).includes(x.key));
  if (kept.length === m.list.length) {
    // Nothing to remove: a pure insertion after `{` keeps every other byte.
    const sep = m.list.length > 0 ? ',' : '';
    return { start: meta.valueStart + 1, end: meta.valueStart + 1, text: `${f}${sep}` };
  }
  const rest = kept.map((x) => s.slice(x.segStart, x.segEnd)).join(',');
  return { start: meta.valueStart + 1, end: m.close, text: rest ? `${f},${rest}` : f };
}

/**
 * Returns `text` with `fields[i]` spliced into the `_meta` of message i (the i-th element of a
 * batch, or the single message), replacing trace keys already there. A null entry leaves that
 * message alone. Returns null when nothing changed or the text is not a JSON object or array.
 */
export function spliceMeta(text: string, fields: readonly (TraceFields | null)[]): string | null {
  try {
    const edits: Edit[] = [];
    let i = skipWs(text, 0);
    const first = text.charCodeAt(i);
    if (first === LBRACE) {
      const e = fields[0] ? editFor(text, i, fields[0]) : null;
      if (e) edits.push(e);
    } else if (first === LBRACKET) {
      i = skipWs(text, i + 1);
      for (let n = 0; text.charCodeAt(i) !== RBRACKET; n++) {
        const f = fields[n];
        if (f && text.charCodeAt(i) === LBRACE) {
          const e = editFor(text, i, f);
          if (e) edits.push(e);
        }
        i = skipWs(text, skipValue(text, i));
        if (text.charCodeAt(i) === COMMA) i = skipWs(text, i + 1);
        else if (text.charCodeAt(i) !== RBRACKET) return null;
      }
    } else {
      return null;
    }
    if (edits.length === 0) return null;
    let out = '';
    let pos = 0;
    for (const e of edits) {
      out += text.slice(pos, e.start) + e.text;
      pos = e.end;
    }
    return out + text.slice(pos);
  } catch {
    return null;
  }
}
