// The response relay: the upstream's body goes to the client chunk by chunk as it arrives, whatever
// its content type, with back-pressure. Event streams get their headers at once (a GET stream may be
// silent for hours); other bodies with their first byte, so a reset before any byte is still a clean
// gateway error.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
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
  end(): Buffer | null {
    const rest = this.held?.length ? this.pass(this.held) : null;
    this.held = null;
    this.start();
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
    this.res.writeHead(this.options.status, this.options.headers);
  }
}
