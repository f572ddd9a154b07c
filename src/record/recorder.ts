// The recorder: the tap's message listener. On the traffic's path it only files the message (its
// text, already in memory) in a bounded queue; an async drain applies the capture and redaction
// policy and hands whole lines to the writer. When the queue is full a message is dropped and
// counted (mcp_trace_proxy.record.dropped): recording never holds traffic back.
import type { Logger } from '../log';
import type { Channel } from '../pipeline/channel';
import type { Scope } from '../pipeline/scope';
import type { RpcMessage } from '../jsonrpc/parse';
import type { CassetteRecord, Direction } from './format';
import { headerLine } from './format';
import { RecordPolicy, applyPolicy, isObject } from './policy';
import { CassetteWriter } from './writer';

export interface RecorderOptions {
  readonly file: string;
  readonly maxBytes: number;
  /** --force: replace an existing file. */
  readonly overwrite: boolean;
  readonly policy: RecordPolicy;
  /** The proxy version, in the header. */
  readonly writer: string;
}

/** What the recorder counts; the proxy's counters are one. */
export interface RecordCounters {
  recordDropped: number;
}

interface Queued {
  readonly t: number;
  readonly dir: Direction;
  readonly transport: CassetteRecord['transport'];
  readonly key: string;
  readonly session: boolean;
  readonly text: string;
  readonly index: number;
}

/** Messages waiting for the writer, and their text's size: beyond either, messages are dropped. */
const MAX_QUEUED = 10_000;
const MAX_QUEUED_CHARS = 16 * 1024 * 1024;
/** Requests whose method a response needs to know (for the policy), per recorder. */
const MAX_METHODS = 10_000;

export class Recorder {
  private readonly writer: CassetteWriter;
  private queue: Queued[] = [];
  private queuedChars = 0;
  private draining: Promise<void> | null = null;
  private readonly scopeKeys = new WeakMap<Scope, string>();
  private readonly channelKeys = new WeakMap<Channel, string>();
  private nextKey = 1;
  private readonly methods = new Map<string, string>();
  private lastText = '';
  private lastValue: unknown;
  private warned = false;

  constructor(private readonly options: RecorderOptions, private readonly counters: RecordCounters, private readonly log: Logger) {
    this.writer = new CassetteWriter(options.file, options.maxBytes, () => headerLine(options.writer, options.policy), !options.overwrite);
  }

  /** The tap's listener: cheap, and never throws. */
  readonly onMessage = (channel: Channel, dir: Direction, text: string, m: RpcMessage): void => {
    try {
      if (this.queue.length >= MAX_QUEUED || this.queuedChars + text.length > MAX_QUEUED_CHARS) {
        this.counters.recordDropped++;
        return;
      }
      const scope = channel.scope;
      this.queue.push({
        t: Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000,
        dir, transport: scope.transport, key: this.keyOf(channel), session: scope.kind === 'session' || channel.claimed !== undefined,
        text, index: m.index,
      });
      this.queuedChars += text.length;
      this.draining ??= this.drain();
    } catch {
      this.counters.recordDropped++;
    }
  };

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    while (this.draining) await this.draining;
    await this.writer.close().catch(() => undefined);
  }

  /**
   * One key per session, connection or sessionless exchange. An HTTP exchange that names a session
   * takes the session's key; the initialize exchange lends its key to the session it brings, so a
   * session's messages share one key from its first.
   */
  private keyOf(channel: Channel): string {
    const scope = channel.scope.kind === 'exchange' && channel.claimed ? channel.claimed : channel.scope;
    const scoped = this.scopeKeys.get(scope);
    let key = this.channelKeys.get(channel);
    if (key === undefined) {
      key = scoped ?? String(this.nextKey++);
      this.channelKeys.set(channel, key);
    }
    if (scoped === undefined) this.scopeKeys.set(scope, key);
    return key;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        await new Promise((r) => setImmediate(r)); // off the frame's own turn
        const batch = this.queue;
        this.queue = [];
        this.queuedChars = 0;
        const lines: string[] = [];
        for (const q of batch) {
          const line = this.line(q);
          if (line) lines.push(line);
        }
        await this.writer.append(lines);
      }
    } catch (err) {
      if (!this.warned) this.log.warn('writing the cassette failed; recording stops', { file: this.options.file, error: (err as Error).message });
      this.warned = true;
      this.counters.recordDropped += this.queue.length;
      this.queue = [];
    } finally {
      this.draining = null;
    }
  }

  /** The record's line: the message out of its frame, through the policy. */
  private line(q: Queued): string | null {
    if (q.text !== this.lastText) {
      this.lastText = q.text;
      this.lastValue = JSON.parse(q.text); // the tap parsed it already: valid JSON
    }
    const value = Array.isArray(this.lastValue) ? this.lastValue[q.index] : this.lastValue;
    if (!isObject(value)) return null;
    const method = this.methodOf(q, value);
    const bytes = Array.isArray(this.lastValue) ? Buffer.byteLength(JSON.stringify(value)) : Buffer.byteLength(q.text);
    const record: CassetteRecord = {
      t: q.t, dir: q.dir, transport: q.transport, key: q.key, ...(q.session ? { session: true as const } : {}),
      bytes, message: applyPolicy(value, method, this.options.policy),
    };
    return JSON.stringify(record) + '\n';
  }

  /** A request's method; for a response, its request's (filed when the request passed). */
  private methodOf(q: Queued, value: Record<string, unknown>): string | undefined {
    const id = JSON.stringify(value.id);
    if (typeof value.method === 'string') {
      if (value.id !== undefined) {
        if (this.methods.size >= MAX_METHODS) this.methods.delete(this.methods.keys().next().value as string);
        this.methods.set(`${q.key} ${q.dir} ${id}`, value.method);
      }
      return value.method;
    }
    const asker = `${q.key} ${q.dir === 'client_to_server' ? 'server_to_client' : 'client_to_server'} ${id}`;
    const method = this.methods.get(asker);
    this.methods.delete(asker);
    return method;
  }
}
