// The response relay: the upstream's body goes to the client chunk by chunk as it arrives, whatever
// its content type, with back-pressure. Event streams get their headers at once (a GET stream may be
// silent for hours); other bodies with their first byte, so a reset before any byte is still a clean
// gateway error.
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { clientHeaders } from '../headers';
import { firstEvent } from '../legacy-sse';
import { Pausable, writer } from '../flow';

/** A GET stream's first event is held at most this long (bytes) looking for a legacy endpoint. */
const FIRST_EVENT_MAX = 64 * 1024;
const EMPTY = Buffer.alloc(0);

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
  /**
   * The client sent `TE: trailers`: the upstream's trailer fields follow the body, announced by its
   * `Trailer` header when it sent one. null: they are dropped, as a proxy may (RFC 9112 §7.1.2).
   */
  readonly trailers: { readonly announced: string | undefined } | null;
}

export class Relay {
  /** The status line and headers are written (the client can no longer get a gateway error). */
  started = false;
  private held: Buffer | null;
  private readonly write: (chunk: Buffer) => void;

  constructor(private readonly res: ServerResponse, private readonly options: RelayOptions, flow: Pausable) {
    this.write = writer(flow, res);
    this.held = this.options.endpoint ? EMPTY : null;
    if (this.options.eventStream) {
      this.start();
      res.flushHeaders();
    }
  }

  /** Relays a chunk. Returns the bytes the client got, for the tap's copy (the endpoint stage may hold or rewrite them). */
  push(data: Buffer): Buffer | null {
    if (!this.held) return this.pass(data);
    const held = this.held.length ? Buffer.concat([this.held, data]) : data;
    const e = this.options.endpoint!;
    const first = firstEvent(held, e.upstreamOrigin, e.publicOrigin);
    if (!first && held.length < FIRST_EVENT_MAX) {
      this.held = held;
      return null;
    }
    this.held = null;
    if (first?.sessionId) e.onSession(first.sessionId);
    return this.pass(first ? first.bytes : held);
  }

  /** The body ended. Returns what was still held back, as push does. */
  end(trailers?: IncomingHttpHeaders): Buffer | null {
    const rest = this.held?.length ? this.pass(this.held) : null;
    this.held = null;
    this.start();
    // Node writes them only on a chunked response (an HTTP/1.0 client gets none).
    if (this.options.trailers && trailers) this.res.addTrailers(fieldLines(trailers));
    this.res.end();
    return rest;
  }

  private pass(chunk: Buffer): Buffer {
    this.start();
    this.write(chunk);
    return chunk;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    const announced = this.options.trailers?.announced;
    // Node refuses a `Trailer` header on a response it will not send chunked.
    this.res.writeHead(this.options.status, announced && this.chunked() ? { ...this.options.headers, trailer: announced } : this.options.headers);
  }

  /** Whether Node will send this response chunked: a body of unknown length to an HTTP/1.1 client. */
  private chunked(): boolean {
    const { status, headers } = this.options;
    return this.res.useChunkedEncodingByDefault && this.res.req.method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304
      && headers['content-length'] === undefined;
  }
}

/** Trailer fields as lines, each value of a repeated field on its own; hop-by-hop ones stay on their hop. */
function fieldLines(trailers: IncomingHttpHeaders): [string, string][] {
  const lines: [string, string][] = [];
  const fields = clientHeaders(trailers);
  for (const name in fields) {
    const v = fields[name];
    for (const one of Array.isArray(v) ? v : [v]) lines.push([name, String(one)]);
  }
  return lines;
}
