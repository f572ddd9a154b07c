// The webhook's real HTTPS server, on what is not a pod to inject: malformed reviews (answered
// allowed, with a warning), and its /healthz, /readyz and /metrics.
import { startWebhook, type WebhookServer } from '../../src/inject/server';
import type { RawSettings } from '../../src/inject/settings';
import { createLogger } from '../../src/log';
import { makeCerts, type TestCerts } from '../helpers/certs';
import { deploymentPod, request, review, send } from './fixtures';

let certs: TestCerts;
let server: WebhookServer;
const logLines: string[] = [];

function defaults(extra: Record<string, string> = {}): RawSettings {
  const values: Record<string, string> = { image: 'registry.example.com/mcp-trace-proxy:0.1.0', ...extra };
  return new Map(Object.entries(values).map(([k, v]) => [k, { value: v, source: `--${k}` }])) as RawSettings;
}

async function start(extra: Record<string, string> = {}, ownNamespace: string | null = 'mcp-system'): Promise<void> {
  server = await startWebhook({
    host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0, certFile: certs.serverCertFile, keyFile: certs.serverKeyFile,
    admit: { defaults: defaults(extra), ownNamespace },
    log: createLogger({ level: 'debug', format: 'json', write: (l) => logLines.push(l) }),
  });
}

const post = (body: unknown, path = '/inject') => send(`${server.url}${path}`, certs.ca, body);

beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());
beforeEach(() => {
  logLines.length = 0;
});
afterEach(async () => {
  await server?.close();
});

test('malformed or unexpected reviews: allowed, with a warning, the uid echoed when there is one; the server goes on', async () => {
  await start();
  const ok = review(deploymentPod());
  const cases: [unknown, string, string][] = [
    ['{not json', '', 'the body is not JSON'],
    [{ ...ok, apiVersion: 'admission.k8s.io/v1beta1' }, ok.request.uid, 'apiVersion "admission.k8s.io/v1beta1" is not admission.k8s.io/v1 (set admissionReviewVersions: [v1])'],
    [{ ...ok, request: { ...ok.request, uid: undefined } }, '', 'request.uid is missing'],
    [{ ...ok, request: { ...ok.request, kind: 'Pod' } }, ok.request.uid, 'request.kind or request.resource is missing'],
    [review({ metadata: {}, spec: { containers: 'weather' } }), '', 'request.object spec.containers is not a list'],
    [review({ metadata: { annotations: { a: 1 } }, spec: { containers: [{ name: 'a' }] } }), '', 'request.object metadata.annotations is not a map of strings'],
    [[], '', 'the body is not an AdmissionReview'],
  ];
  for (const [body, uid, warning] of cases) {
    const a = await post(body);
    expect(a.status).toBe(200);
    expect(a.response.allowed).toBe(true);
    if (uid) expect(a.response.uid).toBe(uid);
    expect(a.patch).toBeNull();
    expect(a.response.warnings).toEqual([`mcp-trace-proxy: not injected: ${warning}`]);
  }
  expect(await metric('mcp_trace_proxy_injector_errors_total{reason="malformed_review"}')).toBe(cases.length);
  expect((await post(review(deploymentPod()))).patch).not.toBeNull();
});

test('/healthz, /readyz and /metrics on the admin port and the HTTPS port; /readyz 503 once closing', async () => {
  await start();
  await post(review(deploymentPod()));
  for (const base of [server.adminUrl!, server.url]) {
    const get = (p: string) => (base.startsWith('https') ? request(`${base}${p}`, certs.ca) : fetch(`${base}${p}`).then(async (r) => ({ status: r.status, text: await r.text(), headers: { 'content-type': r.headers.get('content-type') } })));
    expect(await get('/healthz')).toMatchObject({ status: 200, text: 'ok\n' });
    expect(await get('/readyz')).toMatchObject({ status: 200, text: 'ready\n' });
    const m = await get('/metrics');
    expect(m.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(m.text).toContain('# TYPE mcp_trace_proxy_injector_requests_total counter\nmcp_trace_proxy_injector_requests_total 1\n');
    expect(m.text).toContain('mcp_trace_proxy_injector_injected_total{mode="native",dry_run="false"} 1\n');
    expect(m.text).toContain('# TYPE mcp_trace_proxy_injector_skipped_total counter\n');
    expect(m.text).toContain('# TYPE mcp_trace_proxy_injector_errors_total counter\n');
    expect(m.text).toContain('mcp_trace_proxy_injector_tls_reloads_total 0\n');
    expect((await get('/nothing')).status).toBe(404);
  }
  const admin = server.adminUrl!;
  const closed = server.close();
  // Between close() and the listener's end, a probe may still get through: it must not say ready.
  const r = await fetch(`${admin}/readyz`).then((x) => x.status).catch(() => 'closed');
  expect([503, 'closed']).toContain(r);
  await closed;
  server = undefined as unknown as WebhookServer;
});

async function metric(series: string): Promise<number> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
