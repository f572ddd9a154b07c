// Tracing for message-oriented transports (WebSocket frames, stdio lines): one connection is one
// correlation scope, each client message is traced and gets the trace context spliced in, each
// server message ends, starts or annotates a span.
import { Context, ROOT_CONTEXT } from '@opentelemetry/api';
import { TraceFields, spliceMeta } from '../jsonrpc/inject';
import { parseBody } from '../jsonrpc/parse';
import type { ConnInfo } from '../tracing/attributes';
import { metaFields } from '../tracing/propagation';
import { Operation, Tracing } from '../tracing/spans';

let connSeq = 0;
const PRUNE_AT = 64;

export class MessageTap {
  /** Open client requests of this connection, newest last; a server request nests under the only one open. */
  private readonly open = new Set<Operation>();
  private readonly scope = `conn#${++connSeq}`;

  constructor(
    private readonly tracing: Tracing,
    private readonly conn: ConnInfo,
    private readonly headerCtx: Context = ROOT_CONTEXT,
    private readonly injectMeta = true,
    private readonly maxBytes = Infinity,
  ) {}

  /** A client→server message: returns the text to forward (with the trace context spliced in, or unchanged). */
  fromClient(text: string): string {
    if (text.length > this.maxBytes) return text;
    const parsed = parseBody(text);
    if (!parsed) return text;
    const fields: (TraceFields | null)[] = [];
    for (const m of parsed.messages) {
      if (m.kind === 'response') {
        if (m.id !== undefined) this.tracing.answered(this.scope, m.id, false)?.respond(m);
        continue;
      }
      const op = this.tracing.startServer(m, this.conn, this.headerCtx, this.scope);
      fields[m.index] = this.injectMeta ? metaFields(this.tracing.propagator, op.context) : null;
      if (m.kind === 'request') {
        // Ended operations leave the set lazily; prune here too, so a silent server cannot grow it.
        if (this.open.size >= PRUNE_AT) for (const o of this.open) if (o.isEnded) this.open.delete(o);
        this.open.add(op);
      }
      else {
        this.tracing.noteNotification(m, this.scope, []);
        op.end(); // no acknowledgement comes on these transports: forwarded is done
      }
    }
    return (this.injectMeta && spliceMeta(text, fields)) || text;
  }

  /** A server→client message. */
  fromServer(text: string): void {
    if (text.length > this.maxBytes) return;
    const parsed = parseBody(text);
    if (!parsed) return;
    for (const op of this.open) if (op.isEnded) this.open.delete(op);
    for (const m of parsed.messages) {
      if (m.kind === 'response') {
        if (m.id !== undefined) this.tracing.answered(this.scope, m.id, true)?.respond(m);
      } else if (m.kind === 'request') {
        const only = this.open.size === 1 ? [...this.open][0] : undefined;
        this.tracing.startClient(m, this.conn, only?.context ?? this.headerCtx, this.scope);
      } else {
        this.tracing.noteNotification(m, this.scope, [...this.open]);
      }
    }
  }

  /** The connection ended: what is still open will get no response. */
  close(why: 'client_abort' | 'no_response' | 'shutdown' = 'no_response'): void {
    for (const op of this.open) op.abandon(why);
    this.open.clear();
    this.tracing.abandonScope(this.scope, why);
  }
}
