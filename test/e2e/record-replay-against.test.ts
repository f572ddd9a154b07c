// `replay FILE --against URL`: the recorded client side against a live server. The same server:
// no difference, exit 0. A server whose tool output changed: the difference, exit 1; with --ignore
// on that path, exit 0.
import fs from 'node:fs';
import path from 'node:path';
import { listening, runCli } from '../helpers/cli';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { stop, testServerSession, tmpDir } from '../helpers/record';

let dir: string;
let server: TestServer;
let changed: TestServer;
let file: string;

beforeAll(async () => {
  dir = tmpDir();
  server = await startTestServer();
  changed = await startTestServer({ addOffset: 1 });
  file = path.join(dir, 'run.jsonl');
  const proxy = runCli(['--upstream', server.url, '--port', '0', '--admin-port', 'off', '--record', file, '--capture-arguments', '--capture-results'], { OTEL_TRACES_EXPORTER: 'none' });
  const c = await connectClient((await listening(proxy)).url);
  await testServerSession(c.client);
  await c.close();
  expect(await stop(proxy)).toBe(0);
});
afterAll(async () => {
  await server.close();
  await changed.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('against the server it was recorded from: no difference, exit 0', async () => {
  const p = runCli(['replay', file, '--against', server.url]);
  expect(await p.exit).toBe(0);
  expect(p.output()).toMatch(/ok {3}#3 tools\/call add/);
  expect(p.output()).toMatch(/7 requests replayed, no differences/);
});

test('against a server whose tool output changed: the difference, exit 1', async () => {
  const p = runCli(['replay', file, '--against', changed.url]);
  expect(await p.exit).toBe(1);
  expect(p.output()).toContain('DIFF #3 tools/call add: result.content[0].text: recorded "5", live "6"');
  expect(p.output()).toMatch(/7 requests replayed, 1 difference\n/);
});

test('--ignore on that path (repeatable, $. and [*] forms): exit 0', async () => {
  const p = runCli(['replay', file, '--against', changed.url, '--ignore', '$.result.content[*].text', '--ignore', 'result.meta.time']);
  expect(await p.exit).toBe(0);
  expect(p.output()).toMatch(/no differences/);
});
