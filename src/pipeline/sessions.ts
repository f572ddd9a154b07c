// Sessions the upstream issued: an initialize response's Mcp-Session-Id, a legacy endpoint event,
// or an id the upstream accepted with a 2xx (after a proxy restart). Each has its correlation scope.
// An id a client makes up is never one of these, so it neither counts as a session nor reaches
// another client's scope. Bounded: past the cap, new sessions are neither tracked nor counted, and
// idle ones end after `idleMs` (monotonic clock).
import { Scope, Transport } from './scope';

interface Session {
  readonly scope: Scope;
  readonly startedAt: number;
  lastSeen: number;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly idleMs: number,
    private readonly max: number,
    /** A session ended: its duration in seconds, and its scope (whose pending requests now go unanswered). */
    private readonly onEnd: (durationS: number, scope: Scope) => void,
    private readonly onCount: (active: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 60_000));
    this.sweeper.unref();
  }

  /** The upstream issued (or accepted) this id: its scope, created on first sight. Undefined past the cap. */
  issued(transport: Transport, id: string): Scope | undefined {
    const key = `${transport} ${id}`;
    const s = this.sessions.get(key);
    if (s) {
      s.lastSeen = this.now();
      return s.scope;
    }
    if (this.sessions.size >= this.max) return undefined;
    const at = this.now();
    const scope = Scope.session(transport, id);
    this.sessions.set(key, { scope, startedAt: at, lastSeen: at });
    this.onCount(this.sessions.size);
    return scope;
  }

  /** The scope of a session a client names, only if the upstream issued it. */
  lookup(transport: Transport, id: string): Scope | undefined {
    const s = this.sessions.get(`${transport} ${id}`);
    if (s) s.lastSeen = this.now();
    return s?.scope;
  }

  ended(transport: Transport, id: string): void {
    const key = `${transport} ${id}`;
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    this.onEnd((this.now() - s.startedAt) / 1000, s.scope);
    this.onCount(this.sessions.size);
  }

  get size(): number {
    return this.sessions.size;
  }

  sweep(now = this.now()): void {
    for (const s of [...this.sessions.values()]) if (now - s.lastSeen >= this.idleMs) this.ended(s.scope.transport, s.scope.sessionId as string);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const s of [...this.sessions.values()]) this.ended(s.scope.transport, s.scope.sessionId as string);
  }
}
