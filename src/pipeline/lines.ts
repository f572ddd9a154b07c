// Newline framing, for stdio and NDJSON bodies: bytes in, complete lines out, at most `maxLine`
// bytes held. Splitting bytes (not text) at 0x0A is UTF-8 safe: that byte never occurs inside a
// multi-byte sequence.

const NL = 0x0a;

/**
 * Splits a byte stream into lines at '\n' (a '\r' before it stays part of the line). Lines up to
 * `maxLine` bytes are held until complete and handed to `onLine` with their terminator; a longer
 * line goes to `onRaw` piece by piece as it arrives.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  /** Inside a line longer than maxLine: pass bytes through until its '\n'. */
  private oversize = false;

  constructor(
    private readonly maxLine: number,
    /** `line` includes the '\n' when `terminated`; `contentEnd` is where the content stops. */
    private readonly onLine: (line: Buffer, contentEnd: number, terminated: boolean) => void,
    private readonly onRaw: (bytes: Buffer) => void = () => {},
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      if (this.oversize) {
        if (nl < 0) return this.onRaw(start === 0 ? chunk : chunk.subarray(start));
        this.onRaw(chunk.subarray(start, nl + 1));
        this.oversize = false;
        start = nl + 1;
        continue;
      }
      const end = nl < 0 ? chunk.length : nl;
      if (this.held + (end - start) > this.maxLine) {
        // Too long to parse: what is held and the rest of this line go through untouched.
        if (this.held > 0) this.onRaw(this.take());
        if (nl < 0) {
          this.oversize = true;
          return this.onRaw(start === 0 ? chunk : chunk.subarray(start));
        }
        this.onRaw(chunk.subarray(start, nl + 1));
        start = nl + 1;
        continue;
      }
      if (nl < 0) {
        this.hold(start === 0 ? chunk : chunk.subarray(start));
        return;
      }
      if (this.held === 0) {
        this.onLine(chunk.subarray(start, nl + 1), nl - start, true);
      } else {
        this.hold(chunk.subarray(start, nl + 1));
        const line = this.take();
        this.onLine(line, line.length - 1, true);
      }
      start = nl + 1;
    }
  }

  /** End of input: a final line without '\n' is still a line. */
  end(): void {
    if (this.oversize || this.held === 0) return;
    const line = this.take();
    this.onLine(line, line.length, false);
  }

  /** Every held piece is counted, so `take` joins all of them (a line split across reads stays whole). */
  private hold(piece: Buffer): void {
    this.parts.push(piece);
    this.held += piece.length;
  }

  private take(): Buffer {
    const b = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.held);
    this.parts = [];
    this.held = 0;
    return b;
  }
}
