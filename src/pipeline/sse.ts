// Incremental Server-Sent Events parser that taps events as the bytes pass. The bytes themselves
// are forwarded by the caller untouched; this only reads them. Events larger than the limit are
// skipped (not tapped), so a huge or endless event cannot grow memory.
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

export class SseParser {
  private readonly decoder = new StringDecoder('utf8');
  private line = '';
  private data = '';
  private hasData = false;
  private event = '';
  private id: string | undefined;
  private size = 0;
  private oversized = false;
  private afterCR = false;
  /** Characters in the current line, kept or not: a dropped oversized line is not a blank line. */
  private lineLen = 0;
  private started = false;

  constructor(private readonly onEvent: (e: SseEvent) => void, private readonly maxEventBytes: number) {}

  push(chunk: Buffer): void {
    this.feed(this.decoder.write(chunk));
  }

  end(): void {
    this.feed(this.decoder.end());
  }

  private feed(text: string): void {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // the spec strips a leading BOM
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // A CRLF split across chunks: the LF was already counted with the CR.
      if (c === 10 && this.afterCR && i === start) {
        this.afterCR = false;
        start = i + 1;
        continue;
      }
      this.appendLine(text.slice(start, i));
      this.onLine();
      // A CR that ends the chunk may be the first half of a CRLF.
      this.afterCR = c === 13 && i + 1 >= text.length;
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    if (start < text.length) {
      this.afterCR = false;
      this.appendLine(text.slice(start));
    }
  }

  private appendLine(part: string): void {
    this.lineLen += part.length;
    this.size += part.length;
    if (this.size > this.maxEventBytes) this.oversized = true;
    if (!this.oversized) this.line += part;
  }

  private onLine(): void {
    const line = this.line;
    const blank = this.lineLen === 0;
    this.line = '';
    this.lineLen = 0;
    if (blank) return this.dispatch();
    if (this.oversized || line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      this.data = this.hasData ? `${this.data}\n${value}` : value;
      this.hasData = true;
    } else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
  }

  private dispatch(): void {
    const skip = this.oversized || !this.hasData;
    const e: SseEvent = { event: this.event || 'message', data: this.data, id: this.id };
    this.data = '';
    this.hasData = false;
    this.event = '';
    this.size = 0;
    this.oversized = false;
    if (!skip) this.onEvent(e);
  }
}
