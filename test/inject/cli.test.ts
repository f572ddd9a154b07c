// Every inject-webhook flag and its MCP_TRACE_PROXY_ variable through the real CLI (dist/cli.js, as
// users run it): the injected container shows each one; bad values exit 2 naming the flag or variable.
import { listening, runCli, type Proc } from '../helpers/cli';
import { makeCerts, type TestCerts } from '../helpers/certs';
import { apply, deploymentPod, envOf, request, review, send, validatePod } from './fixtures';

let certs: TestCerts;
const procs: Proc[] = [];
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await p.exit;
  }
});

async function start(args: string[], env: Record<string, string> = {}): Promise<{ proc: Proc; url: string; admin: string }> {
  const proc = runCli(['inject-webhook', ...args], env);
  procs.push(proc);
  const { url, admin } = await listening(proc);
  return { proc, url, admin };
}

/** What the webhook does to the standard Deployment pod: the proxy container and the patched pod. */
async function inject(url: string): Promise<{ proxy: Record<string, any>; pod: Record<string, any> }> {
  const pod = deploymentPod();
  const a = await send(`${url}/inject`, certs.ca, review(pod));
  expect(a.response.warnings).toBeUndefined();
  const out = apply(pod, a.patch!);
  validatePod(out);
  const proxy = [...(out.spec.initContainers ?? []), ...out.spec.containers].find((c: { name: string }) => c.name === 'mcp-trace-proxy');
  return { proxy, pod: out };
}

/** The same settings through both ways in; each check below runs on both. */
function expectAllSettings(proxy: Record<string, any>, pod: Record<string, any>): void {
  const env = envOf(proxy);
  expect(proxy.image).toBe('registry.example.com/mcp-trace-proxy:9.9.9');
  expect(proxy.imagePullPolicy).toBe('Never');
  expect(pod.spec.initContainers).toBeUndefined(); // native sidecar off: a plain container
  expect(proxy.restartPolicy).toBeUndefined();
  expect(proxy.ports).toEqual([{ name: 'mcp-proxy', containerPort: 18080, protocol: 'TCP' }, { name: 'mcp-admin', containerPort: 19464, protocol: 'TCP' }]);
  expect(env.MCP_TRACE_PROXY_UPSTREAM.value).toBe('http://127.0.0.1:3001/rpc');
  expect(env.OTEL_EXPORTER_OTLP_ENDPOINT.value).toBe('https://collector.example.com:4317');
  expect(env.OTEL_EXPORTER_OTLP_PROTOCOL.value).toBe('grpc');
  expect(env.OTEL_EXPORTER_OTLP_HEADERS.valueFrom).toEqual({ secretKeyRef: { name: 'otlp-auth', key: 'headers' } });
  expect(env.OTEL_EXPORTER_OTLP_CLIENT_KEY.value).toBe('/etc/mcp-trace-proxy/otlp-tls/tls.key');
  expect(pod.spec.volumes.at(-1).secret.secretName).toBe('collector-tls');
  expect(env.OTEL_TRACES_SAMPLER.value).toBe('traceidratio');
  expect(env.OTEL_TRACES_SAMPLER_ARG.value).toBe('0.5');
  expect(env.MCP_TRACE_PROXY_KEEP_ERRORS.value).toBe('false');
  expect(env.MCP_TRACE_PROXY_KEEP_SLOW.value).toBe('3s');
  expect(env.MCP_TRACE_PROXY_ATTRIBUTE_HEADER.value).toBe('x-tenant-id=tenant.id');
  expect(env.MCP_TRACE_PROXY_ATTRIBUTE_JWT_CLAIM.value).toBe('sub=enduser.id');
  expect(proxy.resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } });
}

/** The webhook's own flags: own namespace skipped, debug JSON log lines, the admin port. */
async function expectWebhookFlags(url: string, admin: string, proc: Proc): Promise<void> {
  const own = await send(`${url}/inject`, certs.ca, review(deploymentPod(), { namespace: 'mcp-system' }));
  expect(own.patch).toBeNull();
  // The log line is written before the answer, but stderr may reach us after it: wait for the line.
  const logged = () => proc.output().split('\n').some((l) => l.includes('"level":"debug"') && l.includes('"reason":"own_pod"'));
  while (!logged()) await new Promise((r) => setTimeout(r, 20));
  expect(proc.output().split('\n').filter(Boolean).every((l) => l.startsWith('{'))).toBe(true);
  expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const m = await (await fetch(`${admin}/metrics`)).text();
  expect(m).toContain('mcp_trace_proxy_injector_skipped_total{reason="own_pod"} 1\n');
}

test('every flag', async () => {
  const { url, admin, proc } = await start([
    '--tls-cert', certs.serverCertFile, '--tls-key', certs.serverKeyFile, '--port', '0', '--host', '127.0.0.1',
    '--admin-port', '0', '--admin-host', '127.0.0.1', '--namespace', 'mcp-system', '--log-level', 'debug', '--log-format', 'json',
    '--image', 'registry.example.com/mcp-trace-proxy:9.9.9', '--image-pull-policy', 'Never', '--no-native-sidecar',
    '--proxy-port', '18080', '--proxy-admin-port', '19464', '--upstream-path', '/rpc',
    '--otlp-endpoint', 'https://collector.example.com:4317', '--otlp-protocol', 'grpc',
    '--otlp-headers-secret', 'otlp-auth', '--otlp-headers-secret-key', 'headers', '--otlp-tls-secret', 'collector-tls', '--otlp-tls-client-cert',
    '--sampler', 'traceidratio', '--sampler-arg', '0.5', '--no-keep-errors', '--keep-slow', '3s',
    '--attribute-header', 'x-tenant-id=tenant.id', '--attribute-jwt-claim', 'sub=enduser.id',
    '--cpu-request', '10m', '--memory-request', '32Mi', '--cpu-limit', 'none', '--memory-limit', '128Mi',
  ]);
  const { proxy, pod } = await inject(url);
  expectAllSettings(proxy, pod);
  await expectWebhookFlags(url, admin, proc);
});

test('every variable', async () => {
  const { url, admin, proc } = await start([], {
    MCP_TRACE_PROXY_TLS_CERT: certs.serverCertFile, MCP_TRACE_PROXY_TLS_KEY: certs.serverKeyFile, MCP_TRACE_PROXY_PORT: '0', MCP_TRACE_PROXY_HOST: '127.0.0.1',
    MCP_TRACE_PROXY_ADMIN_PORT: '0', MCP_TRACE_PROXY_ADMIN_HOST: '127.0.0.1', MCP_TRACE_PROXY_NAMESPACE: 'mcp-system',
    MCP_TRACE_PROXY_LOG_LEVEL: 'debug', MCP_TRACE_PROXY_LOG_FORMAT: 'json',
    MCP_TRACE_PROXY_IMAGE: 'registry.example.com/mcp-trace-proxy:9.9.9', MCP_TRACE_PROXY_IMAGE_PULL_POLICY: 'Never', MCP_TRACE_PROXY_NATIVE_SIDECAR: 'false',
    MCP_TRACE_PROXY_PROXY_PORT: '18080', MCP_TRACE_PROXY_PROXY_ADMIN_PORT: '19464', MCP_TRACE_PROXY_UPSTREAM_PATH: '/rpc',
    MCP_TRACE_PROXY_OTLP_ENDPOINT: 'https://collector.example.com:4317', MCP_TRACE_PROXY_OTLP_PROTOCOL: 'grpc',
    MCP_TRACE_PROXY_OTLP_HEADERS_SECRET: 'otlp-auth', MCP_TRACE_PROXY_OTLP_HEADERS_SECRET_KEY: 'headers',
    MCP_TRACE_PROXY_OTLP_TLS_SECRET: 'collector-tls', MCP_TRACE_PROXY_OTLP_TLS_CLIENT_CERT: 'true',
    MCP_TRACE_PROXY_SAMPLER: 'traceidratio', MCP_TRACE_PROXY_SAMPLER_ARG: '0.5', MCP_TRACE_PROXY_KEEP_ERRORS: 'false', MCP_TRACE_PROXY_KEEP_SLOW: '3s',
    MCP_TRACE_PROXY_ATTRIBUTE_HEADER: 'x-tenant-id=tenant.id', MCP_TRACE_PROXY_ATTRIBUTE_JWT_CLAIM: 'sub=enduser.id',
    MCP_TRACE_PROXY_CPU_REQUEST: '10m', MCP_TRACE_PROXY_MEMORY_REQUEST: '32Mi', MCP_TRACE_PROXY_CPU_LIMIT: 'none', MCP_TRACE_PROXY_MEMORY_LIMIT: '128Mi',
  });
  const { proxy, pod } = await inject(url);
  expectAllSettings(proxy, pod);
  await expectWebhookFlags(url, admin, proc);
});

test('the defaults: HTTPS on --port, native sidecar; --admin-port off; SIGTERM exits 0', async () => {
  const { url, admin, proc } = await start(['--tls-cert', certs.serverCertFile, '--tls-key', certs.serverKeyFile, '--port', '0', '--host', '127.0.0.1',
    '--admin-port', 'off', '--image', 'registry.example.com/mcp-trace-proxy:0.1.0']);
  expect(admin).toBe('off');
  const { proxy, pod } = await inject(url);
  expect(pod.spec.initContainers).toHaveLength(1);
  expect(proxy.restartPolicy).toBe('Always');
  expect(envOf(proxy).MCP_TRACE_PROXY_UPSTREAM.value).toBe('http://127.0.0.1:3001/mcp');
  expect((await request(`${url}/healthz`, certs.ca)).text).toBe('ok\n');
  proc.child.kill('SIGTERM');
  expect(await proc.exit).toBe(0);
});

test('bad flags and variables exit 2 before listening, naming the flag or variable', async () => {
  const tls = ['--tls-cert', certs.serverCertFile, '--tls-key', certs.serverKeyFile];
  const cases: [string[], Record<string, string>, string][] = [
    [['--image', 'x'], {}, '--tls-cert is required'],
    [tls, {}, '--image is required'],
    [[...tls, '--image', 'x', '--port', '70000'], {}, '--port: invalid value "70000"'],
    [[...tls, '--image', 'x'], { MCP_TRACE_PROXY_IMAGE_PULL_POLICY: 'Sometimes' }, 'MCP_TRACE_PROXY_IMAGE_PULL_POLICY: invalid value "Sometimes"'],
    [[...tls, '--image', 'x', '--sampler', 'sometimes'], {}, '--sampler: unknown value "sometimes"'],
    [[...tls, '--image', 'x', '--otlp-endpoint', 'collector:4318'], {}, '--otlp-endpoint: invalid value "collector:4318"'],
    [[...tls, '--image', 'x', '--otlp-tls-secret', 'tls', '--otlp-endpoint', 'http://c:4318'], {}, '--otlp-tls-secret: TLS to the collector needs an https:// otlp-endpoint'],
    [[...tls, '--image', 'x', '--proxy-admin-port', '8080'], {}, '--proxy-admin-port: the admin port 8080 is the proxy port too'],
    [['--tls-cert', certs.serverCertFile, '--tls-key', certs.clientKeyFile, '--image', 'x'], {}, '--tls-cert/--tls-key: the certificate and key do not form a pair'],
    [['--tls-cert', '/nonexistent/tls.crt', '--tls-key', certs.serverKeyFile, '--image', 'x'], {}, '--tls-cert: cannot read /nonexistent/tls.crt (ENOENT)'],
    [[...tls, '--image', 'x', '--upstream', 'http://x'], {}, 'Unknown argument: upstream'],
  ];
  for (const [args, env, message] of cases) {
    const p = runCli(['inject-webhook', ...args], env);
    procs.push(p);
    expect([message, await p.exit]).toEqual([message, 2]);
    expect(p.output()).toContain(`mcp-trace-proxy inject-webhook: ${message}`);
  }
});

test('--help lists every flag with its variable', async () => {
  const p = runCli(['inject-webhook', '--help']);
  procs.push(p);
  expect(await p.exit).toBe(0);
  for (const name of ['--tls-cert', 'MCP_TRACE_PROXY_TLS_CERT', '--native-sidecar', 'MCP_TRACE_PROXY_NATIVE_SIDECAR', '--memory-limit', 'MCP_TRACE_PROXY_MEMORY_LIMIT']) {
    expect(p.output()).toContain(name);
  }
});
