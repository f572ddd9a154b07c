// The attribution and keep options through the real CLI, as flags and as MCP_TRACE_PROXY_*
// variables, with a real OTLP receiver and /metrics: what each one changes.
import { listening, runCli } from '../helpers/cli';
import { connectClient } from '../helpers/mcp-client';
import { TestServer } from '../helpers/mcp-test-server';
import { OtlpReceiver, ReceivedSpan } from '../helpers/otlp-receiver';
import { parsePrometheus } from '../helpers/prometheus';
import { withServerAndReceiver } from '../helpers/peers';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const TOKEN = `${b64({ alg: 'none' })}.${b64({ sub: 'user-9' })}.sig`;
const NOT_SAMPLED = { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' };

let server: TestServer;
let receiver: OtlpReceiver;
withServerAndReceiver((s, r) => void ((server = s), (receiver = r)));

/** The CLI with `args` and `env`; two sessions of two tenants call add, echo_meta, fail and a 300 ms slow; then SIGTERM. */
async function run(args: string[], env: Record<string, string>): Promise<{ spans: ReceivedSpan[]; metrics: string }> {
  const proc = runCli(['--upstream', server.url, '--port', '0', '--admin-port', '0', ...args], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env });
  let metrics = '';
  try {
    const { url, admin } = await listening(proc);
    for (const tenant of ['tenant-1', 'tenant-2']) {
      const c = await connectClient(url, { headers: { 'x-tenant-id': tenant, authorization: `Bearer ${TOKEN}` } });
      await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
      await c.client.callTool({ name: 'echo_meta', arguments: {} });
      await c.client.callTool({ name: 'fail', arguments: {} });
      await c.client.callTool({ name: 'slow', arguments: { ms: 300 } });
      await c.close();
    }
    metrics = await (await fetch(`${admin}/metrics`)).text();
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  } finally {
    proc.child.kill('SIGKILL');
  }
  return { spans: [...receiver.spans], metrics };
}

/** Label values of the server operation histogram's count series. */
function labelValues(metrics: string, label: string): Set<string> {
  return new Set(parsePrometheus(metrics).filter((s) => s.name === 'mcp_server_operation_duration_count' && s.labels[label] !== undefined).map((s) => s.labels[label]));
}

test('flags: --attribute-jwt-claim, --hash-attribute, --metric-attribute, --metric-max-values, --metric-max-tools, --no-keep-errors', async () => {
  const r = await run([
    '--attribute-header', 'x-tenant-id=tenant.id', '--attribute-jwt-claim', 'sub=enduser.id', '--hash-attribute', 'enduser.id',
    '--metric-attribute', 'tenant.id', '--metric-max-values', '1', '--metric-max-tools', '1', '--no-keep-errors',
  ], { ...NOT_SAMPLED, MCP_TRACE_PROXY_HASH_KEY: 'k' });
  expect(r.spans).toEqual([]); // not sampled, and failures are not kept
  expect(labelValues(r.metrics, 'tenant_id')).toEqual(new Set(['tenant-1', '_OTHER']));
  // The client listed no tools: one name is a label, the others _OTHER.
  expect(labelValues(r.metrics, 'gen_ai_tool_name')).toEqual(new Set(['add', '_OTHER']));
});

test('variables: MCP_TRACE_PROXY_ATTRIBUTE_HEADER, _ATTRIBUTE_JWT_CLAIM, _HASH_ATTRIBUTE, _HASH_KEY, _METRIC_ATTRIBUTE, _METRIC_MAX_VALUES, _METRIC_MAX_TOOLS, _KEEP_ERRORS, _KEEP_SLOW', async () => {
  const r = await run(['--keep-errors'], {
    ...NOT_SAMPLED,
    MCP_TRACE_PROXY_ATTRIBUTE_HEADER: 'x-tenant-id=tenant.id',
    MCP_TRACE_PROXY_ATTRIBUTE_JWT_CLAIM: 'sub=enduser.id',
    MCP_TRACE_PROXY_HASH_ATTRIBUTE: 'enduser.id',
    MCP_TRACE_PROXY_HASH_KEY: 'k',
    MCP_TRACE_PROXY_METRIC_ATTRIBUTE: 'tenant.id,mcp.client.name',
    MCP_TRACE_PROXY_METRIC_MAX_VALUES: '5',
    MCP_TRACE_PROXY_METRIC_MAX_TOOLS: '2',
    MCP_TRACE_PROXY_KEEP_ERRORS: 'false', // the flag wins
    MCP_TRACE_PROXY_KEEP_SLOW: '100ms',
  });
  const kept = r.spans.map((s) => [s.name, s.attributes['mcp_trace_proxy.sampling.kept'], s.attributes['tenant.id']]).sort();
  expect(kept).toEqual([
    ['tools/call fail', 'error', 'tenant-1'], ['tools/call fail', 'error', 'tenant-2'],
    ['tools/call slow', 'slow', 'tenant-1'], ['tools/call slow', 'slow', 'tenant-2'],
  ]);
  for (const s of r.spans) expect(s.attributes['enduser.id']).toMatch(/^[0-9a-f]{16}$/);
  expect(labelValues(r.metrics, 'tenant_id')).toEqual(new Set(['tenant-1', 'tenant-2']));
  expect(labelValues(r.metrics, 'mcp_client_name')).toEqual(new Set(['test-client']));
  expect(labelValues(r.metrics, 'gen_ai_tool_name')).toEqual(new Set(['add', 'echo_meta', '_OTHER']));
});
