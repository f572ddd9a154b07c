// The live view's page and JSON API on the admin port (placeholder: being built).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecentSpans } from './recent';

/** Serves `/` and `/api/*`; returns false for other paths. */
export function uiHandler(_recent: RecentSpans): (req: IncomingMessage, res: ServerResponse) => boolean {
  return () => false;
}
