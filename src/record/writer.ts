// Appends whole lines to the cassette, off the traffic's path: one write in flight at a time, and
// at --record-max-bytes the file rotates (FILE → FILE.1, replacing an older FILE.1) and a fresh
// FILE starts with its own header. So the disk holds at most about twice the bound, and each file
// reads on its own.
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

export class CassetteWriter {
  private handle: Promise<FileHandle>;
  private size = 0;
  /** Lines longer than a whole file may be: never written. */
  oversized = 0;

  /** Opens `file` at once (`exclusive`: fail if it exists), so a bad path fails at startup. */
  constructor(private readonly file: string, private readonly maxBytes: number, private readonly header: () => string, exclusive: boolean) {
    const fd = fs.openSync(file, exclusive ? 'wx' : 'w');
    fs.closeSync(fd);
    this.handle = this.start();
    this.handle.catch(() => undefined); // reported by the append that awaits it
  }

  /** Writes the lines (each ending in \n), rotating before a line that would pass the bound. */
  async append(lines: readonly string[]): Promise<void> {
    let chunk = '';
    let chunkBytes = 0;
    const headerBytes = Buffer.byteLength(this.header());
    for (const line of lines) {
      const n = Buffer.byteLength(line);
      if (headerBytes + n > this.maxBytes) {
        this.oversized++;
        continue;
      }
      if (this.size + chunkBytes + n > this.maxBytes) {
        await this.write(chunk, chunkBytes);
        chunk = '';
        chunkBytes = 0;
        await this.rotate();
      }
      chunk += line;
      chunkBytes += n;
    }
    if (chunk) await this.write(chunk, chunkBytes);
  }

  async close(): Promise<void> {
    await (await this.handle).close();
  }

  private async write(text: string, bytes: number): Promise<void> {
    await (await this.handle).write(text);
    this.size += bytes;
  }

  private async start(): Promise<FileHandle> {
    const handle = await fs.promises.open(this.file, 'w');
    const header = this.header();
    await handle.write(header);
    this.size = Buffer.byteLength(header);
    return handle;
  }

  private async rotate(): Promise<void> {
    await (await this.handle).close();
    await fs.promises.rename(this.file, `${this.file}.1`);
    this.handle = this.start();
    await this.handle;
  }
}
