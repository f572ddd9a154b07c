// The upstream request, as an undici dispatch handler. Every failure is mapped here, once, to the
// gateway table (errors.ts): the sink gets a response or a ProxyError, nothing else.
//
// Why dispatch() and not request(): request() makes a promise, a Readable body and a signal
// listener per request, and the Readable re-buffers every chunk. Here one object per request
// carries the whole exchange, and the body's chunks go straight to the sink (measured in bench/: see docs/ARCHITECTURE.md, "Cost").
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ProxyError, upstreamError, upstreamTimeout } from '../../errors';
import type { Pausable } from '../flow';

export interface Outgoing {
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | Readable | null;
  readonly headersTimeoutMs: number;
}

/** Where a forwarded request's outcome goes. Exactly one of onEnd / onFail ends it. */
export interface Sink {
  /** `flow` pauses and resumes the upstream body (back-pressure from the client). */
  onStart(status: number, headers: IncomingHttpHeaders, flow: Pausable): void;
  onData(chunk: Buffer): void;
  /** `trailers`: the upstream's trailer fields, empty when it sent none. */
  onEnd(trailers: IncomingHttpHeaders): void;
  /** `started`: the response had begun (status and headers came). `aborted`: our own abort() caused it. */
  onFail(error: ProxyError, started: boolean, aborted: boolean): void;
  /** One of the calls above threw (a bug of ours): undici must not see it, the client still gets an answer. */
  unexpected(err: unknown): void;
}

const ABORTED = new Error('the client went away');
const TIMED_OUT = new Error('no response headers in time');

/**
 * undici's own headers timer runs on a shared clock that ticks every 499 ms: a 1.5 s timeout fired
 * after about 2 s, and under load one can fire up to a tick early. Ours decides; undici's is kept
 * this much later as a backstop for an upload stalled on the upstream, before ours has started.
 */
const UNDICI_TIMER_SLACK_MS = 1000;

/** One upstream request. abort() works at any time, before undici has even started it. */
export class Forward implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private started = false;
  /** The sink has its outcome: nothing undici reports later reaches it (a timeout, then the abort's error). */
  private done = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  aborted = false;

  constructor(private readonly sink: Sink) {}

  abort(): void {
    this.stopTimer();
    if (this.aborted) return;
    this.aborted = true;
    this.controller?.abort(ABORTED);
  }

  /**
   * Starts waiting for the status line: without one within `ms`, the sink gets MTP_UPSTREAM_TIMEOUT
   * at once and the upstream request is aborted. Called when the request is handed over whole.
   */
  waitForHeaders(ms: number): void {
    if (ms <= 0 || this.timer || this.started || this.done || this.aborted) return;
    this.timer = setTimeout(() => this.timedOut(ms), ms);
  }

  private timedOut(ms: number): void {
    this.timer = null;
    this.done = true;
    this.aborted = true;
    this.controller?.abort(TIMED_OUT); // or, not started yet, onRequestStart aborts it
    try {
      this.sink.onFail(upstreamTimeout(new Error(`no response headers within ${ms} ms`)), false, false);
    } catch (err) {
      this.sink.unexpected(err);
    }
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.aborted) controller.abort(this.done ? TIMED_OUT : ABORTED);
  }

  // undici calls these inside its parser and socket callbacks, where a throw would reach the
  // Pool's 'error' event: each call is fenced, inline (no closure per chunk).
  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.stopTimer();
    if (this.done) return;
    this.started = true;
    try {
      this.sink.onStart(status, headers, controller);
    } catch (err) {
      this.sink.unexpected(err);
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    try {
      this.sink.onData(chunk);
    } catch (err) {
      this.sink.unexpected(err);
    }
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.done = true;
    try {
      this.sink.onEnd(trailers);
    } catch (err) {
      this.sink.unexpected(err);
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.stopTimer();
    if (this.done) return;
    this.done = true;
    try {
      this.sink.onFail(upstreamError(err), this.started, this.aborted);
    } catch (e) {
      this.sink.unexpected(e);
    }
  }
}

/** Sends the request; the outcome reaches `sink`, possibly before this returns (an invalid request). */
export function forward(upstream: Dispatcher, out: Outgoing, f: Forward): void {
  const ms = out.headersTimeoutMs;
  // The wait starts once the request is sent whole: a streamed body's upload time is the client's.
  if (out.body && !Buffer.isBuffer(out.body)) out.body.once('end', () => f.waitForHeaders(ms));
  else f.waitForHeaders(ms);
  upstream.dispatch({
    path: out.path,
    method: out.method as Dispatcher.HttpMethod,
    headers: out.headers,
    body: out.body,
    headersTimeout: ms > 0 ? ms + UNDICI_TIMER_SLACK_MS : 0,
    bodyTimeout: 0, // SSE streams may be silent for hours; a client abort ends them instead
  }, f);
}
