// Sessions seen through the proxy, for the active-sessions gauge and the session-duration histogram.
// A session starts when the upstream names it (initialize response header, legacy endpoint event)
// and ends on DELETE, on the upstream's 404 for it, or after being idle; the map is capped.

export interface SessionInfo {
  readonly startedAt: number;
  lastSeen: number;
}

export class SessionTracker {
  private readonly sessions = new Map<string, SessionInfo>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly idleMs: number,
    private readonly max: number,
    private readonly onEnd: (durationS: number) => void,
    private readonly onCount: (active: number) => void,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 60_000));
    this.sweeper.unref();
  }

  /** A request named this session: start tracking it, or note it is alive. */
  seen(id: string, now = Date.now()): void {
    const s = this.sessions.get(id);
    if (s) {
      s.lastSeen = now;
      return;
    }
    if (this.sessions.size >= this.max) return; // bounded: past the cap, new sessions go uncounted
    this.sessions.set(id, { startedAt: now, lastSeen: now });
    this.onCount(this.sessions.size);
  }

  ended(id: string, now = Date.now()): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    this.onEnd((now - s.startedAt) / 1000);
    this.onCount(this.sessions.size);
  }

  sweep(now = Date.now()): void {
    for (const [id, s] of this.sessions) if (now - s.lastSeen >= this.idleMs) this.ended(id, s.lastSeen);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const id of [...this.sessions.keys()]) this.ended(id);
  }
}
