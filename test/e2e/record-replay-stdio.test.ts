// --stdio: a session recorded through the proxy wrapping server-everything replays identically
// against `replay FILE --stdio` (the mock on stdin/stdout), and `replay FILE --stdio -- <command>`
// replays the client side against the live stdio server without a difference.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, runCli } from '../helpers/cli';
import { lines, tmpDir } from '../helpers/record';

const EVERYTHING = path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');
let dir: string;
beforeEach(() => (dir = tmpDir()));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function session(args: string[], env: Record<string, string> = {}): Promise<unknown[]> {
  const client = new Client({ name: 'record-stdio', version: '1.0.0' });
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...args], env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'ignore' });
  await client.connect(transport);
  try {
    return [
      (await client.listTools()).tools.map((t) => t.name).sort(),
      await client.callTool({ name: 'echo', arguments: { message: 'hello ☃' } }),
      await client.callTool({ name: 'get-sum', arguments: { a: 20, b: 22 } }),
      await client.callTool({ name: 'no-such-tool', arguments: {} }),
      (await client.listPrompts()).prompts.map((p) => p.name).sort(),
    ];
  } finally {
    await client.close();
  }
}

test('a stdio session replays against the mock with an identical transcript, and against the live server with no difference', async () => {
  const file = path.join(dir, 'stdio.jsonl');
  const recorded = await session(['--stdio', '--capture-arguments', '--capture-results', '--', process.execPath, EVERYTHING, 'stdio'], { MCP_TRACE_PROXY_RECORD: file, OTEL_TRACES_EXPORTER: 'none' });
  // The proxy flushes the cassette before it exits; the client's close waits for that.
  for (let i = 0; i < 100 && !fs.readFileSync(file, 'utf8').includes('prompts/list'); i++) await new Promise((r) => setTimeout(r, 50));
  const records = lines(file).slice(1);
  expect(records.every((r) => r.transport === 'stdio' && r.key === '1')).toBe(true);

  const replayed = await session(['replay', file, '--stdio']);
  expect(replayed).toEqual(recorded);

  const against = runCli(['replay', file, '--stdio', '--', process.execPath, EVERYTHING, 'stdio']);
  expect(await against.exit).toBe(0);
  expect(against.output()).toMatch(/ok {3}#\d+ tools\/call get-sum/);
  expect(against.output()).toMatch(/\d+ requests replayed, no differences/);
});
