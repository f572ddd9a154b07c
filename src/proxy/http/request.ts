// Reading a request body for the tap: whole up to the limit, or, past it, a stream that replays
// what was read and then the rest (forwarded untouched).
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export type BoundedRead = { complete: true; buf: Buffer } | { complete: false; stream: Readable } | 'aborted';

export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads a request body up to `max` bytes; past that, a stream of all of it. A callback, not a
 * promise: this runs for every traced request.
 */
export function readBounded(req: IncomingMessage, max: number, done: (read: BoundedRead) => void): void {
  const declared = Number(req.headers['content-length']);
  if (declared > max) return done({ complete: false, stream: req });
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (c: Buffer) => {
    size += c.length;
    chunks.push(c);
    if (size > max) {
      cleanup();
      req.pause();
      done({ complete: false, stream: Readable.from(replay(chunks, req)) });
    }
  };
  const onEnd = () => {
    cleanup();
    done({ complete: true, buf: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) });
  };
  const onAbort = () => {
    cleanup();
    done('aborted');
  };
  const cleanup = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onAbort);
    req.off('aborted', onAbort);
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onAbort);
  req.on('aborted', onAbort);
}

async function* replay(head: Buffer[], rest: IncomingMessage): AsyncGenerator<Buffer> {
  yield* head;
  for await (const c of rest) yield c as Buffer;
}
