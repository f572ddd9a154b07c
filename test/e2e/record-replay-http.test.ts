// Record an SDK client's session through the real CLI (--record, Streamable HTTP), then serve the
// cassette with `replay FILE --port 0`: the same session against the mock gets the same transcript.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { listening, runCli } from '../helpers/cli';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { lines, stop, testServerSession, tmpDir, waitFor } from '../helpers/record';

const QUIET = { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' };
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

async function session(url: string): Promise<{ transcript: unknown[]; sessionId?: string; client: Client }> {
  const client = new Client({ name: 'record-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { transcript: await testServerSession(client), sessionId: transport.sessionId, client };
}

test('a session recorded through the proxy replays against the mock with an identical transcript', async () => {
  const file = path.join(dir, 'run.jsonl');
  const proxy = runCli(['--upstream', server.url, '--port', '0', '--admin-port', 'off', '--record', file, '--capture-arguments', '--capture-results'], QUIET);
  const { url } = await listening(proxy);
  const recorded = await session(url);
  await recorded.client.close();
  expect(await stop(proxy)).toBe(0);

  const [header, ...records] = lines(file);
  expect(header).toMatchObject({ format: 'mcp-trace-proxy-cassette', version: 1 });
  expect(records.every((r) => r.transport === 'http' && typeof r.t === 'number' && typeof r.key === 'string')).toBe(true);
  expect(new Set(records.map((r) => r.key)).size).toBe(1); // one session, one opaque key
  expect(fs.readFileSync(file, 'utf8')).not.toContain(recorded.sessionId as string); // never the real session id
  expect(records.some((r) => r.dir === 'server_to_client' && (r.message as { method?: string }).method === 'notifications/progress')).toBe(true);

  const mock = runCli(['replay', file, '--port', '0']);
  try {
    const [, mockUrl] = await waitFor(mock, /listening on (\S+)/);
    const replayed = await session(mockUrl);
    expect(replayed.transcript).toEqual(recorded.transcript);
    expect(replayed.sessionId).toEqual(expect.any(String)); // the recording had a session: so has the mock
    expect(replayed.sessionId).not.toBe(recorded.sessionId);
    // A request the cassette does not hold: an error naming the nearest recorded one.
    await expect(replayed.client.callTool({ name: 'add', arguments: { a: 2, b: 4 } })).rejects.toThrow(/no recorded request matches tools\/call .*nearest recorded request: tools\/call .*"a":2,"api_key":"\[REDACTED\]","b":3.*"name":"add"/);
    await replayed.client.close();
  } finally {
    await stop(mock);
  }
});
