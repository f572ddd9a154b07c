// Content decoding for the tap's copy of a body. The bytes forwarded are never touched: the client
// and the upstream get what was sent, compressed or not; only the tap reads a decoded copy.
import zlib from 'node:zlib';

export type Encoding = 'identity' | 'gzip' | 'deflate' | 'br';

/** The coding of a Content-Encoding value; null for one the tap cannot read (stacked, zstd, …). */
export function encodingOf(header: string | undefined): Encoding | null {
  const v = header?.trim().toLowerCase();
  if (!v || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  if (v === 'deflate' || v === 'br') return v;
  return null;
}

/** HTTP's "deflate" is zlib-wrapped (RFC 9110), but some servers send raw deflate: the header tells. */
function isZlibWrapped(b: Buffer): boolean {
  return b.length >= 2 && (b[0] & 0x0f) === 8 && ((b[0] << 8) | b[1]) % 31 === 0;
}

/** A whole body decoded, at most `max` bytes out; null when it cannot be (corrupt or too large). */
export function decodeWhole(buf: Buffer, enc: Encoding, max: number): Buffer | null {
  if (enc === 'identity') return buf.length <= max ? buf : null;
  const opts = { maxOutputLength: max };
  try {
    if (enc === 'gzip') return zlib.gunzipSync(buf, opts);
    if (enc === 'br') return zlib.brotliDecompressSync(buf, opts);
    return isZlibWrapped(buf) ? zlib.inflateSync(buf, opts) : zlib.inflateRawSync(buf, opts);
  } catch {
    return null;
  }
}

/**
 * Decodes a streamed body as it passes. Identity hands each chunk on at once; the others go
 * through a zlib stream, so their output arrives a little later. `onEnd(ok)` comes once, after the
 * last output; ok is false when the body could not be decoded (the tap then stops reading it).
 */
export class StreamDecoder {
  private z: zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress | null = null;
  private done = false;
  /** deflate's first bytes, held until there are two: they tell zlib-wrapped from raw (a write may be one byte). */
  private head: Buffer | null = null;

  constructor(
    private readonly enc: Encoding,
    private readonly onData: (b: Buffer) => void,
    private readonly onEnd: (ok: boolean) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.done) return;
    if (this.enc === 'identity') return this.onData(chunk);
    if (!this.z) {
      const first = this.head ? Buffer.concat([this.head, chunk]) : chunk;
      if (this.enc === 'deflate' && first.length < 2) {
        this.head = first;
        return;
      }
      this.head = null;
      this.z = this.open(first);
      chunk = first;
    }
    this.z.write(chunk);
  }

  end(): void {
    if (this.done) return;
    if (!this.z && this.head) {
      // A one-byte body: not valid deflate, but zlib says so, not us.
      this.z = this.open(this.head);
      this.z.end(this.head);
    } else if (this.enc === 'identity' || !this.z) this.finish(true);
    else this.z.end();
  }

  /** The body stopped (an error, an abort): no more output. */
  destroy(): void {
    this.done = true;
    this.z?.destroy();
  }

  private open(first: Buffer) {
    const z = this.enc === 'gzip' ? zlib.createGunzip()
      : this.enc === 'br' ? zlib.createBrotliDecompress()
        : isZlibWrapped(first) ? zlib.createInflate() : zlib.createInflateRaw();
    z.on('data', (b: Buffer) => !this.done && this.onData(b));
    z.on('end', () => this.finish(true));
    z.on('error', () => {
      this.finish(false);
      z.destroy();
    });
    return z;
  }

  private finish(ok: boolean): void {
    if (this.done) return;
    this.done = true;
    this.onEnd(ok);
  }
}
