// The upstream request, as an undici dispatch handler. Every failure is mapped here, once, to the
// gateway table (errors.ts): the sink gets a response or a ProxyError, nothing else.
//
// Why dispatch() and not request(): request() makes a promise, a Readable body and a signal
// listener per request, and the Readable re-buffers every chunk. Here one object per request
// carries the whole exchange, and the body's chunks go straight to the sink (measured in bench/: see docs/ARCHITECTURE.md, "Cost").
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ProxyError, upstreamError } from '../../errors';
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
  onEnd(): void;
  /** `started`: the response had begun (status and headers came). `aborted`: our own abort() caused it. */
  onFail(error: ProxyError, started: boolean, aborted: boolean): void;
  /** One of the calls above threw (a bug of ours): undici must not see it, the client still gets an answer. */
  unexpected(err: unknown): void;
}

const ABORTED = new Error('the client went away');

/** One upstream request. abort() works at any time, before undici has even started it. */
export class Forward implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private started = false;
  aborted = false;

  constructor(private readonly sink: Sink) {}

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.controller?.abort(ABORTED);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.aborted) controller.abort(ABORTED);
  }

  // undici calls these inside its parser and socket callbacks, where a throw would reach the
  // Pool's 'error' event: each call is fenced.
  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
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

  onResponseEnd(): void {
    try {
      this.sink.onEnd();
    } catch (err) {
      this.sink.unexpected(err);
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    try {
      this.sink.onFail(upstreamError(err), this.started, this.aborted);
    } catch (e) {
      this.sink.unexpected(e);
    }
  }
}

/** Sends the request; the outcome reaches `sink`, possibly before this returns (an invalid request). */
export function forward(upstream: Dispatcher, out: Outgoing, f: Forward): void {
  upstream.dispatch({
    path: out.path,
    method: out.method as Dispatcher.HttpMethod,
    headers: out.headers,
    body: out.body,
    headersTimeout: out.headersTimeoutMs,
    bodyTimeout: 0, // SSE streams may be silent for hours; a client abort ends them instead
  }, f);
}
