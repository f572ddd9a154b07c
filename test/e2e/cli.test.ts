// The real process, as users run it: spans over OTLP to a real receiver, SIGTERM, bad flags, admin port.
import { listening, runCli as run } from '../helpers/cli';
import { connectClient } from '../helpers/mcp-client';
import { TestServer } from '../helpers/mcp-test-server';
import { OtlpReceiver } from '../helpers/otlp-receiver';
import { withServerAndReceiver } from '../helpers/peers';

let server: TestServer;
let receiver: OtlpReceiver;
withServerAndReceiver((s, r) => void ((server = s), (receiver = r)));

test('spans reach a real OTLP receiver; SIGTERM exits 0 after flushing them', async () => {
  const p = run(['--upstream', server.url, '--port', '0', '--admin-port', '0'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'weather-mcp',
    OTEL_BSP_SCHEDULE_DELAY: '60000', // only the shutdown flush can deliver them in time
  });
  try {
    const { url, admin } = await listening(p);
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    expect((await fetch(`${admin}/readyz`)).status).toBe(200);
    const c = await connectClient(url, { headers: { authorization: 'Bearer sekrit' } });
    await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await c.client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
    await c.client.readResource({ uri: 'test://info' });
    await c.close();
    expect(receiver.spans).toHaveLength(0);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  } finally {
    p.child.kill('SIGKILL');
  }
  const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'resources/read'));
  const add = spans.find((s) => s.name === 'tools/call add')!;
  expect(add.kind).toBe(2);
  expect(add.resource['service.name']).toBe('weather-mcp');
  expect(add.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add', 'jsonrpc.request.id': expect.any(String) });
  expect(spans.find((s) => s.name === 'prompts/get greet')!.attributes['gen_ai.prompt.name']).toBe('greet');
  expect(spans.find((s) => s.name === 'resources/read')!.attributes['mcp.resource.uri']).toBe('test://info');
  expect(JSON.stringify(spans, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('sekrit');
});

test('a bad flag exits 2 before listening, naming the flag and what it accepts', async () => {
  const p = run(['--upstream', server.url, '--port', 'eighty']);
  expect(await p.exit).toBe(2);
  expect(p.output()).toContain('--port: invalid value "eighty"; expected a port from 0 to 65535');
});

test('a bad OTel variable exits 2 naming the variable', async () => {
  const p = run(['--upstream', server.url], { OTEL_TRACES_EXPORTER: 'jaeger' });
  expect(await p.exit).toBe(2);
  expect(p.output()).toMatch(/OTEL_TRACES_EXPORTER: unknown value "jaeger"; expected .*otlp, console, zipkin, none/);
});

test('without an endpoint, each span is a readable line on stderr', async () => {
  const p = run(['--upstream', server.url, '--port', '0', '--admin-port', 'off']);
  try {
    const { url } = await listening(p);
    const c = await connectClient(url);
    await c.client.callTool({ name: 'fail', arguments: {} });
    await c.close();
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  } finally {
    p.child.kill('SIGKILL');
  }
  expect(p.output()).toMatch(/span tools\/call fail [\d.]+ms ERROR tool_error .*trace_id=[0-9a-f]{32}/);
});

test('the startup line names the upstream without its credentials or query', async () => {
  const p = run(['--upstream', server.url.replace('http://', 'http://alice:s3cret@') + '?token=abc', '--port', '0', '--admin-port', 'off']);
  try {
    await listening(p);
  } finally {
    p.child.kill('SIGTERM');
    await p.exit;
  }
  expect(p.output()).toContain(server.url.replace(/\/mcp$/, ''));
  expect(p.output()).not.toMatch(/s3cret|alice|token=abc/);
});
