// The correlator on its own, with a clock the test moves: keys, bounds per scope and in total,
// expiry in insertion order, release of the same value only, takeScope, rescope and close.
import { Correlator, DropReason, progressKey, requestKey } from '../../src/pipeline/correlator';
import { Scope } from '../../src/pipeline/scope';

type Drop = [value: string, why: DropReason, key: string, scope: Scope];

function setup(limits: { maxPerScope?: number; maxTotal?: number; ttlMs?: number } = {}, onDrop?: (c: Correlator<string>, d: Drop) => void) {
  const clock = { t: 1000 };
  const drops: Drop[] = [];
  const c: Correlator<string> = new Correlator<string>(
    { maxPerScope: limits.maxPerScope ?? 100, maxTotal: limits.maxTotal ?? 1000, ttlMs: limits.ttlMs ?? 100 },
    (value, why, key, scope) => {
      drops.push([value, why, key, scope]);
      onDrop?.(c, [value, why, key, scope]);
    },
    () => clock.t,
  );
  closers.push(c);
  return { c, clock, drops, dropped: () => drops.map(([v, why]) => `${v}:${why}`) };
}

let closers: Correlator<string>[] = [];
afterEach(() => {
  for (const c of closers) c.close();
  closers = [];
  jest.useRealTimers();
});

describe('keys', () => {
  test('a request key is the direction letter and the exact id text', () => {
    expect(requestKey('client_to_server', '7')).toBe('c7');
    expect(requestKey('server_to_client', '7')).toBe('s7');
    expect(requestKey('client_to_server', '"7"')).toBe('c"7"');
  });

  test('a progress key is its own letter and the token as JSON, so 1 and "1" differ', () => {
    expect(progressKey('client_to_server', 1)).toBe('p1');
    expect(progressKey('client_to_server', '1')).toBe('p"1"');
    expect(progressKey('server_to_client', 'tok')).toBe('q"tok"');
  });

  test('only request keys are request keys', () => {
    expect(Correlator.isRequestKey('c1')).toBe(true);
    expect(Correlator.isRequestKey('s1')).toBe(true);
    expect(Correlator.isRequestKey('p1')).toBe(false);
    expect(Correlator.isRequestKey('q"c"')).toBe(false);
    expect(Correlator.isRequestKey('')).toBe(false);
  });
});

describe('put, get, take', () => {
  test('a value is found in its own scope only, by identity of the scope', () => {
    const { c } = setup();
    const a = Scope.session('http', 'same');
    const b = Scope.session('http', 'same');
    c.put(a, 'c1', 'A');
    expect(c.get(a, 'c1')).toBe('A');
    expect(c.get(b, 'c1')).toBeUndefined();
    expect(c.get(a, 'c2')).toBeUndefined();
    expect(c.take(b, 'c1')).toBeUndefined();
    expect(c.size).toBe(1);
  });

  test('take removes and returns; a second take finds nothing; the scope lets go of its table', () => {
    const { c, drops } = setup();
    const s = Scope.exchange('http');
    c.put(s, 'c1', 'A');
    c.put(s, 'c2', 'B');
    expect(c.take(s, 'c1')).toBe('A');
    expect(c.size).toBe(1);
    expect(c.take(s, 'c1')).toBeUndefined();
    expect(c.size).toBe(1);
    expect(s.pending).not.toBeNull();
    expect(c.take(s, 'c2')).toBe('B');
    expect(c.size).toBe(0);
    expect(s.pending).toBeNull();
    expect(drops).toEqual([]);
  });

  test('a reused key supersedes the older value: reported as superseded, not counted as dropped', () => {
    const { c, drops } = setup();
    const s = Scope.exchange('http');
    c.put(s, 'c1', 'old');
    c.put(s, 'c1', 'new');
    expect(drops).toEqual([['old', 'superseded', 'c1', s]]);
    expect(c.dropped).toBe(0);
    expect(c.size).toBe(1);
    expect(c.get(s, 'c1')).toBe('new');
  });
});

describe('bounds', () => {
  test('per scope: the scope\'s oldest is evicted, only when the scope is full, and other scopes keep theirs', () => {
    const { c, drops, dropped } = setup({ maxPerScope: 2 });
    const s = Scope.session('http', 's');
    const other = Scope.session('http', 'o');
    c.put(other, 'c1', 'O1');
    c.put(s, 'c1', 'A');
    c.put(s, 'c2', 'B');
    expect(drops).toEqual([]); // 2 in a scope of 2 is not over the bound
    c.put(s, 'c3', 'C');
    expect(dropped()).toEqual(['A:evicted']);
    expect(drops[0][2]).toBe('c1');
    expect(drops[0][3]).toBe(s);
    expect(c.dropped).toBe(1);
    expect(c.size).toBe(3);
    expect(c.get(other, 'c1')).toBe('O1');
    expect([c.get(s, 'c2'), c.get(s, 'c3')]).toEqual(['B', 'C']);
  });

  test('per scope: a reused key in a full scope supersedes and evicts nothing', () => {
    const { c, dropped } = setup({ maxPerScope: 2 });
    const s = Scope.exchange('http');
    c.put(s, 'c1', 'A');
    c.put(s, 'c2', 'B');
    c.put(s, 'c2', 'B2');
    expect(dropped()).toEqual(['B:superseded']);
    expect(c.get(s, 'c1')).toBe('A');
  });

  test('per scope of one: a new scope is never full', () => {
    const { c, drops } = setup({ maxPerScope: 1 });
    c.put(Scope.exchange('http'), 'c1', 'A');
    c.put(Scope.exchange('http'), 'c1', 'B');
    expect(drops).toEqual([]);
    expect(c.size).toBe(2);
  });

  test('in total: the oldest of all scopes is evicted, only past the bound', () => {
    const { c, drops, dropped } = setup({ maxTotal: 3 });
    const [a, b, d] = [Scope.exchange('http'), Scope.exchange('http'), Scope.exchange('http')];
    c.put(a, 'c1', 'A');
    c.put(b, 'c1', 'B');
    c.put(d, 'c1', 'D');
    expect(drops).toEqual([]);
    c.put(b, 'c2', 'B2');
    expect(dropped()).toEqual(['A:evicted']);
    expect(drops[0][3]).toBe(a);
    expect(a.pending).toBeNull();
    c.put(d, 'c2', 'D2');
    expect(dropped()).toEqual(['A:evicted', 'B:evicted']);
    expect(c.dropped).toBe(2);
    expect(c.size).toBe(3);
  });

  test('a per-scope eviction makes room in the total too: one put drops one entry', () => {
    const { c, dropped } = setup({ maxPerScope: 2, maxTotal: 2 });
    const s = Scope.exchange('http');
    c.put(s, 'c1', 'A');
    c.put(s, 'c2', 'B');
    c.put(s, 'c3', 'C');
    expect(dropped()).toEqual(['A:evicted']);
    expect(c.size).toBe(2);
  });

  test('a superseded entry makes room in the total: the oldest other entry stays', () => {
    const { c, dropped } = setup({ maxTotal: 2 });
    const s = Scope.exchange('http');
    c.put(s, 'c1', 'A');
    c.put(s, 'c2', 'B');
    c.put(s, 'c2', 'B2');
    expect(dropped()).toEqual(['B:superseded']);
    expect(c.get(s, 'c1')).toBe('A');
  });
});

describe('expiry', () => {
  test('entries expire at the ttl exactly, oldest first, and the sweep stops at the first young one', () => {
    const { c, clock, dropped, drops } = setup({ ttlMs: 100 });
    const s = Scope.exchange('http');
    c.put(s, 'c1', 'A'); // at 1000
    clock.t = 1050;
    c.put(s, 'c2', 'B');
    clock.t = 1060;
    c.put(Scope.exchange('http'), 'c1', 'C');
    c.sweep(1099);
    expect(drops).toEqual([]);
    c.sweep(1100);
    expect(dropped()).toEqual(['A:expired']);
    expect(drops[0][2]).toBe('c1');
    expect(drops[0][3]).toBe(s);
    c.sweep(1159);
    expect(dropped()).toEqual(['A:expired', 'B:expired']);
    c.sweep(10_000);
    expect(dropped()).toEqual(['A:expired', 'B:expired', 'C:expired']);
    expect(c.dropped).toBe(3);
    expect(c.size).toBe(0);
  });

  test('the sweep reads the clock when not told the time', () => {
    const { c, clock, dropped } = setup({ ttlMs: 100 });
    c.put(Scope.exchange('http'), 'c1', 'A');
    clock.t = 1099;
    c.sweep();
    expect(dropped()).toEqual([]);
    clock.t = 1100;
    c.sweep();
    expect(dropped()).toEqual(['A:expired']);
  });

  test('the default clock is performance.now()', () => {
    const drops: string[] = [];
    const c = new Correlator<string>({ maxPerScope: 10, maxTotal: 10, ttlMs: 1000 }, (v, why) => drops.push(`${v}:${why}`));
    closers.push(c);
    const before = performance.now();
    c.put(Scope.exchange('http'), 'c1', 'A');
    c.sweep(before + 500);
    expect(drops).toEqual([]);
    c.sweep(performance.now() + 1000);
    expect(drops).toEqual(['A:expired']);
  });

  test('taking entries from the head, the middle and the tail keeps the order the sweep relies on', () => {
    const { c, clock, dropped } = setup({ ttlMs: 100 });
    const s = Scope.exchange('http');
    for (const [i, v] of ['A', 'B', 'C', 'D', 'E'].entries()) {
      clock.t = 1000 + i * 10;
      c.put(s, `c${v}`, v);
    }
    expect(c.take(s, 'cA')).toBe('A'); // head
    expect(c.take(s, 'cC')).toBe('C'); // middle
    expect(c.take(s, 'cE')).toBe('E'); // tail
    clock.t = 1050;
    c.put(s, 'cF', 'F'); // after D, which is the tail now
    c.sweep(1110);
    expect(dropped()).toEqual(['B:expired']);
    c.sweep(1130);
    expect(dropped()).toEqual(['B:expired', 'D:expired']);
    c.sweep(2000);
    expect(dropped()).toEqual(['B:expired', 'D:expired', 'F:expired']);
    expect(c.size).toBe(0);
  });

  test('a value filed again while the sweep runs goes to the young end and the sweep stops', () => {
    const { c, clock, dropped } = setup({ ttlMs: 100 }, (corr, [value, why, key, scope]) => {
      if (why === 'expired' && value === 'A') corr.put(scope, key, value);
    });
    const s = Scope.exchange('http');
    c.put(s, 'c1', 'A');
    clock.t = 1001;
    c.put(s, 'c2', 'B');
    clock.t = 1200;
    c.sweep();
    expect(dropped()).toEqual(['A:expired', 'B:expired']);
    expect(c.get(s, 'c1')).toBe('A');
    expect(c.size).toBe(1);
  });

  test('the sweeper runs every quarter of the ttl, at least every 250 ms and at most every 30 s', () => {
    jest.useFakeTimers();
    const cases: [ttlMs: number, periodMs: number][] = [[2000, 500], [400, 250], [1_000_000, 30_000]];
    for (const [ttlMs, periodMs] of cases) {
      const drops: string[] = [];
      let t = 0;
      const c = new Correlator<string>({ maxPerScope: 10, maxTotal: 10, ttlMs }, (v, why) => drops.push(`${v}:${why}`), () => t);
      c.put(Scope.exchange('http'), 'c1', 'A');
      t = 10 * ttlMs; // long expired: only the sweeper's period decides when it goes
      jest.advanceTimersByTime(periodMs - 1);
      expect([ttlMs, drops]).toEqual([ttlMs, []]);
      jest.advanceTimersByTime(1);
      expect([ttlMs, drops]).toEqual([ttlMs, ['A:expired']]);
      c.close();
    }
  });

  test('close stops the sweeper', () => {
    jest.useFakeTimers();
    const drops: string[] = [];
    let t = 0;
    const c = new Correlator<string>({ maxPerScope: 10, maxTotal: 10, ttlMs: 1000 }, (v, why) => drops.push(`${v}:${why}`), () => t);
    c.close();
    c.put(Scope.exchange('http'), 'c1', 'A');
    t = 5000;
    jest.advanceTimersByTime(60_000);
    expect(drops).toEqual([]);
    expect(c.size).toBe(1);
  });
});

describe('release', () => {
  test('removes the entry only while it holds the same value, and reports no drop', () => {
    const { c, drops } = setup();
    const s = Scope.exchange('http');
    c.put(s, 'c1', 'new');
    c.release(s, 'c1', 'old'); // an operation the reused id superseded
    expect(c.get(s, 'c1')).toBe('new');
    expect(c.size).toBe(1);
    c.release(Scope.exchange('http'), 'c1', 'new');
    expect(c.size).toBe(1);
    c.release(s, 'c2', 'new');
    expect(c.size).toBe(1);
    c.release(s, 'c1', 'new');
    expect(c.get(s, 'c1')).toBeUndefined();
    expect(c.size).toBe(0);
    expect(s.pending).toBeNull();
    expect(drops).toEqual([]);
  });
});

describe('takeScope and rescope', () => {
  test('takeScope returns a scope\'s values in order, removes only them, and reports no drop', () => {
    const { c, drops } = setup();
    const s = Scope.connection('websocket');
    const other = Scope.connection('websocket');
    c.put(s, 'c1', 'A');
    c.put(other, 'c1', 'X');
    c.put(s, 's1', 'B');
    c.put(s, 'p"t"', 'C');
    expect(c.takeScope(s)).toEqual(['A', 'B', 'C']);
    expect(c.size).toBe(1);
    expect(s.pending).toBeNull();
    expect(c.get(other, 'c1')).toBe('X');
    expect(c.takeScope(s)).toEqual([]);
    expect(c.takeScope(Scope.connection('stdio'))).toEqual([]);
    expect(drops).toEqual([]);
  });

  test('rescope moves every entry, in order, to the other scope', () => {
    const { c, drops } = setup();
    const from = Scope.exchange('http');
    const to = Scope.session('http', 's');
    c.put(from, 'c1', 'A');
    c.put(from, 'c2', 'B');
    c.rescope(from, to);
    expect(from.pending).toBeNull();
    expect(c.get(from, 'c1')).toBeUndefined();
    expect(c.size).toBe(2);
    expect(drops).toEqual([]);
    expect(c.takeScope(to)).toEqual(['A', 'B']);
  });

  test('rescope of an empty scope does nothing', () => {
    const { c } = setup();
    const to = Scope.session('http', 's');
    c.put(to, 'c1', 'A');
    c.rescope(Scope.exchange('http'), to);
    expect(c.takeScope(to)).toEqual(['A']);
  });

  test('rescope into a scope that holds the same key supersedes the older entry there', () => {
    const { c, drops } = setup();
    const from = Scope.exchange('http');
    const to = Scope.session('http', 's');
    c.put(to, 'c1', 'old');
    c.put(from, 'c1', 'new');
    c.rescope(from, to);
    expect(drops).toEqual([['old', 'superseded', 'c1', to]]);
    expect(c.get(to, 'c1')).toBe('new');
    expect(c.size).toBe(1);
  });

  test('rescope respects the target scope\'s bound', () => {
    const { c, dropped } = setup({ maxPerScope: 2 });
    const from = Scope.exchange('http');
    const to = Scope.session('http', 's');
    c.put(to, 'c1', 'A');
    c.put(from, 'c2', 'B');
    c.put(from, 'c3', 'C');
    c.rescope(from, to);
    expect(dropped()).toEqual(['A:evicted']);
    expect(c.takeScope(to)).toEqual(['B', 'C']);
  });

  test('rescoped entries go to the young end: an older entry elsewhere still expires first', () => {
    const { c, clock, dropped } = setup({ ttlMs: 100 });
    const from = Scope.exchange('http');
    const to = Scope.session('http', 's');
    c.put(from, 'c1', 'A');
    clock.t = 1010;
    c.put(Scope.exchange('http'), 'c1', 'X');
    clock.t = 1020;
    c.rescope(from, to);
    c.sweep(1115);
    expect(dropped()).toEqual(['X:expired']);
    c.sweep(1120);
    expect(dropped()).toEqual(['X:expired', 'A:expired']);
  });
});

test('close returns what is pending, oldest first, and leaves the correlator empty', () => {
  const { c, drops } = setup();
  const a = Scope.exchange('http');
  const b = Scope.exchange('http');
  c.put(a, 'c1', 'A');
  c.put(b, 'c1', 'B');
  c.put(a, 'c2', 'C');
  expect(c.close()).toEqual(['A', 'B', 'C']);
  expect(c.size).toBe(0);
  expect(a.pending).toBeNull();
  expect(b.pending).toBeNull();
  expect(c.close()).toEqual([]);
  expect(drops).toEqual([]);
});
