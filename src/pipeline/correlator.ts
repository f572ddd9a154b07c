// Pending requests, keyed by (scope, key): the scope is an object (scope.ts), the key a string
// within it (direction and the id's exact JSON text, see `requestKey`). Generic over what it stores:
// it knows nothing of spans. Bounded per scope and in total, with a monotonic expiry; whatever
// leaves without being taken goes to `onDrop` with the reason.
import type { Scope } from './scope';

export type Direction = 'client_to_server' | 'server_to_client';
export type DropReason = 'expired' | 'evicted' | 'superseded';

/** The key of a request id travelling in `dir`; ids are the exact JSON text (`RpcMessage.idText`). */
export function requestKey(dir: Direction, idText: string): string {
  return (dir === 'client_to_server' ? 'c' : 's') + idText;
}

/** The key of a progress token that a request travelling in `dir` set. */
export function progressKey(dir: Direction, token: string | number): string {
  return (dir === 'client_to_server' ? 'p' : 'q') + JSON.stringify(token);
}

interface Entry<T> {
  readonly scope: Scope;
  readonly key: string;
  readonly value: T;
  readonly at: number;
}

export interface CorrelatorLimits {
  readonly maxPerScope: number;
  readonly maxTotal: number;
  readonly ttlMs: number;
}

export class Correlator<T> {
  private readonly byScope = new Map<Scope, Map<string, Entry<T>>>();
  /** Every entry in insertion order: the oldest first, for expiry and the total bound. */
  private readonly all = new Set<Entry<T>>();
  private readonly sweeper: NodeJS.Timeout;
  dropped = 0;

  constructor(
    private readonly limits: CorrelatorLimits,
    private readonly onDrop: (value: T, why: DropReason, key: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(limits.ttlMs / 4, 250), 30_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.all.size;
  }

  put(scope: Scope, key: string, value: T): void {
    let map = this.byScope.get(scope);
    if (!map) this.byScope.set(scope, (map = new Map()));
    const old = map.get(key);
    if (old) this.drop(old, 'superseded'); // a reused id supersedes the older request
    else if (map.size >= this.limits.maxPerScope) this.drop(map.values().next().value as Entry<T>, 'evicted');
    if (this.all.size >= this.limits.maxTotal) this.drop(this.all.values().next().value as Entry<T>, 'evicted');
    const e: Entry<T> = { scope, key, value, at: this.now() };
    (this.byScope.get(scope) ?? this.byScope.set(scope, new Map()).get(scope)!).set(key, e);
    this.all.add(e);
  }

  get(scope: Scope, key: string): T | undefined {
    return this.byScope.get(scope)?.get(key)?.value;
  }

  /** Removes and returns the entry. */
  take(scope: Scope, key: string): T | undefined {
    const e = this.byScope.get(scope)?.get(key);
    if (!e) return undefined;
    this.remove(e);
    return e.value;
  }

  /** Whether a key is a request id's (not a progress token's). */
  static isRequestKey(key: string): boolean {
    return key[0] === 'c' || key[0] === 's';
  }

  /** Removes the entry if it still holds `value` (an operation that ended some other way). */
  release(scope: Scope, key: string, value: T): void {
    const e = this.byScope.get(scope)?.get(key);
    if (e && e.value === value) this.remove(e);
  }

  /** Removes and returns every value of a scope (a closed connection, an ended exchange). */
  takeScope(scope: Scope): T[] {
    const map = this.byScope.get(scope);
    if (!map) return [];
    const values = [...map.values()];
    for (const e of values) this.remove(e);
    return values.map((e) => e.value);
  }

  /** Moves a scope's entries to another (an exchange's requests once their session is confirmed). */
  rescope(from: Scope, to: Scope): void {
    for (const e of [...(this.byScope.get(from)?.values() ?? [])]) {
      this.remove(e);
      this.put(to, e.key, e.value);
    }
  }

  /** Drops entries older than the expiry. `all` is in insertion order, so this stops at the first young one. */
  sweep(now = this.now()): void {
    for (const e of this.all) {
      if (now - e.at < this.limits.ttlMs) break;
      this.drop(e, 'expired');
    }
  }

  /** Stops the sweeper and returns what is still pending. */
  close(): T[] {
    clearInterval(this.sweeper);
    const values = [...this.all].map((e) => e.value);
    this.all.clear();
    this.byScope.clear();
    return values;
  }

  private drop(e: Entry<T>, why: DropReason): void {
    this.remove(e);
    if (why !== 'superseded') this.dropped++;
    this.onDrop(e.value, why, e.key);
  }

  private remove(e: Entry<T>): void {
    this.all.delete(e);
    const map = this.byScope.get(e.scope);
    if (!map) return;
    map.delete(e.key);
    if (map.size === 0) this.byScope.delete(e.scope);
  }
}
