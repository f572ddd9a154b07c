// A response body's frames for the tap, read from a copy as the bytes pass: SSE events, NDJSON
// lines (a 2026-07-28 subscriptions/listen stream), or one whole JSON body. The copy is decoded
// from its content-encoding and bounded; the bytes relayed to the client are never touched.
import { isUtf8 } from 'node:buffer';
import { Encoding, StreamDecoder } from './decode';
import { LineSplitter } from './lines';
import { SseParser } from './sse';

export class BodyFrames {
  private readonly decoder: StreamDecoder;
  private readonly sse: SseParser | null = null;
  private readonly lines: LineSplitter | null = null;
  /** JSON: held until the first line proves the body is NDJSON, or whole to the end (pretty-printed JSON). */
  private copy: Buffer[] | null = [];
  private copied = 0;
  private mode: 'first' | 'ndjson' | 'whole' = 'first';

  constructor(
    kind: 'sse' | 'json',
    enc: Encoding,
    private readonly max: number,
    /** One frame's text; returns whether it was JSON-RPC. */
    private readonly onFrame: (text: string) => boolean,
    /** After the last frame. `oversized`: a JSON body past the limit went unread. */
    private readonly onDone: (oversized: boolean) => void,
  ) {
    if (kind === 'sse') {
      this.copy = null;
      this.sse = new SseParser((e) => void this.onFrame(e.data), max); // priming events carry empty data: not an error
    } else {
      this.lines = new LineSplitter(max, (line, end) => this.onLine(line, end));
    }
    this.decoder = new StreamDecoder(enc, (b) => this.decoded(b), (ok) => this.finish(ok));
  }

  push(raw: Buffer): void {
    this.decoder.push(raw);
  }

  end(): void {
    this.decoder.end();
  }

  /** The body broke off: nothing more is read, and `onDone` is not called. */
  destroy(): void {
    this.decoder.destroy();
  }

  private decoded(b: Buffer): void {
    if (this.sse) return this.sse.push(b);
    if (this.copy) {
      this.copied += b.length;
      if (this.copied <= this.max) this.copy.push(b);
      else this.copy = null;
    }
    if (this.mode !== 'whole') this.lines?.push(b);
  }

  private onLine(line: Buffer, end: number): void {
    if (this.mode === 'whole') return;
    let i = 0;
    while (i < end && (line[i] === 0x20 || line[i] === 0x09 || line[i] === 0x0d)) i++;
    if (i === end) return; // a blank line
    const content = line.subarray(0, end);
    const rpc = isUtf8(content) && this.onFrame(content.toString('utf8'));
    if (this.mode === 'first') {
      this.mode = rpc ? 'ndjson' : 'whole';
      if (rpc) this.copy = null;
    }
  }

  private finish(ok: boolean): void {
    if (!ok) return this.onDone(false);
    if (this.sse) {
      this.sse.end();
      return this.onDone(false);
    }
    this.lines?.end();
    if (this.mode !== 'ndjson' && this.mode !== 'first') {
      const whole = this.copy && Buffer.concat(this.copy, this.copied);
      if (whole && isUtf8(whole)) this.onFrame(whole.toString('utf8'));
    }
    this.onDone(this.copy === null && this.mode !== 'ndjson');
  }
}
