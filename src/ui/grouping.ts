// Which session or run a finished span belongs to, for the live view's Sessions tab. Pure: the
// index (sessions.ts) keeps the state, these functions only read a span's facts.
//   - an `Mcp-Session-Id` or a legacy session: `mcp.session.id` (the spans carry it);
//   - a WebSocket connection: the client's address and port, unique while it is open;
//   - stdio: the one child process (one connection per proxy);
//   - stateless HTTP (2026-07-28, or no session): a *run*, by client identity (client name, tenant,
//     user) and the trace id the client propagated; without a propagated trace, by time gaps:
//     a pause longer than RUN_GAP_MS starts a new run of that identity.
// A server→client request without a session goes where the operation that carried it goes.
import type { AttributeValue } from '@opentelemetry/api';
import * as semconv from '../tracing/semconv';

/** A pause between two operations of one identity that starts a new run. */
export const RUN_GAP_MS = 30_000;

/** What grouping reads of a span. */
export interface SpanFacts {
  readonly traceId: string;
  readonly parentSpanId?: string;
  readonly kind: 'server' | 'client';
  readonly attributes: Readonly<Record<string, AttributeValue | undefined>>;
}

export type GroupBy = 'session' | 'connection' | 'run';

export type Grouping =
  /** A session or connection, or a run of one propagated trace: the key says which. */
  | { readonly by: GroupBy; readonly key: string; readonly label: string; readonly identity: Identity }
  /** A run of one identity, cut at time gaps: the index numbers the runs. */
  | { readonly by: 'gap'; readonly identity: Identity }
  /** A sessionless server→client request: its parent's group. */
  | { readonly by: 'parent'; readonly parentSpanId: string };

/** Who ran it, as far as the spans say. */
export interface Identity {
  readonly client?: string;
  readonly tenant?: string;
  readonly user?: string;
}

function text(v: AttributeValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function identityOf(a: SpanFacts['attributes']): Identity {
  const id: { client?: string; tenant?: string; user?: string } = {};
  const client = text(a[semconv.ATTR_MCP_CLIENT_NAME]);
  const tenant = text(a[semconv.ATTR_TENANT_ID]);
  const user = text(a[semconv.ATTR_ENDUSER_ID]);
  if (client) id.client = client;
  if (tenant) id.tenant = tenant;
  if (user) id.user = user;
  return id;
}

/** One string per identity (JSON, so no separator can be forged by a value). */
export function identityKey(id: Identity): string {
  return JSON.stringify([id.client ?? null, id.tenant ?? null, id.user ?? null]);
}

export function groupingOf(span: SpanFacts): Grouping {
  const a = span.attributes;
  const identity = identityOf(a);
  const session = text(a[semconv.ATTR_MCP_SESSION_ID]);
  if (session) return { by: 'session', key: 'session:' + session, label: session, identity };
  if (a[semconv.ATTR_NETWORK_TRANSPORT] === 'pipe') return { by: 'connection', key: 'stdio', label: 'stdio', identity };
  if (a[semconv.ATTR_NETWORK_PROTOCOL_NAME] === 'websocket') {
    const peer = `${text(a[semconv.ATTR_CLIENT_ADDRESS]) ?? '?'}:${a[semconv.ATTR_CLIENT_PORT] ?? '?'}`;
    return { by: 'connection', key: 'ws:' + peer, label: 'websocket ' + peer, identity };
  }
  if (span.kind === 'client' && span.parentSpanId) return { by: 'parent', parentSpanId: span.parentSpanId };
  // A SERVER span with a parent: the client propagated its trace, which names the run.
  if (span.parentSpanId) return { by: 'run', key: `run:${identityKey(identity)}:${span.traceId}`, label: 'trace ' + span.traceId.slice(0, 8), identity };
  return { by: 'gap', identity };
}

/** Whether an operation starting at `startMs` begins a new gap run after one whose last operation ended at `lastEndMs`. */
export function startsNewRun(lastEndMs: number | undefined, startMs: number, gapMs = RUN_GAP_MS): boolean {
  return lastEndMs === undefined || startMs - lastEndMs > gapMs;
}
