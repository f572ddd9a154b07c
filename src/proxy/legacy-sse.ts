// The 2024-11-05 HTTP+SSE transport: a GET stream whose first event, `endpoint`, names the URL the
// client POSTs to (e.g. /message?sessionId=…); the POSTs are answered 202 and their responses
// arrive on the stream. The proxy correlates both by that session id, and rewrites the endpoint
// only when it is an absolute URL pointing at the upstream (a relative one already leads back here).

/** The legacy session id of a POST URL or endpoint (`sessionId` query parameter), if any. */
export function legacySessionId(url: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get('sessionId') ?? undefined;
}

export interface FirstEvent {
  /** The bytes to send the client: the held bytes, with the endpoint rewritten where needed. */
  readonly bytes: Buffer;
  /** The session id the endpoint names, when the first event is an endpoint. */
  readonly sessionId?: string;
}

/** End of the first SSE event (after its blank line) in `buf`, or -1. Works on bytes: the separators are ASCII. */
function firstEventEnd(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c !== 0x0a && c !== 0x0d) continue;
    let j = i + (c === 0x0d && buf[i + 1] === 0x0a ? 2 : 1);
    if (j >= buf.length) return -1;
    const d = buf[j];
    if (d === 0x0a) return j + 1;
    if (d === 0x0d) return buf[j + 1] === 0x0a ? j + 2 : j + 1 < buf.length ? j + 1 : -1;
    i = j - 1;
  }
  return -1;
}

/**
 * Looks at the first event of a GET event stream once it is complete in `held` (null until then).
 * `upstreamOrigin` is e.g. http://127.0.0.1:3001; `publicOrigin` the proxy as the client reached it.
 */
export function firstEvent(held: Buffer, upstreamOrigin: string, publicOrigin: string): FirstEvent | null {
  const end = firstEventEnd(held);
  if (end < 0) return null;
  const text = held.subarray(0, end).toString('utf8');
  const lines = text.split(/\r\n|\r|\n/);
  let event = '';
  let dataLine = -1;
  lines.forEach((l, i) => {
    if (l.startsWith('event:')) event = l.slice(6).trim();
    else if (l.startsWith('data:') && dataLine < 0) dataLine = i;
  });
  if (event !== 'endpoint' || dataLine < 0) return { bytes: held };
  const data = lines[dataLine].slice(5).replace(/^ /, '');
  const sessionId = legacySessionId(data);
  let target: URL | null = null;
  try {
    target = /^[a-z][a-z0-9+.-]*:/i.test(data) ? new URL(data) : null;
  } catch {
    target = null;
  }
  if (!target || target.origin !== upstreamOrigin) return { bytes: held, sessionId };
  const sep = /\r\n|\r|\n/.exec(text)?.[0] ?? '\n';
  lines[dataLine] = `data: ${publicOrigin}${target.pathname}${target.search}`;
  const rewritten = Buffer.from(lines.join(sep), 'utf8');
  return { bytes: Buffer.concat([rewritten, held.subarray(end)]), sessionId };
}
