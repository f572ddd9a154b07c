// Helpers of the record/replay tests: a temp folder, a CLI process's line, and one SDK client
// session whose transcript (every result, in order) two runs can compare.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Proc } from './cli';

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-trace-proxy-record-'));
}

/** Waits for output matching `re` and returns the match. */
export async function waitFor(p: Proc, re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = p.output().match(re);
    if (m) return m;
    if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`no ${re} in:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Stops a CLI process with SIGTERM and resolves with its exit code. */
export async function stop(p: Proc): Promise<number | null> {
  if (p.child.exitCode === null) p.child.kill('SIGTERM');
  return p.exit;
}

/** The test server's session: tools, a call, a tool error, progress notifications, a prompt, a resource. */
export async function testServerSession(client: Client): Promise<unknown[]> {
  const progress: unknown[] = [];
  return [
    (await client.listTools()).tools.map((t) => t.name).sort(),
    await client.callTool({ name: 'add', arguments: { a: 2, b: 3, api_key: 'sk-live-SECRETSECRETSECRET1234' } }),
    await client.callTool({ name: 'fail', arguments: {} }),
    await client.callTool({ name: 'progress', arguments: { steps: 2 } }, undefined, { onprogress: (p) => progress.push(p) }),
    progress,
    await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } }),
    await client.readResource({ uri: 'test://info' }),
  ];
}

export function lines(file: string): Record<string, unknown>[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}
