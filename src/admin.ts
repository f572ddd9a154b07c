// The admin listener, apart from the proxied port so it never collides with the server's paths:
// /healthz (alive), /readyz (ready for traffic), /metrics (Prometheus), and the live view when on.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LiveView, uiHandler } from './ui/handler';

export interface AdminOptions {
  readonly adminHost: string;
  /** null: no admin listener. */
  readonly adminPort: number | null;
  /** Extra Host names the live view answers to (besides loopback names). */
  readonly allowedHosts: readonly string[] | null;
}

/** What the admin port serves besides health: Prometheus text, and the live view when on. */
export interface AdminEndpoints {
  readonly metrics: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | null;
  readonly view: LiveView | null;
}

export interface Readiness {
  readonly ok: boolean;
  readonly reason?: string;
}

export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the admin listener, or returns null with --admin-port off. */
export async function startAdmin(config: AdminOptions, endpoints: AdminEndpoints, ready: () => Promise<Readiness> | Readiness): Promise<AdminServer | null> {
  if (config.adminPort === null) return null;
  const view = endpoints.view;
  const ui = view ? uiHandler(view.recent, { allowedHosts: config.allowedHosts ?? [], series: view.series, sessions: view.sessions }) : null;
  const metrics = endpoints.metrics;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return text(res, 200, 'ok\n');
    if (path === '/readyz') {
      void Promise.resolve(ready()).then((r) => text(res, r.ok ? 200 : 503, r.ok ? 'ready\n' : `${r.reason ?? 'not ready'}\n`));
      return;
    }
    if (path === '/metrics') {
      return metrics ? metrics(req, res) : text(res, 404, 'metrics are off (OTEL_METRICS_EXPORTER has no prometheus)\n');
    }
    if (ui?.(req, res)) return;
    text(res, 404, 'not found: try /healthz, /readyz or /metrics\n');
  });
  await listen(server, config.adminPort, config.adminHost);
  return {
    url: `http://${hostForUrl(config.adminHost)}:${(server.address() as AddressInfo).port}`,
    close: () => {
      ui?.close(); // live-view streams never end by themselves
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(body);
}
