// The upstream request's dispatch handler (src/proxy/http/forward.ts): abort at any time, failures
// mapped once, and a throw in the sink kept away from undici.
import type { Dispatcher } from 'undici';
import { Forward, Sink } from '../../src/proxy/http/forward';

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
    f.onResponseEnd();
    expect(s.calls).toEqual(['start 200', 'unexpected bug', 'end']);
  });
});
