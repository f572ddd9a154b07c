// The webhook's real HTTPS server on port 0 with test certificates, answering AdmissionReviews shaped
// as kube-apiserver sends them. Each patch is applied with fast-json-patch and the pod validated
// against the Kubernetes OpenAPI schema of v1 Pod.
import { startWebhook, type WebhookServer } from '../../src/inject/server';
import type { RawSettings } from '../../src/inject/settings';
import { createLogger } from '../../src/log';
import { makeCerts, type TestCerts } from '../helpers/certs';
import { apply, deploymentPod, envOf, review, send, validatePod } from './fixtures';

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

test('a Deployment pod (generateName, no name) annotated inject: "true" gets a native sidecar; the patched pod is a valid v1 Pod', async () => {
  await start();
  const pod = deploymentPod();
  const rv = review(pod);
  const a = await post(rv);
  expect(a.status).toBe(200);
  expect(a.body.apiVersion).toBe('admission.k8s.io/v1');
  expect(a.body.kind).toBe('AdmissionReview');
  expect(a.response.uid).toBe(rv.request.uid);
  expect(a.response.allowed).toBe(true);
  expect(a.response.patchType).toBe('JSONPatch');
  expect(a.response.warnings).toBeUndefined();
  expect(a.patch!.map((op) => `${op.op} ${op.path}`)).toEqual(['add /spec/initContainers']);

  const out = apply(pod, a.patch!);
  validatePod(out);
  expect(out.spec.containers).toEqual(pod.spec.containers); // the server untouched
  const [proxy] = out.spec.initContainers;
  expect(proxy.name).toBe('mcp-trace-proxy');
  expect(proxy.image).toBe('registry.example.com/mcp-trace-proxy:0.1.0');
  expect(proxy.imagePullPolicy).toBe('IfNotPresent');
  expect(proxy.restartPolicy).toBe('Always');
  expect(proxy.ports).toEqual([
    { name: 'mcp-proxy', containerPort: 8080, protocol: 'TCP' },
    { name: 'mcp-admin', containerPort: 9464, protocol: 'TCP' },
  ]);
  expect(proxy.startupProbe).toEqual({ httpGet: { path: '/healthz', port: 9464 }, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 30 });
  expect(proxy.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 9464 });
  expect(proxy.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 9464 });
  expect(proxy.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
  expect(proxy.securityContext).toEqual({
    runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
  });
  const env = envOf(proxy);
  // The only container has one port (3001): that is the upstream.
  expect(env.MCP_TRACE_PROXY_UPSTREAM.value).toBe('http://127.0.0.1:3001/mcp');
  expect(env.MCP_TRACE_PROXY_HOST.value).toBe('0.0.0.0');
  expect(env.MCP_TRACE_PROXY_PORT.value).toBe('8080');
  expect(env.MCP_TRACE_PROXY_ADMIN_PORT.value).toBe('9464');
  expect(env.OTEL_SERVICE_NAME.value).toBe('weather-mcp'); // from app.kubernetes.io/name
  expect(env.K8S_POD_NAME.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
  expect(env.OTEL_RESOURCE_ATTRIBUTES.value).toBe('k8s.pod.name=$(K8S_POD_NAME),k8s.pod.uid=$(K8S_POD_UID),k8s.namespace.name=$(K8S_NAMESPACE_NAME),k8s.node.name=$(K8S_NODE_NAME),k8s.container.name=mcp-trace-proxy');
  expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
});

test('reinvocation is safe: the patched pod, reviewed again, gets no second proxy', async () => {
  await start();
  const pod = deploymentPod();
  const first = await post(review(pod));
  const once = apply(pod, first.patch!);
  const again = await post(review(once));
  expect(again.response.allowed).toBe(true);
  expect(again.patch).toBeNull();
  expect(again.response.patchType).toBeUndefined();
  // The same for a plain-container injection.
  const plain = deploymentPod({ 'mcp-trace-proxy.io/inject': 'true', 'mcp-trace-proxy.io/native-sidecar': 'false' });
  const p1 = apply(plain, (await post(review(plain))).patch!);
  expect((await post(review(p1))).patch).toBeNull();
  expect(await metric('mcp_trace_proxy_injector_skipped_total{reason="already_injected"}')).toBe(2);
});

test('native-sidecar "false" makes a plain container, appended to containers, without restartPolicy or startupProbe', async () => {
  await start();
  const pod = deploymentPod({ 'mcp-trace-proxy.io/inject': 'true', 'mcp-trace-proxy.io/native-sidecar': 'false' });
  const a = await post(review(pod));
  expect(a.patch!.map((op) => `${op.op} ${op.path}`)).toEqual(['add /spec/containers/-']);
  const out = apply(pod, a.patch!);
  validatePod(out);
  expect(out.spec.initContainers).toBeUndefined();
  expect(out.spec.containers.map((c: { name: string }) => c.name)).toEqual(['weather-mcp', 'mcp-trace-proxy']);
  expect(out.spec.containers[1].restartPolicy).toBeUndefined();
  expect(out.spec.containers[1].startupProbe).toBeUndefined();
  expect(await metric('mcp_trace_proxy_injector_injected_total{mode="container",dry_run="false"}')).toBe(1);
});

test('existing initContainers are kept: the proxy is appended with /-', async () => {
  await start();
  const pod = deploymentPod();
  pod.spec.initContainers = [{ name: 'migrate', image: 'registry.example.com/migrate:1', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }];
  const a = await post(review(pod));
  expect(a.patch!.map((op) => op.path)).toEqual(['/spec/initContainers/-']);
  const out = apply(pod, a.patch!);
  validatePod(out);
  expect(out.spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['migrate', 'mcp-trace-proxy']);
});

test('annotations override the settings: port by name, path, OTLP, Secrets, sampler, keep-*, attribution, resources, image', async () => {
  await start({ 'otlp-endpoint': 'http://otel-collector.observability:4318', sampler: 'parentbased_always_on' });
  const pod = deploymentPod({
    'mcp-trace-proxy.io/inject': 'true',
    'mcp-trace-proxy.io/upstream-port': 'metrics-free', // a port name, resolved in the pod
    'mcp-trace-proxy.io/upstream-path': '/v2/mcp',
    'mcp-trace-proxy.io/service-name': 'weather',
    'mcp-trace-proxy.io/otlp-endpoint': 'https://collector.example.com:4318',
    'mcp-trace-proxy.io/otlp-protocol': 'http/json',
    'mcp-trace-proxy.io/otlp-headers-secret': 'otlp-auth',
    'mcp-trace-proxy.io/otlp-headers-secret-key': 'headers',
    'mcp-trace-proxy.io/otlp-tls-secret': 'collector-tls',
    'mcp-trace-proxy.io/otlp-tls-client-cert': 'true',
    'mcp-trace-proxy.io/sampler': 'parentbased_traceidratio',
    'mcp-trace-proxy.io/sampler-arg': '0.25',
    'mcp-trace-proxy.io/keep-errors': 'false',
    'mcp-trace-proxy.io/keep-slow': '2s',
    'mcp-trace-proxy.io/attribute-header': 'x-tenant-id=tenant.id',
    'mcp-trace-proxy.io/attribute-jwt-claim': 'sub=enduser.id',
    'mcp-trace-proxy.io/cpu-limit': 'none',
    'mcp-trace-proxy.io/memory-limit': '512Mi',
    'mcp-trace-proxy.io/image': 'mirror.example.com/mcp-trace-proxy@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'mcp-trace-proxy.io/image-pull-policy': 'Always',
    'mcp-trace-proxy.io/proxy-port': '18080',
    'mcp-trace-proxy.io/proxy-admin-port': '19464',
  });
  pod.spec.containers[0].ports.push({ name: 'metrics-free', containerPort: 3002, protocol: 'TCP' });
  const a = await post(review(pod));
  expect(a.response.warnings).toBeUndefined();
  const out = apply(pod, a.patch!);
  validatePod(out);
  const proxy = out.spec.initContainers[0];
  const env = envOf(proxy);
  expect(env.MCP_TRACE_PROXY_UPSTREAM.value).toBe('http://127.0.0.1:3002/v2/mcp');
  expect(env.OTEL_SERVICE_NAME.value).toBe('weather');
  expect(env.OTEL_EXPORTER_OTLP_ENDPOINT.value).toBe('https://collector.example.com:4318');
  expect(env.OTEL_EXPORTER_OTLP_PROTOCOL.value).toBe('http/json');
  expect(env.OTEL_EXPORTER_OTLP_HEADERS).toEqual({ name: 'OTEL_EXPORTER_OTLP_HEADERS', valueFrom: { secretKeyRef: { name: 'otlp-auth', key: 'headers' } } });
  expect(env.OTEL_EXPORTER_OTLP_CERTIFICATE.value).toBe('/etc/mcp-trace-proxy/otlp-tls/ca.crt');
  expect(env.OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE.value).toBe('/etc/mcp-trace-proxy/otlp-tls/tls.crt');
  expect(env.OTEL_EXPORTER_OTLP_CLIENT_KEY.value).toBe('/etc/mcp-trace-proxy/otlp-tls/tls.key');
  expect(env.OTEL_TRACES_SAMPLER.value).toBe('parentbased_traceidratio');
  expect(env.OTEL_TRACES_SAMPLER_ARG.value).toBe('0.25');
  expect(env.MCP_TRACE_PROXY_KEEP_ERRORS.value).toBe('false');
  expect(env.MCP_TRACE_PROXY_KEEP_SLOW.value).toBe('2s');
  expect(env.MCP_TRACE_PROXY_ATTRIBUTE_HEADER.value).toBe('x-tenant-id=tenant.id');
  expect(env.MCP_TRACE_PROXY_ATTRIBUTE_JWT_CLAIM.value).toBe('sub=enduser.id');
  expect(proxy.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '512Mi' } });
  expect(proxy.image).toBe('mirror.example.com/mcp-trace-proxy@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
  expect(proxy.imagePullPolicy).toBe('Always');
  expect(proxy.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([18080, 19464]);
  expect(proxy.volumeMounts).toEqual([{ name: 'mcp-trace-proxy-otlp-tls', mountPath: '/etc/mcp-trace-proxy/otlp-tls', readOnly: true }]);
  expect(out.spec.volumes.at(-1)).toEqual({
    name: 'mcp-trace-proxy-otlp-tls',
    secret: { secretName: 'collector-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }, { key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] },
  });
});

test('dryRun: the same answer, no other effect than the dry_run-labelled counter', async () => {
  await start();
  const pod = deploymentPod();
  const dry = await post(review(pod, { dryRun: true }));
  const real = await post(review(pod));
  expect(dry.patch).toEqual(real.patch);
  expect(await metric('mcp_trace_proxy_injector_injected_total{mode="native",dry_run="true"}')).toBe(1);
  expect(await metric('mcp_trace_proxy_injector_injected_total{mode="native",dry_run="false"}')).toBe(1);
});

test('opted out (annotation or label "false"), not asked, own pods and non-CREATE requests are left alone, without warnings', async () => {
  await start();
  const cases: [unknown, string, string][] = [
    [review(deploymentPod({ 'mcp-trace-proxy.io/inject': 'false' })), '/inject/namespace', 'opted_out'],
    [review(deploymentPod({}, { 'mcp-trace-proxy.io/inject': 'false' })), '/inject/namespace', 'opted_out'],
    [review(deploymentPod({})), '/inject', 'not_requested'],
    [review(deploymentPod({ 'mcp-trace-proxy.io/inject': 'true' }, { 'mcp-trace-proxy.io/injector': 'true' })), '/inject', 'own_pod'],
    [review(deploymentPod(), { namespace: 'mcp-system' }), '/inject', 'own_pod'],
    [review(deploymentPod(), { operation: 'UPDATE' }), '/inject', 'not_pod_create'],
  ];
  for (const [body, path, reason] of cases) {
    const a = await post(body, path);
    expect([reason, a.response.allowed, a.patch, a.response.warnings]).toEqual([reason, true, null, undefined]);
  }
  expect(await metric('mcp_trace_proxy_injector_skipped_total{reason="opted_out"}')).toBe(2);
  expect(await metric('mcp_trace_proxy_injector_skipped_total{reason="own_pod"}')).toBe(2);
  expect(await metric('mcp_trace_proxy_injector_skipped_total{reason="not_requested"}')).toBe(1);
  expect(await metric('mcp_trace_proxy_injector_skipped_total{reason="not_pod_create"}')).toBe(1);
});

test('a labelled namespace (/inject/namespace) injects pods that say nothing', async () => {
  await start();
  const pod = deploymentPod({});
  const a = await post(review(pod), '/inject/namespace');
  validatePod(apply(pod, a.patch!));
});

test("an annotation the proxy's own validation refuses leaves the pod unchanged, with a warning naming it, and a counter", async () => {
  await start();
  const cases: [Record<string, string>, string][] = [
    [{ 'mcp-trace-proxy.io/sampler': 'sometimes' }, 'mcp-trace-proxy.io/sampler: unknown value "sometimes"'],
    [{ 'mcp-trace-proxy.io/keep-slow': 'soon' }, 'mcp-trace-proxy.io/keep-slow: invalid value "soon"'],
    [{ 'mcp-trace-proxy.io/otlp-endpoint': 'collector:4318' }, 'mcp-trace-proxy.io/otlp-endpoint: invalid value "collector:4318"'],
    [{ 'mcp-trace-proxy.io/attribute-header': 'x-tenant-id' }, 'mcp-trace-proxy.io/attribute-header: invalid value "x-tenant-id"'],
    [{ 'mcp-trace-proxy.io/upstream-port': '99999' }, 'mcp-trace-proxy.io/upstream-port: invalid value "99999"'],
    [{ 'mcp-trace-proxy.io/cpu-limit': 'lots' }, 'mcp-trace-proxy.io/cpu-limit: invalid value "lots"'],
    [{ 'mcp-trace-proxy.io/otlp-endpint': 'http://c:4318' }, 'unknown annotation mcp-trace-proxy.io/otlp-endpint'.replace('endpoint', 'endpint')],
  ];
  for (const [extra, warning] of cases) {
    const a = await post(review(deploymentPod({ 'mcp-trace-proxy.io/inject': 'true', ...extra })));
    expect(a.response.allowed).toBe(true);
    expect(a.patch).toBeNull();
    expect(a.response.warnings).toHaveLength(1);
    expect(a.response.warnings[0]).toContain(`mcp-trace-proxy: not injected: ${warning}`);
  }
  const bad = await post(review(deploymentPod({ 'mcp-trace-proxy.io/inject': 'yes' })));
  expect(bad.response.warnings).toEqual(['mcp-trace-proxy: not injected: mcp-trace-proxy.io/inject (annotation): invalid value "yes"; expected "true" or "false"']);
  expect(await metric('mcp_trace_proxy_injector_skipped_total{reason="invalid_setting"}')).toBe(8);
  // The log names the reason, never the value (an annotation may hold what should stay private).
  expect(logLines.join('')).not.toContain('x-tenant-id');
  expect(logLines.join('')).toContain('"reason":"invalid_setting"');
});

test('no upstream port to be found, and ports the pod already uses: unchanged, with a warning', async () => {
  await start();
  const two = deploymentPod();
  two.spec.containers.push({ name: 'cache', image: 'redis:7', ports: [{ containerPort: 6379, protocol: 'TCP' }] });
  const a = await post(review(two));
  expect(a.patch).toBeNull();
  expect(a.response.warnings).toEqual(["mcp-trace-proxy: not injected: set mcp-trace-proxy.io/upstream-port to the MCP server's port: the pod has 2 container(s) with 2 port(s), so it cannot be guessed"]);
  const busy = deploymentPod();
  busy.spec.containers[0].ports.push({ name: 'web', containerPort: 8080, protocol: 'TCP' });
  busy.metadata.annotations['mcp-trace-proxy.io/upstream-port'] = '3001';
  const b = await post(review(busy));
  expect(b.patch).toBeNull();
  expect(b.response.warnings).toEqual(['mcp-trace-proxy: not injected: --proxy-port: port 8080 is used in the pod; set mcp-trace-proxy.io/proxy-port to a free port']);
  expect(await metric('mcp_trace_proxy_injector_skipped_total{reason="no_upstream_port"}')).toBe(1);
  expect(await metric('mcp_trace_proxy_injector_skipped_total{reason="port_conflict"}')).toBe(1);
});

async function metric(series: string): Promise<number> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
