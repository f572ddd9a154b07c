// The cassette: JSON lines. A header first (format name and version), then one record per
// JSON-RPC message that passed the proxy. Records are written whole, one line each, so a file cut
// by a crash is readable up to its last complete line.
import fs from 'node:fs';
import { RecordError } from './errors';
import type { RecordPolicy } from './policy';

export const FORMAT = 'mcp-trace-proxy-cassette';
export const FORMAT_VERSION = 1;

export type Direction = 'client_to_server' | 'server_to_client';

export interface CassetteHeader {
  readonly format: typeof FORMAT;
  readonly version: number;
  /** ISO time the file was started. */
  readonly created: string;
  /** The proxy version that wrote it. */
  readonly writer: string;
  /** The policy it was written under (key names only): a mock applies it to live requests before matching. */
  readonly policy: RecordPolicy;
}

export interface CassetteRecord {
  /** Milliseconds since the Unix epoch, with microseconds. */
  readonly t: number;
  readonly dir: Direction;
  readonly transport: 'http' | 'legacy-sse' | 'websocket' | 'stdio';
  /** An opaque key per session, connection or (stateless HTTP) exchange: a sequence number, never the real session id. */
  readonly key: string;
  /** Whether the key stands for an upstream-issued session (the mock then issues one too). */
  readonly session?: true;
  /** Size in bytes of the message as it passed, before redaction (a report's result size). */
  readonly bytes: number;
  /** The JSON-RPC message as sent, after the capture and redaction policy. */
  readonly message: Record<string, unknown>;
}

export interface Cassette {
  readonly file: string;
  readonly header: CassetteHeader;
  readonly records: readonly CassetteRecord[];
  /** Set when the last line was cut off (a crashed run): the line number, which was skipped. */
  readonly truncatedAt?: number;
}

export function headerLine(writer: string, policy: RecordPolicy, now = new Date()): string {
  const header: CassetteHeader = { format: FORMAT, version: FORMAT_VERSION, created: now.toISOString(), writer, policy };
  return JSON.stringify(header) + '\n';
}

/** Reads a cassette, or throws a RecordError naming the file and the line. */
export function readCassette(file: string): Cassette {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RecordError('MTP_CASSETTE_MISSING', `${file}: cannot read the cassette (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseCassette(file, text);
}

/** Pure: the cassette in `text`. A last line without its newline that does not parse is skipped (a crashed run). */
export function parseCassette(file: string, text: string): Cassette {
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  if (lines.length === 0 || (lines.length === 1 && lines[0] === '')) {
    throw new RecordError('MTP_CASSETTE_EMPTY', `${file}:1: empty file, not a cassette (no ${FORMAT} header line)`);
  }
  const header = parseHeader(file, lines[0], complete || lines.length > 1);
  const records: CassetteRecord[] = [];
  let truncatedAt: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    const n = i + 1;
    const last = i === lines.length - 1 && !complete;
    if (lines[i].trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(lines[i]);
    } catch {
      if (last) {
        truncatedAt = n;
        break;
      }
      throw new RecordError('MTP_CASSETTE_LINE', `${file}:${n}: not JSON (${preview(lines[i])})`);
    }
    const problem = recordProblem(value);
    if (problem) throw new RecordError('MTP_CASSETTE_LINE', `${file}:${n}: not a cassette record: ${problem}`);
    records.push(value as CassetteRecord);
  }
  return { file, header, records, truncatedAt };
}

function parseHeader(file: string, line: string, whole: boolean): CassetteHeader {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    const what = whole ? 'not JSON' : 'cut off';
    throw new RecordError(whole ? 'MTP_CASSETTE_FOREIGN' : 'MTP_CASSETTE_EMPTY', `${file}:1: not a cassette: the header line is ${what} (expected {"format":"${FORMAT}",...})`);
  }
  const h = value as Partial<CassetteHeader> | null;
  if (!h || typeof h !== 'object' || h.format !== FORMAT) {
    throw new RecordError('MTP_CASSETTE_FOREIGN', `${file}:1: not a cassette: the first line has no "format":"${FORMAT}"`);
  }
  if (typeof h.version !== 'number' || !Number.isInteger(h.version) || h.version < 1) {
    throw new RecordError('MTP_CASSETTE_FOREIGN', `${file}:1: the header's version ${JSON.stringify(h.version)} is not a format version`);
  }
  if (h.version > FORMAT_VERSION) {
    throw new RecordError('MTP_CASSETTE_VERSION', `${file}:1: cassette format version ${h.version} is newer than this mcp-trace-proxy reads (${FORMAT_VERSION}); upgrade mcp-trace-proxy`);
  }
  const p = h.policy as Partial<RecordPolicy> | undefined;
  const policy: RecordPolicy = {
    captureArguments: p?.captureArguments === true, captureResults: p?.captureResults === true,
    redactKeys: Array.isArray(p?.redactKeys) ? p.redactKeys.filter((k): k is string => typeof k === 'string') : [],
  };
  return { ...(h as CassetteHeader), policy };
}

/** What is wrong with a decoded record line, or null. */
function recordProblem(v: unknown): string | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
  const r = v as Record<string, unknown>;
  if (typeof r.t !== 'number') return 'no "t" (time)';
  if (r.dir !== 'client_to_server' && r.dir !== 'server_to_client') return '"dir" is neither client_to_server nor server_to_client';
  if (typeof r.key !== 'string') return 'no "key"';
  if (!r.message || typeof r.message !== 'object' || Array.isArray(r.message)) return 'no "message" object';
  return null;
}

function preview(line: string): string {
  return JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}…` : line);
}
