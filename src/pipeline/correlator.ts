// Pending requests, keyed by (scope, key): the scope is an object (scope.ts), the key a string
// within it (direction and the id's exact JSON text, see `requestKey`). Generic over what it stores:
// it knows nothing of spans. Bounded per scope and in total, with a monotonic expiry; whatever
// leaves without being taken goes to `onDrop` with the reason. An entry marked lasting (a request
// held open by its stream) is not expired: the sweep files it again at the young end, and only the
// bounds or its owner end it.
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
  at: number;
  /** Not expired while set: its stream, not the clock, decides when it ends. */
  lasting: boolean;
  /** Neighbours in insertion order across all scopes; null once removed. */
  prev: Entry<T> | null;
  next: Entry<T> | null;
}

export interface CorrelatorLimits {
  readonly maxPerScope: number;
  readonly maxTotal: number;
  readonly ttlMs: number;
}

/**
 * Why no Map keyed by scope and no Set of all entries: a long-lived hash table that entries keep
 * entering and leaving is rehashed each time its size swings near empty, and V8's scavenges then
 * keep the young entries alive; measured in the bare forwarder, one such Set cost 15–20 % of its
 * throughput. Each scope holds its own small table, which dies with an exchange, and the order of
 * all entries is an intrusive list.
 */
export class Correlator<T> {
  /** The oldest entry, for expiry and the total bound, and the newest. */
  private head: Entry<T> | null = null;
  private tail: Entry<T> | null = null;
  private count = 0;
  private readonly sweeper: NodeJS.Timeout;
  dropped = 0;

  constructor(
    private readonly limits: CorrelatorLimits,
    private readonly onDrop: (value: T, why: DropReason, key: string, scope: Scope) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(limits.ttlMs / 4, 250), 30_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.count;
  }

  put(scope: Scope, key: string, value: T, lasting = false): void {
    const old = entries<T>(scope)?.get(key);
    if (old) this.drop(old, 'superseded'); // a reused id supersedes the older request
    else if ((entries<T>(scope)?.size ?? 0) >= this.limits.maxPerScope) this.drop(entries<T>(scope)!.values().next().value as Entry<T>, 'evicted');
    if (this.count >= this.limits.maxTotal && this.head) this.drop(this.head, 'evicted');
    const e: Entry<T> = { scope, key, value, at: 0, lasting, prev: null, next: null };
    (entries<T>(scope) ?? (scope.pending = new Map<string, Entry<T>>()) as Map<string, Entry<T>>).set(key, e);
    this.append(e);
    this.count++;
  }

  /**
   * Marks every entry of `scope` holding `value` lasting or not. Either way its clock starts again:
   * a request whose stream ended has the whole expiry left to be answered elsewhere.
   */
  mark(scope: Scope, value: T, lasting: boolean): void {
    const map = entries<T>(scope);
    if (!map) return;
    for (const e of map.values()) {
      if (e.value !== value) continue;
      e.lasting = lasting;
      this.unlink(e);
      this.append(e);
    }
  }

  get(scope: Scope, key: string): T | undefined {
    return entries<T>(scope)?.get(key)?.value;
  }

  /** Removes and returns the entry. */
  take(scope: Scope, key: string): T | undefined {
    const e = entries<T>(scope)?.get(key);
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
    const e = entries<T>(scope)?.get(key);
    if (e && e.value === value) this.remove(e);
  }

  /** Removes and returns every value of a scope (a closed connection, an ended exchange). */
  takeScope(scope: Scope): T[] {
    const map = entries<T>(scope);
    if (!map) return [];
    const values = [...map.values()];
    for (const e of values) this.remove(e);
    return values.map((e) => e.value);
  }

  /** Moves a scope's entries to another (an exchange's requests once their session is confirmed). */
  rescope(from: Scope, to: Scope): void {
    for (const e of [...(entries<T>(from)?.values() ?? [])]) {
      this.remove(e);
      this.put(to, e.key, e.value, e.lasting);
    }
  }

  /**
   * Drops entries older than the expiry. The list is in insertion order, so this stops at the first
   * young one; a lasting entry goes to the young end instead (each is seen at most once a sweep).
   */
  sweep(now = this.now()): void {
    for (let n = this.count; n > 0 && this.head && now - this.head.at >= this.limits.ttlMs; n--) {
      const e = this.head;
      if (!e.lasting) {
        this.drop(e, 'expired');
        continue;
      }
      this.unlink(e);
      this.append(e, now);
    }
  }

  /** Stops the sweeper and returns what is still pending. */
  close(): T[] {
    clearInterval(this.sweeper);
    const values: T[] = [];
    while (this.head) {
      values.push(this.head.value);
      this.remove(this.head);
    }
    return values;
  }

  private drop(e: Entry<T>, why: DropReason): void {
    this.remove(e);
    if (why !== 'superseded') this.dropped++;
    this.onDrop(e.value, why, e.key, e.scope);
  }

  private remove(e: Entry<T>): void {
    const map = entries<T>(e.scope);
    if (!map || map.get(e.key) !== e) return;
    map.delete(e.key);
    if (map.size === 0) e.scope.pending = null;
    this.unlink(e);
    this.count--;
  }

  /** Out of the order list (still in its scope's table). */
  private unlink(e: Entry<T>): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = null; // a removed entry that V8 promoted must not keep its young neighbours alive
  }

  /** At the young end, its clock started at `now`. */
  private append(e: Entry<T>, now = this.now()): void {
    e.at = now;
    e.prev = this.tail;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
  }
}

function entries<T>(scope: Scope): Map<string, Entry<T>> | null {
  return scope.pending as Map<string, Entry<T>> | null;
}
