// The webhook's listeners. HTTPS (kube-apiserver only calls webhooks over TLS): POST /inject (pods
// that opt in by annotation) and POST /inject/namespace (every pod of a labelled namespace), plus
// /healthz, /readyz and /metrics. The same three on a plain-HTTP admin port, for probes and Prometheus,
// which would otherwise need the webhook's CA.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostForUrl, listen } from '../admin';
import type { Logger } from '../log';
import { type AdmitOptions, type Scope, admit } from './admit';
import { WebhookMetrics } from './metrics';
import { podLabel } from './pod';
import { parseReview, reviewResponse } from './review';
import { readKeyPair, watchKeyPair } from './tls';

export interface WebhookServerOptions {
  readonly host: string;
  readonly port: number;
  readonly adminHost: string;
  /** null: no admin listener. */
  readonly adminPort: number | null;
  readonly certFile: string;
  readonly keyFile: string;
  readonly admit: AdmitOptions;
  readonly log: Logger;
}

export interface WebhookServer {
  readonly url: string;
  readonly adminUrl: string | null;
  readonly metrics: WebhookMetrics;
  /** /readyz answers 503 from here on; then the listeners close. */
  close(): Promise<void>;
}

/** Far above what kube-apiserver sends (objects are capped at about 1.5 MiB in etcd), far below harm. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const ROUTES: Readonly<Record<string, Scope>> = { '/inject': 'pod', '/inject/namespace': 'namespace' };

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

export async function startWebhook(o: WebhookServerOptions): Promise<WebhookServer> {
  const metrics = new WebhookMetrics();
  let closing = false;
  const log = o.log;

  /** /healthz, /readyz, /metrics: true when answered. */
  const common = (path: string, res: http.ServerResponse): boolean => {
    if (path === '/healthz') send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    else if (path === '/readyz') send(res, closing ? 503 : 200, 'text/plain; charset=utf-8', closing ? 'shutting down\n' : 'ready\n');
    else if (path === '/metrics') send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', metrics.render());
    else return false;
    return true;
  };

  const review = (scope: Scope, body: string, res: http.ServerResponse) => {
    metrics.requests.inc();
    const parsed = parseReview(body);
    if (!parsed.ok) {
      metrics.errors.inc({ reason: 'malformed_review' });
      log.warn('malformed AdmissionReview: allowed unchanged', { code: parsed.error.code, error: parsed.error.message });
      return send(res, 200, 'application/json', JSON.stringify(reviewResponse(parsed.uid, null, [`mcp-trace-proxy: not injected: ${parsed.error.message}`])));
    }
    const req = parsed.request;
    const outcome = admit(req, scope, o.admit);
    const where = { uid: req.uid, namespace: req.namespace ?? '', dry_run: req.dryRun };
    if (outcome.kind === 'injected') {
      const mode = outcome.native ? 'native' : 'container';
      metrics.injected.inc({ mode, dry_run: String(req.dryRun) });
      log.info('injected the proxy', { ...where, pod: podLabel(outcome.pod), mode });
      return send(res, 200, 'application/json', JSON.stringify(reviewResponse(req.uid, outcome.ops, [])));
    }
    if (outcome.kind === 'malformed') {
      metrics.errors.inc({ reason: 'malformed_review' });
      log.warn('malformed pod in AdmissionReview: allowed unchanged', where);
      return send(res, 200, 'application/json', JSON.stringify(reviewResponse(req.uid, null, [outcome.warning])));
    }
    metrics.skipped.inc({ reason: outcome.reason });
    // The warning may quote an annotation's value: it goes back to whoever created the pod, not to the log.
    const fields = { ...where, pod: outcome.pod ? podLabel(outcome.pod) : '', reason: outcome.reason };
    if (outcome.warning) log.warn('not injected', fields);
    else log.debug('not injected', fields);
    return send(res, 200, 'application/json', JSON.stringify(reviewResponse(req.uid, null, outcome.warning ? [outcome.warning] : [])));
  };

  const pair = readKeyPair(o.certFile, o.keyFile);
  const server = https.createServer({ ...pair, requestTimeout: 10_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const scope = ROUTES[path];
    if (req.method === 'POST' && scope) {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY_BYTES) chunks.push(c);
      });
      req.on('end', () => {
        if (size > MAX_BODY_BYTES) {
          metrics.requests.inc();
          metrics.errors.inc({ reason: 'malformed_review' });
          return send(res, 200, 'application/json', JSON.stringify(reviewResponse('', null, ['mcp-trace-proxy: not injected: the AdmissionReview is too large'])));
        }
        review(scope, Buffer.concat(chunks).toString('utf8'), res);
      });
      req.on('error', () => res.destroy());
      return;
    }
    if (req.method === 'GET' && common(path, res)) return;
    send(res, 404, 'text/plain; charset=utf-8', 'not found: POST /inject or /inject/namespace; GET /healthz, /readyz or /metrics\n');
  });
  const watch = watchKeyPair(o.certFile, o.keyFile, pair, (next) => {
    server.setSecureContext(next);
    metrics.tlsReloads.inc();
    log.info('serving certificate reloaded');
  }, (err) => {
    metrics.errors.inc({ reason: 'tls_reload' });
    log.warn('serving certificate not reloaded: keeping the previous one', { code: err.code, error: err.message });
  });

  const admin = o.adminPort === null ? null : http.createServer((req, res) => {
    if (req.method === 'GET' && common((req.url ?? '/').split('?')[0], res)) return;
    send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz or /metrics\n');
  });
  try {
    await listen(server as unknown as http.Server, o.port, o.host);
    if (admin) await listen(admin, o.adminPort as number, o.adminHost);
  } catch (err) {
    watch.close();
    server.close();
    throw err;
  }
  const closeOne = (s: http.Server | https.Server) => new Promise<void>((r) => {
    s.close(() => r());
    s.closeIdleConnections();
  });
  return {
    url: `https://${hostForUrl(o.host)}:${(server.address() as AddressInfo).port}`,
    adminUrl: admin ? `http://${hostForUrl(o.adminHost)}:${(admin.address() as AddressInfo).port}` : null,
    metrics,
    close: async () => {
      closing = true;
      watch.close();
      await Promise.all([closeOne(server), ...(admin ? [closeOne(admin)] : [])]);
    },
  };
}
