// A small JSON scanner over raw text: it knows strings and nesting, and nothing else. The splice
// (inject.ts) and exact request ids (parse.ts) use it, so that neither has to re-encode the text.
// It is iterative (no recursion), so deep nesting cannot overflow the stack. Every function throws
// a SyntaxError on text that is not JSON; callers catch it.

export const QUOTE = 0x22, BACKSLASH = 0x5c, LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d, COMMA = 0x2c, COLON = 0x3a;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** i at an opening quote; returns the index after the closing quote. */
export function skipString(s: string, i: number): number {
  for (i++; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** i at the first character of a value; returns the index after it. */
export function skipValue(s: string, i: number): number {
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

export interface Member {
  key: string;
  /** The text between the delimiters around this member (`{`/`,` … `,`/`}`), whitespace included. */
  segStart: number;
  segEnd: number;
  valueStart: number;
  valueEnd: number;
}

/** Members of the object whose `{` is at `open`; `close` is the index of its `}`. */
export function members(s: string, open: number): { list: Member[]; close: number } {
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
export function lastMember(list: Member[], key: string): Member | undefined {
  for (let k = list.length - 1; k >= 0; k--) if (list[k].key === key) return list[k];
  return undefined;
}

/**
 * The start index of each top-level message: the text's own object, or each element of a
 * top-level array. Elements that are not objects are -1, so indexes line up with the batch.
 */
export function messageStarts(text: string): number[] {
  let i = skipWs(text, 0);
  const first = text.charCodeAt(i);
  if (first === LBRACE) return [i];
  if (first !== LBRACKET) throw new SyntaxError('not an object or array');
  const starts: number[] = [];
  i = skipWs(text, i + 1);
  while (text.charCodeAt(i) !== RBRACKET) {
    starts.push(text.charCodeAt(i) === LBRACE ? i : -1);
    i = skipWs(text, skipValue(text, i));
    if (text.charCodeAt(i) === COMMA) i = skipWs(text, i + 1);
    else if (text.charCodeAt(i) !== RBRACKET) throw new SyntaxError('expected comma');
  }
  return starts;
}
