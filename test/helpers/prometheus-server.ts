// A real Prometheus server (Debian's `prometheus` package) for tests: loopback, a free port, a
// temporary data directory, a short scrape and rule interval. Missing binary: the test fails.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PromResult {
  resultType: string;
  result: { metric: Record<string, string>; value: [number, string] }[];
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query; rejects when Prometheus answers with an error (bad PromQL, ...). */
  query(expr: string): Promise<PromResult>;
  /** Polls `check` every 200 ms until it returns a value, or fails after `timeoutMs` with `what`. */
  waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  get<T>(apiPath: string): Promise<T>;
  output(): string;
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a command to completion: exit code and output (stdout and stderr). ENOENT rejects, so a missing tool fails the test. */
export function runTool(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(`${cmd} not found: install Debian's prometheus package (it brings promtool)`));
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Starts Prometheus scraping `targets` (host:port) as job `job` every second, with `ruleFiles` loaded. */
export async function startPrometheus(opts: { job: string; targets: string[]; ruleFiles?: string[] }): Promise<PrometheusServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtp-prometheus-'));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' },
    rule_files: (opts.ruleFiles ?? []).map((f) => path.resolve(f)),
    scrape_configs: [{ job_name: opts.job, static_configs: [{ targets: opts.targets }] }],
  };
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), JSON.stringify(config)); // JSON is YAML
  const port = await freePort();
  let out = '';
  let child: ChildProcess;
  try {
    child = spawn('prometheus', [
      `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`cannot run prometheus: ${e.message}; install Debian's prometheus package`))));
  spawnError.catch(() => undefined);
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;

  const get = async <T>(apiPath: string): Promise<T> => {
    const res = await fetch(`${url}${apiPath}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${apiPath}: ${body.error ?? res.status}`);
    return body.data;
  };
  const waitFor = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}) while waiting for ${what}:\n${out}`);
      try {
        const v = await check();
        if (v !== undefined) return v;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) throw new Error(`Prometheus: no ${what} after ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const server: PrometheusServer = {
    url,
    get,
    waitFor,
    query: (expr) => get<PromResult>(`/api/v1/query?query=${encodeURIComponent(expr)}`),
    output: () => out,
    close: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.race([spawnError, waitFor('readiness', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined))]);
  } catch (e) {
    await server.close();
    throw e;
  }
  return server;
}
