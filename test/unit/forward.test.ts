// The upstream request's dispatch handler (src/proxy/http/forward.ts): abort at any time, failures
// mapped once, a throw in the sink kept away from undici, and the headers timeout on its own timer.
import { PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import { Forward, Sink, forward } from '../../src/proxy/http/forward';

function controller(): Dispatcher.DispatchController & { aborts: unknown[] } {
  const aborts: unknown[] = [];
  return { aborts, aborted: false, paused: false, reason: null, abort: (r: Error) => aborts.push(r), pause() {}, resume() {} } as never;
}

function sink(over: Partial<Sink> = {}): Sink & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    onStart: (status) => calls.push(`start ${status}`),
    onData: (c) => calls.push(`data ${c.toString()}`),
    onEnd: () => calls.push('end'),
    onFail: (e, started, aborted) => calls.push(`fail ${e.code} ${e.httpStatus} started=${started} aborted=${aborted}`),
    unexpected: (err) => calls.push(`unexpected ${(err as Error).message}`),
    ...over,
  };
}

describe('Forward', () => {
  it('an abort before undici starts the request aborts it as soon as it starts', () => {
    const s = sink();
    const f = new Forward(s);
    f.abort();
    const c = controller();
    f.onRequestStart(c);
    expect(c.aborts).toHaveLength(1);
    f.onResponseError(c, Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' }));
    expect(s.calls).toEqual(['fail MTP_UPSTREAM_ERROR 502 started=false aborted=true']);
  });

  it('an abort after the start reaches the controller once', () => {
    const f = new Forward(sink());
    const c = controller();
    f.onRequestStart(c);
    f.abort();
    f.abort();
    expect(c.aborts).toHaveLength(1);
  });

  it('maps failures with the gateway table, and says whether the response had started', () => {
    const s = sink();
    const f = new Forward(s);
    const c = controller();
    f.onRequestStart(c);
    f.onResponseError(c, Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    const t = new Forward(s);
    t.onRequestStart(c);
    t.onResponseStart(c, 200, {});
    t.onResponseError(c, Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    expect(s.calls).toEqual([
      'fail MTP_UPSTREAM_UNREACHABLE 502 started=false aborted=false',
      'start 200',
      'fail MTP_UPSTREAM_RESET 502 started=true aborted=false',
    ]);
  });

  it('a throw in the sink goes to unexpected(), never back into undici', () => {
    const s = sink({ onData: () => { throw new Error('bug'); } });
    const f = new Forward(s);
    const c = controller();
    f.onRequestStart(c);
    f.onResponseStart(c, 200, {});
    expect(() => f.onResponseData(c, Buffer.from('x'))).not.toThrow();
    f.onResponseEnd(c, {});
    expect(s.calls).toEqual(['start 200', 'unexpected bug', 'end']);
  });
});

/** A dispatcher that only records what it was asked to send (undici never runs). */
function recorder(): Dispatcher & { opts: Dispatcher.DispatchOptions[] } {
  const opts: Dispatcher.DispatchOptions[] = [];
  return { opts, dispatch: (o: Dispatcher.DispatchOptions) => (opts.push(o), true) } as never;
}

describe('Forward: the headers timeout is a timer of its own, on time', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('no status line within the timeout: MTP_UPSTREAM_TIMEOUT at that very millisecond, and the request is aborted', () => {
    const s = sink();
    const f = new Forward(s);
    const c = controller();
    forward(recorder(), { path: '/mcp', method: 'POST', headers: {}, body: Buffer.from('{}'), headersTimeoutMs: 1500 }, f);
    f.onRequestStart(c);
    jest.advanceTimersByTime(1499);
    expect(s.calls).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(s.calls).toEqual(['fail MTP_UPSTREAM_TIMEOUT 504 started=false aborted=false']);
    expect(c.aborts).toHaveLength(1);
    f.onResponseError(c, Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' })); // the abort's own echo
    expect(s.calls).toHaveLength(1);
  });

  it('the status line stops the timer', () => {
    const s = sink();
    const f = new Forward(s);
    const c = controller();
    forward(recorder(), { path: '/mcp', method: 'GET', headers: {}, body: null, headersTimeoutMs: 1500 }, f);
    f.onRequestStart(c);
    jest.advanceTimersByTime(1000);
    f.onResponseStart(c, 200, {});
    jest.advanceTimersByTime(60_000);
    expect(s.calls).toEqual(['start 200']);
    expect(c.aborts).toHaveLength(0);
  });

  it('a timeout before undici has started the request: the sink hears at once, the request is aborted when it starts', () => {
    const s = sink();
    const f = new Forward(s);
    forward(recorder(), { path: '/mcp', method: 'POST', headers: {}, body: Buffer.from('{}'), headersTimeoutMs: 200 }, f);
    jest.advanceTimersByTime(200);
    expect(s.calls).toEqual(['fail MTP_UPSTREAM_TIMEOUT 504 started=false aborted=false']);
    const c = controller();
    f.onRequestStart(c);
    expect(c.aborts).toHaveLength(1);
  });

  it('a streamed body: the wait starts once it has been sent whole, the upload\'s time is the client\'s', async () => {
    const s = sink();
    const f = new Forward(s);
    const body = new PassThrough();
    forward(recorder(), { path: '/mcp', method: 'POST', headers: {}, body, headersTimeoutMs: 1500 }, f);
    jest.advanceTimersByTime(5000);
    expect(s.calls).toEqual([]);
    const ended = new Promise((r) => body.once('end', r)); // after forward()'s own listener
    body.resume(); // what undici does as it sends it
    body.end('{}');
    await ended;
    jest.advanceTimersByTime(1499);
    expect(s.calls).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(s.calls).toEqual(['fail MTP_UPSTREAM_TIMEOUT 504 started=false aborted=false']);
  });

  it('undici\'s own coarse headers timer is left as a later backstop, so it never decides first', () => {
    const d = recorder();
    forward(d, { path: '/mcp', method: 'POST', headers: {}, body: null, headersTimeoutMs: 1500 }, new Forward(sink()));
    expect(d.opts[0].headersTimeout).toBe(2500);
  });
});
