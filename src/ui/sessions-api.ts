// The Sessions tab's JSON:
//   GET /api/sessions         sessions, connections and runs, most recently active first, with totals
//   GET /api/sessions/<id>    one of them and its operations by start time (the waterfall)
import type { SessionIndex } from './sessions';

export interface Routed {
  readonly status: number;
  readonly body: unknown;
}

/** The answer to a /api/sessions path, or null for any other path. */
export function sessionRoute(path: string, sessions: SessionIndex | null | undefined): Routed | null {
  if (path !== '/api/sessions' && !path.startsWith('/api/sessions/')) return null;
  if (!sessions) return { status: 404, body: { error: 'sessions are not kept by this view' } };
  if (path === '/api/sessions') {
    return { status: 200, body: { sessions: sessions.list(), capacity: sessions.maxSessions, maxOperations: sessions.maxOps, evicted: sessions.evicted } };
  }
  const id = path.slice('/api/sessions/'.length);
  if (!/^s\d{1,15}$/.test(id)) return { status: 400, body: { error: 'a session id is s followed by digits, as /api/sessions lists them' } };
  const found = sessions.get(id);
  if (!found) return { status: 404, body: { id, error: 'session not in memory: the view keeps only the most recently active sessions' } };
  return { status: 200, body: { ...found, maxOperations: sessions.maxOps } };
}
