// The cassette under the capture and redaction policy, and bounded: a secret in tool arguments
// never reaches the file, whatever the flags; with a tiny --record-max-bytes the file rotates and
// every request is still answered; an existing file needs --force.
import fs from 'node:fs';
import path from 'node:path';
import { listening, runCli } from '../helpers/cli';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { lines, stop, tmpDir } from '../helpers/record';
import { parseCassette } from '../../src/record/format';

const SECRET = 'sk-live-SECRETSECRETSECRET1234';
let dir: string;
let server: TestServer;
beforeEach(async () => {
  dir = tmpDir();
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function record(file: string, flags: string[], env: Record<string, string> = {}, calls = 1): Promise<unknown[]> {
  const proxy = runCli(['--upstream', server.url, '--port', '0', '--admin-port', 'off', ...flags], { OTEL_TRACES_EXPORTER: 'none', MCP_TRACE_PROXY_RECORD: file, ...env });
  const c = await connectClient((await listening(proxy)).url);
  const results: unknown[] = [];
  for (let i = 0; i < calls; i++) {
    results.push(await c.client.callTool({ name: 'add', arguments: { a: i, b: 1, key: SECRET, note: `mine: ${SECRET}`, patient_ref: 'P-0042' } }));
  }
  await c.close();
  expect(await stop(proxy)).toBe(0);
  return results;
}

test.each([
  ['capture off', []],
  ['capture on', ['--capture-arguments', '--capture-results', '--redact-key', 'patient_ref']],
])('a secret in tool arguments never reaches the cassette (%s)', async (_name, flags) => {
  const file = path.join(dir, 'run.jsonl');
  await record(file, flags);
  const bytes = fs.readFileSync(file);
  expect(bytes.includes('SECRETSECRET')).toBe(false);
  expect(bytes.includes('P-0042')).toBe(false);
  expect(bytes.includes('tools/call')).toBe(true);
  const call = lines(file).slice(1).find((r) => (r.message as { method?: string }).method === 'tools/call') as { message: { params: { arguments: unknown } } };
  if (flags.length === 0) expect(call.message.params.arguments).toBe('[not captured: --capture-arguments]');
  else expect(call.message.params.arguments).toEqual({ a: 0, b: 1, key: '[REDACTED]', note: 'mine: [REDACTED]', patient_ref: '[REDACTED]' });
});

test('with a tiny --record-max-bytes the file rotates and the proxy answers every request', async () => {
  const file = path.join(dir, 'run.jsonl');
  const results = await record(file, ['--record-max-bytes', '2kb', '--capture-results'], {}, 20);
  expect(results).toEqual(Array.from({ length: 20 }, (_, i) => ({ content: [{ type: 'text', text: String(i + 1) }] })));
  for (const f of [file, `${file}.1`]) {
    const text = fs.readFileSync(f, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2048);
    expect(parseCassette(f, text).records.length).toBeGreaterThan(0); // each file reads on its own
  }
  expect(fs.existsSync(`${file}.2`)).toBe(false);
});

test('the variable form of the bound', async () => {
  const file = path.join(dir, 'run.jsonl');
  await record(file, [], { MCP_TRACE_PROXY_RECORD_MAX_BYTES: '1kb' }, 5);
  expect(fs.statSync(file).size).toBeLessThanOrEqual(1024);
  expect(fs.existsSync(`${file}.1`)).toBe(true);
});

test('an existing file: exit 2 naming --force; with --force or MCP_TRACE_PROXY_FORCE it is replaced', async () => {
  const file = path.join(dir, 'run.jsonl');
  fs.writeFileSync(file, 'keep me\n');
  const refused = runCli(['--upstream', server.url, '--record', file]);
  expect(await refused.exit).toBe(2);
  expect(refused.output()).toContain(`--record: ${file} exists; add --force to replace it`);
  expect(fs.readFileSync(file, 'utf8')).toBe('keep me\n');
  await record(file, ['--force']);
  expect(fs.readFileSync(file, 'utf8')).toContain('mcp-trace-proxy-cassette');
  fs.writeFileSync(file, 'keep me\n');
  await record(file, [], { MCP_TRACE_PROXY_FORCE: 'true' });
  expect(fs.readFileSync(file, 'utf8')).toContain('mcp-trace-proxy-cassette');
});

test('the drop counter is a metric on /metrics', async () => {
  const file = path.join(dir, 'run.jsonl');
  const proxy = runCli(['--upstream', server.url, '--port', '0', '--admin-port', '0', '--record', file], { OTEL_TRACES_EXPORTER: 'none' });
  try {
    const { admin } = await listening(proxy);
    const text = await (await fetch(`${admin}/metrics`)).text();
    expect(text).toMatch(/^mcp_trace_proxy_record_dropped_total 0$/m);
  } finally {
    await stop(proxy);
  }
});
