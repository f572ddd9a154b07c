// The raw text of a member of a parsed message (`params.arguments`, `result`), read from the frame
// by the scanner's positions: what the peer sent, byte for byte, never re-encoded. Sizes and token
// estimates are taken from it. Never throws: undefined when the member or the frame is missing.
import type { RpcMessage } from './parse';
import { LBRACE, lastMember, members, messageStarts } from './scan';

export const ARGUMENTS_PATH: readonly string[] = ['params', 'arguments'];
export const RESULT_PATH: readonly string[] = ['result'];

/** The member's JSON text as it was sent (a slice of the frame, not a copy), or undefined. */
export function rawMember(m: RpcMessage, path: readonly string[]): string | undefined {
  const text = m.frame;
  if (text === undefined || path.length === 0) return undefined;
  try {
    let at = m.index === 0 && text.charCodeAt(0) === LBRACE ? 0 : messageStarts(text)[m.index];
    if (at === undefined || at < 0) return undefined;
    let start = -1;
    let end = -1;
    for (const key of path) {
      if (text.charCodeAt(at) !== LBRACE) return undefined;
      const member = lastMember(members(text, at).list, key);
      if (!member) return undefined;
      start = at = member.valueStart;
      end = member.valueEnd;
    }
    return text.slice(start, end);
  } catch {
    return undefined;
  }
}

/** The UTF-8 byte length of the member's JSON text, or undefined. */
export function memberBytes(m: RpcMessage, path: readonly string[]): number | undefined {
  const raw = rawMember(m, path);
  return raw === undefined ? undefined : Buffer.byteLength(raw, 'utf8');
}
