// The upstream request, with undici. Every failure is mapped here, once, to the gateway table
// (errors.ts): the caller gets a response or a ProxyError, nothing else.
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ProxyError, upstreamError } from '../../errors';

/**
 * Aborts an upstream request. undici takes an EventEmitter as a signal; an AbortController per
 * request cost several percent of the proxy's CPU in the benchmark profile.
 */
export class Abort extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

export interface Outgoing {
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | Readable | null;
  readonly signal: Abort;
  readonly headersTimeoutMs: number;
}

export type Forwarded = { ok: true; res: Dispatcher.ResponseData } | { ok: false; error: ProxyError; aborted: boolean };

export async function forward(upstream: Dispatcher, out: Outgoing): Promise<Forwarded> {
  try {
    const res = await upstream.request({
      path: out.path,
      method: out.method as Dispatcher.HttpMethod,
      headers: out.headers,
      body: out.body,
      signal: out.signal,
      headersTimeout: out.headersTimeoutMs,
      bodyTimeout: 0, // SSE streams may be silent for hours; a client abort ends them instead
    });
    return { ok: true, res };
  } catch (err) {
    return { ok: false, error: upstreamError(err), aborted: out.signal.aborted };
  }
}
