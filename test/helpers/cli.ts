// Runs the built CLI (dist/cli.js) as users do, and reads its startup line.
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const CLI = path.join(__dirname, '../../dist/cli.js');

export interface Proc {
  child: ChildProcess;
  /** stderr and stdout so far. */
  output: () => string;
  exit: Promise<number | null>;
}

export function runCli(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exit };
}

/** Waits for the "listening" log line (JSON when stderr is not a terminal) and returns the proxy and admin URLs. */
export async function listening(p: Proc, timeoutMs = 10_000): Promise<{ url: string; admin: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of p.output().split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg: string; url?: string; admin?: string };
      if (entry.msg.includes('listening') && entry.url && entry.admin) return { url: entry.url, admin: entry.admin };
    }
    if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`proxy did not start:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
