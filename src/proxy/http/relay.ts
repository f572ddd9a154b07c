// The response relay: the upstream's body goes to the client chunk by chunk as it arrives, whatever
// its content type, with back-pressure; each chunk is shown to `onChunk` (the tap's copy) after it
// is written. Event streams get their headers at once (a GET stream may be silent for hours);
// other bodies with their first byte, so a reset before any byte is still a clean gateway error.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { firstEvent } from '../legacy-sse';
import { writer } from '../flow';

/** A GET stream's first event is held at most this long (bytes) looking for a legacy endpoint. */
const FIRST_EVENT_MAX = 64 * 1024;

/** The legacy endpoint stage: the first event of a GET event stream, rewritten where it must be. */
export interface EndpointStage {
  readonly upstreamOrigin: string;
  readonly publicOrigin: string;
  onSession(id: string): void;
}

export interface RelayOptions {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly eventStream: boolean;
  readonly endpoint: EndpointStage | null;
  onChunk(chunk: Buffer): void;
  onEnd(): void;
  /** The upstream body failed; `headersSent` says whether the client can still get an error response. */
  onError(err: Error, headersSent: boolean): void;
}

export function relay(body: Readable, res: ServerResponse, o: RelayOptions): void {
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    res.writeHead(o.status, o.headers);
  };
  if (o.eventStream) {
    start();
    res.flushHeaders();
  }
  const write = writer(body, res);
  let held: Buffer | null = o.endpoint ? Buffer.alloc(0) : null;
  const pass = (chunk: Buffer) => {
    start();
    write(chunk);
    o.onChunk(chunk);
  };
  body.on('data', (data: Buffer) => {
    if (!held) return pass(data);
    held = Buffer.concat([held, data]);
    const first = firstEvent(held, o.endpoint!.upstreamOrigin, o.endpoint!.publicOrigin);
    if (!first && held.length < FIRST_EVENT_MAX) return;
    const out = first ? first.bytes : held;
    held = null;
    if (first?.sessionId) o.endpoint!.onSession(first.sessionId);
    pass(out);
  });
  body.on('end', () => {
    if (held?.length) pass(held);
    start();
    res.end();
    o.onEnd();
  });
  body.on('error', (err) => {
    if (res.destroyed || res.writableEnded) return;
    o.onError(err, started);
    if (started) res.destroy();
  });
}
