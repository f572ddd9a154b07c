#!/usr/bin/env node
'use strict';
// What --keep-errors costs at 1% sampling: CPU time of the proxy process per request, with
// keep-errors (the default: dropped operations are recorded until they end) against
// --no-keep-errors (plain 1% head sampling). The proxy's CPU is read from /proc/<pid>/stat around
// each wrk run, so other load on the machine changes the figures less than throughput would.
// The two proxies run side by side and take turns, in alternating order, for each repetition.
//   npm run build && node bench/keep-cost.js [--repeat 5] [--duration 5] [--control]
// --control runs two identical --no-keep-errors proxies instead: the difference it reports is the
// noise floor of the method on this machine.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.join(__dirname, '..');
const HOST = '127.0.0.1';
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const REPEAT = arg('--repeat', 5);
const DURATION = arg('--duration', 5);
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const children = [];

function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.on('data', () => {});
  children.push(child);
  return child;
}

function ready(child) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.on('line', (l) => l.startsWith('READY ') && resolve(JSON.parse(l.slice(6))));
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port) {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise((r) => net.connect(port, HOST).once('connect', function () { this.end(); r(true); }).once('error', () => r(false)));
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime (fields 14 and 15)
}

function wrk(url, seconds) {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', '-c10', `-d${seconds}s`, '-s', path.join(__dirname, 'post.lua'), url]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', () => {
      const n = Number(/(\d+) requests in/.exec(out)?.[1]);
      if (!n || /Non-2xx/.test(out)) reject(new Error(`wrk failed:\n${out}`));
      else resolve(n);
    });
  });
}

async function proxy(upstream, receiver, extraArgs) {
  const port = await freePort();
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' };
  const child = start(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), '--upstream', `${upstream}/mcp`, '--port', String(port), '--admin-port', 'off', ...extraArgs], env);
  await waitPort(port);
  return { pid: child.pid, url: `http://${HOST}:${port}/mcp` };
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main() {
  const up = await ready(start(process.execPath, [path.join(__dirname, 'upstream.js')]));
  const rc = await ready(start(process.execPath, [path.join(__dirname, 'otlp-receiver.js')]));
  const upstream = `http://${HOST}:${up.port}`;
  const receiver = `http://${HOST}:${rc.port}`;
  const control = process.argv.includes('--control');
  const targets = {
    'plain 1% (--no-keep-errors)': await proxy(upstream, receiver, ['--no-keep-errors']),
    [control ? 'plain 1% again (control)' : '1% with --keep-errors']: await proxy(upstream, receiver, control ? ['--no-keep-errors'] : []),
  };
  const names = Object.keys(targets);
  const perRequest = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) await wrk(targets[n].url, 1); // warm-up
  for (let r = 0; r < REPEAT; r++) {
    for (const n of r % 2 ? [...names].reverse() : names) {
      const before = cpuSeconds(targets[n].pid);
      const requests = await wrk(targets[n].url, DURATION);
      perRequest[n].push(((cpuSeconds(targets[n].pid) - before) / requests) * 1e6);
    }
  }
  const [base, keep] = names.map((n) => median(perRequest[n]));
  for (const n of names) console.log(`${n}: ${median(perRequest[n]).toFixed(1)} µs CPU/request (runs: ${perRequest[n].map((v) => v.toFixed(1)).join(', ')})`);
  // Each repetition ran both back to back: their ratio cancels load that came and went between repetitions.
  const paired = perRequest[names[1]].map((v, i) => v / perRequest[names[0]][i]);
  console.log(`${control ? 'control / plain' : 'keep-errors / plain'}: medians ${((keep / base - 1) * 100).toFixed(1)}%, median of paired runs ${((median(paired) - 1) * 100).toFixed(1)}% (budget: +10%)`);
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
}).finally(() => {
  for (const c of children) c.kill('SIGTERM');
});
