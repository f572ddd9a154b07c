#!/usr/bin/env node
'use strict';
// The performance harness of issues 7 and 12: the proxy against a direct connection, nginx and a bare
// undici forwarder, over loopback: latency, throughput, CPU time per request, RSS, SSE delay.
// Measures, never asserts. See bench/README.md.
//
//   node bench/run.js [--repeat 3] [--duration 5] [--warmup 1] [--events 500] [--streams 1000] [--smoke]
//                     [--profile] [--heap-prof] [--no-install] [--out DIR]
//
// Every process it starts (upstream, OTLP receiver, nginx, proxies, wrk, SSE clients) runs in its own
// process group and is killed when the harness ends: normally, on error, or on Ctrl-C / SIGTERM.
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const http = require('node:http');
const { summarize, toMarkdown } = require('./cpuprofile-summary');
const heapSummary = require('./heapprofile-summary');
const { CLK_TCK, cpuSeconds, rssMB, groupMeter } = require('./proc');

const ROOT = path.resolve(__dirname, '..');
const BENCH = __dirname;
const HOST = '127.0.0.1'; // every byte of traffic stays on loopback

// ---------- options ----------

function parseArgs(argv) {
  const o = { repeat: 3, duration: 5, warmup: 1, events: 500, skip: 20, streams: 1000, smoke: false, profile: false, heapProf: false, install: true, out: path.join(BENCH, 'results'), profileDuration: 15, heapInterval: 32768, waitQuiet: 0 };
  const num = (i, name) => {
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) usage(`${name} needs a positive number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? a.split(/=(.*)/s) : [a, undefined];
    const take = (name) => {
      if (inline !== undefined) {
        const v = Number(inline);
        if (!Number.isFinite(v) || v <= 0) usage(`${name} needs a positive number`);
        return v;
      }
      const v = num(i, name);
      i++;
      return v;
    };
    switch (flag) {
      case '--repeat': o.repeat = Math.round(take('--repeat')); break;
      case '--duration': o.duration = take('--duration'); break;
      case '--warmup': o.warmup = take('--warmup'); break;
      case '--events': o.events = Math.round(take('--events')); break;
      case '--streams': o.streams = Math.round(take('--streams')); break;
      case '--profile-duration': o.profileDuration = take('--profile-duration'); break;
      case '--heap-prof-interval': o.heapInterval = Math.round(take('--heap-prof-interval')); break;
      case '--wait-quiet': o.waitQuiet = take('--wait-quiet'); break;
      case '--smoke': o.smoke = true; break;
      case '--profile': o.profile = true; break;
      case '--heap-prof': o.heapProf = true; break;
      case '--no-install': o.install = false; break;
      case '--out': o.out = path.resolve(inline ?? argv[++i] ?? usage('--out needs a directory')); break;
      case '-h': case '--help': usage(null); break;
      default: usage(`unknown option ${a}`);
    }
  }
  if (o.smoke) Object.assign(o, { repeat: 1, duration: 1, warmup: 0.3, events: 50, skip: 5, streams: 100, profileDuration: 2 });
  return o;
}

function usage(err) {
  const text = `usage: node bench/run.js [options]   (npm run bench -- [options])
  --repeat N          repetitions of every measurement (default 3); medians and min–max are reported
  --duration S        seconds per wrk run (default 5)
  --warmup S          seconds of warm-up load per target before each repetition (default 1)
  --events N          SSE events timed per repetition (default 500, one every 10 ms)
  --streams N         open SSE streams for the memory test (default 1000)
  --smoke             everything once, ~1 s each, reduced counts; never judges timings (for CI)
  --profile           instead of the benchmark: CPU-profile the proxy under the c=10 load and summarize
  --heap-prof         instead of the benchmark: heap-profile (sampling) the proxy under the same load and
                      summarize (with --profile too: one after the other)
  --profile-duration S  seconds of load while profiling (default 15)
  --heap-prof-interval B  bytes between heap samples for --heap-prof (default 32768; node's own is 524288)
  --wait-quiet S      before each repetition wait up to S s for an idle machine (other load < 0.15 cores);
                      a repetition that other processes disturbed is discarded and run again
  --no-install        never run apt-get; print what to install instead
  --out DIR           where results go (default bench/results)
`;
  if (err) process.stderr.write(`bench: ${err}\n`);
  (err ? process.stderr : process.stdout).write(text);
  process.exit(err ? 2 : 0);
}

// ---------- processes ----------

const children = new Set();
/** Temporary directories (nginx's config and temp paths, profiles): removed on any exit. */
const tempDirs = new Set();
function tempDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}
function removeTempDirs() {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}
/** Every pid started (each leads its own process group), for the CPU accounting. */
const startedGroups = new Set();

/** Starts a process in its own process group (so nginx workers and the like die with it). */
function start(name, cmd, args, { env = cleanEnv(), cwd = ROOT, stdin = 'ignore' } = {}) {
  const child = spawn(cmd, args, { cwd, env, stdio: [stdin, 'pipe', 'pipe'], detached: true });
  startedGroups.add(child.pid);
  child.benchName = name;
  child.stderrTail = '';
  child.stdoutText = '';
  children.add(child);
  child.stderr.on('data', (d) => (child.stderrTail = (child.stderrTail + d).slice(-4000)));
  child.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      child.exitInfo = { code, signal };
      resolve(child.exitInfo);
    });
    child.on('error', (err) => {
      children.delete(child);
      child.exitInfo = { code: null, signal: null, error: err };
      resolve(child.exitInfo);
    });
  });
  return child;
}

function signalGroup(child, sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      /* already gone */
    }
  }
}

/** Stops a child: `sig` first, SIGKILL to its whole group after `graceMs`. */
async function stop(child, sig = 'SIGTERM', graceMs = 5000) {
  if (!child || child.exitInfo) return child?.exitInfo;
  signalGroup(child, sig);
  const t = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  const info = await child.exited;
  clearTimeout(t);
  signalGroup(child, 'SIGKILL'); // any stragglers left in the group (e.g. nginx workers)
  return info;
}

async function stopAll() {
  await Promise.all([...children].map((c) => stop(c, 'SIGTERM', 3000)));
}

let cleaningUp = false;
function installCleanup() {
  process.on('exit', () => {
    for (const c of children) signalGroup(c, 'SIGKILL');
    removeTempDirs();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (cleaningUp) {
        for (const c of children) signalGroup(c, 'SIGKILL');
        process.exit(130);
      }
      cleaningUp = true;
      process.stderr.write(`\nbench: ${sig}: stopping every process it started…\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
}

/** The environment for children, without OTEL_* or MCP_TRACE_PROXY_* settings of the caller's shell. */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(OTEL_|MCP_TRACE_PROXY_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Resolves with the JSON after "READY " on the child's stdout. */
function ready(child, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    const t = setTimeout(() => fail(new Error(`${child.benchName} did not become ready in ${timeoutMs} ms`)), timeoutMs);
    const fail = (err) => {
      clearTimeout(t);
      rl.close();
      reject(new Error(`${err.message}${child.stderrTail ? `\n${child.benchName} stderr:\n${child.stderrTail}` : ''}`));
    };
    rl.on('line', (line) => {
      if (!line.startsWith('READY ')) return;
      clearTimeout(t);
      rl.close();
      resolve(JSON.parse(line.slice(6)));
    });
    child.exited.then((i) => fail(new Error(`${child.benchName} exited (code ${i.code}, signal ${i.signal})`)));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Waits until a TCP connection to the port opens (or the child exits). */
async function waitPort(port, child, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitInfo) throw new Error(`${child.benchName} exited (code ${child.exitInfo.code}) before listening\n${child.stderrTail}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: HOST, port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${child.benchName} is not listening on ${port} after ${timeoutMs} ms\n${child.stderrTail}`);
    await sleep(50);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Samples a pid's RSS every `everyMs` until stopped; returns the peak. */
function rssSampler(pid, everyMs = 100) {
  let peak = rssMB(pid);
  const t = setInterval(() => {
    const v = rssMB(pid);
    if (v > peak || Number.isNaN(peak)) peak = v;
  }, everyMs);
  return () => {
    clearInterval(t);
    const v = rssMB(pid);
    return Math.max(peak, Number.isNaN(v) ? -Infinity : v);
  };
}

function getJson(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (b += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(b));
        } catch (e) {
          reject(e);
        }
      });
    }).on('error', reject);
  });
}

// ---------- other load on the machine ----------

/** Busy and steal jiffies of the whole machine (/proc/stat). */
function machineTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = f;
  return { busy: user + nice + system + irq + softirq, steal, all: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** utime+stime+cutime+cstime and the process group of a pid (/proc/<pid>/stat), or null. */
function pidTicks(pid) {
  try {
    const t = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const r = t.slice(t.lastIndexOf(')') + 2).split(' '); // r[0] is field 3 (state)
    return { pgrp: Number(r[2]), ticks: Number(r[11]) + Number(r[12]) + Number(r[13]) + Number(r[14]) };
  } catch {
    return null;
  }
}

/**
 * Starts a CPU-accounting window. Its end tells how much CPU the harness and everything it started used,
 * and how much went to other processes on the machine (other sessions, builds, tests): the benchmark
 * shares the machine's cores with them, so that number says how much to trust the run.
 * Exited children count through the harness's cutime (it reaps them); live ones through their groups.
 */
function groupTicks() {
  const m = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    const p = pidTicks(d);
    if (p && startedGroups.has(p.pgrp)) m.set(d, p.ticks);
  }
  return m;
}

function cpuWindow() {
  const t0 = Date.now();
  const m0 = machineTicks();
  const self0 = pidTicks(process.pid).ticks;
  const g0 = groupTicks(); // children already running count from here on, not from their start
  return () => {
    const m1 = machineTicks();
    let ours = pidTicks(process.pid).ticks - self0;
    for (const [pid, ticks] of groupTicks()) ours += ticks - (g0.get(pid) ?? 0);
    const hz = CLK_TCK;
    const secs = (Date.now() - t0) / 1000;
    const busy = (m1.busy - m0.busy) / hz;
    const other = Math.max(0, busy - ours / hz);
    return { secs, busyCores: busy / secs, ourCores: ours / hz / secs, otherCores: other / secs, stealPct: (100 * (m1.steal - m0.steal)) / Math.max(1, m1.all - m0.all) };
  };
}

/** Waits until other processes use less than 0.15 cores over 3 s, or `maxS` seconds have passed. */
async function waitQuiet(maxS) {
  const deadline = Date.now() + maxS * 1000;
  for (;;) {
    const a = machineTicks();
    await sleep(3000);
    const cores = (machineTicks().busy - a.busy) / CLK_TCK / 3;
    if (cores < 0.15) return process.stderr.write(`bench: machine is quiet (${cores.toFixed(2)} cores busy)\n`);
    if (Date.now() > deadline) return process.stderr.write(`bench: still ${cores.toFixed(2)} cores busy after ${maxS} s: starting anyway\n`);
    process.stderr.write(`bench: waiting for a quiet machine (${cores.toFixed(2)} cores busy)\n`);
  }
}

// ---------- tools ----------

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin', '/bin'])) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** wrk and nginx: found, installed with apt-get (root only), or the harness says what to run. */
function ensureTools(opts) {
  let wrk = which('wrk');
  let nginx = which('nginx');
  if (wrk && nginx) return { wrk, nginx };
  const missing = [!wrk && 'wrk', !nginx && 'nginx-light'].filter(Boolean);
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !opts.install || !which('apt-get')) {
    process.stderr.write(`bench: missing ${missing.join(' and ')}. Install with:\n  ${root ? '' : 'sudo '}sh -c '${cmd}'\nthen run the benchmark again.\n`);
    process.exit(1);
  }
  process.stderr.write(`bench: installing ${missing.join(', ')} (${cmd})\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
  wrk = which('wrk');
  nginx = which('nginx');
  if (!wrk || !nginx) {
    process.stderr.write('bench: apt-get finished but wrk or nginx is still missing\n');
    process.exit(1);
  }
  return { wrk, nginx };
}

function wrkVersion(bin) {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8' }); // prints its version and usage, exits 1
  return (/^wrk\s+\S+/.exec(String(r.stdout || r.stderr))?.[0] ?? 'wrk (version unknown)').replace(/debian\//, '');
}

function machine(tools) {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  let nproc = os.availableParallelism?.() ?? os.cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    /* os value */
  }
  const nginxV = (() => {
    const r = spawnSync(tools.nginx, ['-v'], { encoding: 'utf8' }); // prints on stderr
    return String(r.stderr || r.stdout || 'unknown').trim().replace(/^nginx version:\s*/, '');
  })();
  const mem = `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`;
  const proxyVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  return { nproc, cpu, node: process.version, mem, kernel: os.release(), wrk: wrkVersion(tools.wrk), nginx: nginxV, proxyVersion };
}

// ---------- the system under test ----------

async function startUpstream() {
  const child = start('upstream', process.execPath, [path.join(BENCH, 'upstream.js')]);
  const { port } = await ready(child);
  return { child, port, url: `http://${HOST}:${port}` };
}

async function startReceiver() {
  const child = start('otlp-receiver', process.execPath, [path.join(BENCH, 'otlp-receiver.js')]);
  const { port } = await ready(child);
  return { child, port, url: `http://${HOST}:${port}` };
}

async function startNginx(nginxBin, upstreamPort, dir) {
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(conf, `# generated by bench/run.js
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream mcp {
    server ${HOST}:${upstreamPort};
    keepalive 64;
  }
  server {
    listen ${HOST}:${port};
    location / {
      proxy_pass http://mcp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`);
  const child = start('nginx', nginxBin, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log'), '-g', 'daemon off;']);
  try {
    await waitPort(port, child);
  } catch (err) {
    let log = '';
    try {
      log = fs.readFileSync(path.join(dir, 'error.log'), 'utf8');
    } catch {
      /* none */
    }
    throw new Error(`${err.message}\n${log}`);
  }
  return { child, port, url: `http://${HOST}:${port}/mcp` };
}

/** The floor: node:http + the same undici Pool, dispatch() with a handler object (bench/node-forwarder.js). */
async function startForwarder(upstreamUrl) {
  const child = start('node-forwarder', process.execPath, [path.join(BENCH, 'node-forwarder.js'), upstreamUrl, '0', 'dispatch']);
  const { port } = await ready(child);
  return { child, port, url: `http://${HOST}:${port}/mcp` };
}

/** The real CLI, as a user runs it. */
async function startProxy(name, upstreamUrl, receiverUrl, { sampler = null, nodeArgs = [] } = {}) {
  const port = await freePort();
  const env = cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl });
  if (sampler) Object.assign(env, sampler);
  const child = start(name, process.execPath, [...nodeArgs, path.join(ROOT, 'dist', 'cli.js'), '--upstream', `${upstreamUrl}/mcp`, '--port', String(port), '--admin-port', 'off'], { env });
  await waitPort(port, child);
  return { child, port, url: `http://${HOST}:${port}/mcp`, base: `http://${HOST}:${port}`, name };
}

// ---------- load ----------

function toMs(v, unit) {
  return unit === 'us' ? v / 1000 : unit === 'ms' ? v : v * 1000;
}

function parseWrk(out) {
  const lat = (p) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    return m ? toMs(Number(m[1]), m[2]) : NaN;
  };
  const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    p50: lat(50),
    p99: lat(99),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

async function wrk(tools, url, conns, seconds) {
  // wrk takes whole seconds; shorter durations are rounded up to 1 s.
  const args = ['-t1', `-c${conns}`, `-d${Math.max(1, Math.round(seconds))}s`, '--latency', '-s', path.join(BENCH, 'post.lua'), url];
  const child = start(`wrk -c${conns} ${url}`, tools.wrk, args);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const info = await child.exited;
  if (info.code !== 0) throw new Error(`wrk failed (code ${info.code}): ${child.stderrTail || out}`);
  const r = parseWrk(out);
  if (!Number.isFinite(r.p50) || !Number.isFinite(r.rps)) throw new Error(`could not read wrk's output:\n${out}`);
  r.raw = out;
  return r;
}

/** A short load to warm the JIT and the connection pools; only its request count is kept. */
async function warm(tools, url, seconds) {
  if (seconds <= 0) return 0;
  return (await wrk(tools, url, 10, Math.max(1, seconds))).requests;
}

async function sseDelay(url, events, skip) {
  const full = `${url}/sse-bench?n=${events + skip}&interval=10&delay=200`;
  const child = start('sse-client delay', process.execPath, [path.join(BENCH, 'sse-client.js'), 'delay', full, String(events), String(skip)]);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const t = setTimeout(() => stop(child, 'SIGKILL'), 30_000 + events * 20);
  const info = await child.exited;
  clearTimeout(t);
  if (info.code !== 0) throw new Error(`SSE client failed (code ${info.code}): ${child.stderrTail}`);
  return JSON.parse(out.trim().split('\n').pop());
}

/** Opens `n` SSE streams through the proxy, samples its RSS while they are open, then closes them. */
async function openStreams(proxy, n) {
  const before = rssMB(proxy.child.pid);
  const child = start('sse-client hold', process.execPath, [path.join(BENCH, 'sse-client.js'), 'hold', `${proxy.base}/sse-bench?n=0`, String(n)], { stdin: 'pipe' });
  const r = await ready(child, 60_000);
  await sleep(500);
  const sampler = rssSampler(proxy.child.pid, 100);
  await sleep(1500);
  const peak = sampler();
  await stop(child, 'SIGTERM', 3000);
  await sleep(500);
  return { before, peak, open: r.open, failed: r.failed, after: rssMB(proxy.child.pid) };
}

// ---------- statistics and report ----------

const LABEL = { direct: 'direct', nginx: 'nginx', forwarder: 'bare forwarder', proxyOff: 'proxy, tracing off', proxy: 'proxy 100%', proxy1: 'proxy 1%' };

function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function stat(xs) {
  const f = xs.filter(Number.isFinite);
  return { med: median(f), min: Math.min(...f), max: Math.max(...f), n: f.length };
}

const fmtMs = (v) => (Number.isFinite(v) ? `${v.toFixed(3)} ms` : 'n/a');
const fmtRps = (v) => (Number.isFinite(v) ? `${Math.round(v).toLocaleString('en-US')} req/s` : 'n/a');
const fmtX = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a');
const fmtMB = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} MB` : 'n/a');
const fmtUs = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} µs` : 'n/a');

function spread(s, f) {
  if (!Number.isFinite(s.med)) return 'n/a';
  if (s.n <= 1) return '(1 run)';
  const strip = (t) => t.replace(/ (ms|req\/s|MB|µs)$/, '').replace(/×$/, '');
  const unit = /( ms| req\/s| MB| µs|×)$/.exec(f(s.min))?.[1] ?? '';
  return `${strip(f(s.min))}–${strip(f(s.max))}${unit}`;
}

/** One table row; `target`: { text, ok(median) } or null (information only). */
function row(label, s, f, target, smoke) {
  let verdict = 'info';
  if (target) verdict = smoke ? 'not judged (smoke)' : !Number.isFinite(s.med) ? 'n/a' : target.ok(s.med) ? '**met**' : '**not met**';
  return `| ${label} | ${f(s.med)} | ${spread(s, f)} | ${target ? target.text : '—'} | ${verdict} |`;
}

function report(opts, m, data, extra) {
  const { lat, thr, sse, rss, streams, otlp, warnings, perRequest: cpu } = data;
  const S = (xs) => stat(xs);
  const minus = (a, b) => a.map((v, i) => v - b[i]);
  const ratio = (a, b) => a.map((v, i) => v / b[i]);
  const le = (lim, unit) => ({ text: `≤ ${lim} ${unit}`, ok: (v) => v <= lim });
  const leX = (lim, of) => ({ text: `≤ ${lim}× ${of}`, ok: (v) => v <= lim });
  const sm = opts.smoke;
  const L = [];
  const date = new Date().toISOString();
  L.push(`# mcp-trace-proxy benchmark — ${date.slice(0, 19).replace('T', ' ')} UTC${sm ? ' (smoke: not a measurement)' : ''}`);
  L.push('');
  L.push(`Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpu}, ${m.mem} RAM, Linux ${m.kernel}; Node ${m.node}; ${m.wrk}; nginx ${m.nginx}; mcp-trace-proxy ${m.proxyVersion}.`);
  L.push('');
  L.push(`Method: ${opts.repeat} repetition(s) of every measurement; the table gives the median and the min–max over repetitions. wrk runs ${opts.duration} s each (\`-t1 -c1\` for latency, \`-t1 -c10\` for throughput) after ${opts.warmup} s of warm-up per target, posting a small \`tools/call\` (bench/post.lua). All processes share the same ${m.nproc} cores over 127.0.0.1: wrk, the node upstream, and nginx or the proxy. "Added" latency is the target's percentile minus the direct percentile of the same repetition. "CPU / request" is the hop's CPU time over exactly the c=10 run (utime + stime from /proc/<pid>/stat, all threads; nginx: master + worker) divided by the requests wrk completed in it; ratios are taken per repetition. Peak RSS is the largest VmRSS sampled every 100 ms during that run (nginx: the sum over its processes). The proxy is \`node dist/cli.js --upstream … --admin-port off\` with no Node flags, exporting OTLP/HTTP to a local receiver; "1%" is \`OTEL_TRACES_SAMPLER=traceidratio OTEL_TRACES_SAMPLER_ARG=0.01\`; "tracing off" is \`OTEL_SDK_DISABLED=true\` (forward only). Two baselines carry no target: nginx, and the bare forwarder (bench/node-forwarder.js, \`dispatch\` mode: node:http + the same undici Pool, \`dispatch()\` with a handler object, bodies streamed, hop-by-hop headers dropped, no parsing or tracing), the floor for any proxy built on Node and undici on this machine, which the CPU targets compare with.`);
  L.push('');
  L.push('| measurement | median | spread (min–max) | target | result |');
  L.push('|---|---:|---:|---|---|');
  L.push(row('direct latency p50, c=1', S(lat.direct.p50), fmtMs, null, sm));
  L.push(row('direct latency p99, c=1', S(lat.direct.p99), fmtMs, null, sm));
  for (const [k, label] of [['nginx', 'nginx'], ['forwarder', 'bare forwarder'], ['proxyOff', 'proxy (tracing off)']]) {
    L.push(row(`${label} added latency p50, c=1`, S(minus(lat[k].p50, lat.direct.p50)), fmtMs, null, sm));
    L.push(row(`${label} added latency p99, c=1`, S(minus(lat[k].p99, lat.direct.p99)), fmtMs, null, sm));
  }
  for (const [k, label] of [['proxy', 'proxy (100%)'], ['proxy1', 'proxy (1%)']]) {
    L.push(row(`${label} added latency p50, c=1 (issue 7: ≤ 0.1 ms)`, S(minus(lat[k].p50, lat.direct.p50)), fmtMs, null, sm));
    L.push(row(`${label} added latency p99, c=1`, S(minus(lat[k].p99, lat.direct.p99)), fmtMs, le(1, 'ms'), sm));
  }
  L.push(row('upstream CPU / request, direct (no hop), c=10', S(cpu.upstream.direct), fmtUs, null, sm));
  L.push(row('nginx CPU / request (master + worker), c=10', S(cpu.hop.nginx), fmtUs, null, sm));
  L.push(row('bare forwarder CPU / request, c=10', S(cpu.hop.forwarder), fmtUs, null, sm));
  L.push(row('proxy (tracing off) CPU / request, c=10', S(cpu.hop.proxyOff), fmtUs, null, sm));
  L.push(row('proxy (100%) CPU / request, c=10', S(cpu.hop.proxy), fmtUs, null, sm));
  L.push(row('proxy (1%) CPU / request, c=10', S(cpu.hop.proxy1), fmtUs, null, sm));
  L.push(row('CPU / request: proxy (tracing off) / bare forwarder', S(ratio(cpu.hop.proxyOff, cpu.hop.forwarder)), fmtX, leX(1.1, 'forwarder'), sm));
  L.push(row('CPU / request: proxy (100%) / bare forwarder', S(ratio(cpu.hop.proxy, cpu.hop.forwarder)), fmtX, leX(1.5, 'forwarder'), sm));
  L.push(row('CPU / request: proxy (1%, keep-errors) / bare forwarder (issue 20)', S(ratio(cpu.hop.proxy1, cpu.hop.forwarder)), fmtX, leX(1.25, 'forwarder'), sm));
  L.push(row('CPU / request: proxy (100%) / proxy (tracing off)', S(ratio(cpu.hop.proxy, cpu.hop.proxyOff)), fmtX, null, sm));
  L.push(row('CPU / request: bare forwarder / nginx', S(ratio(cpu.hop.forwarder, cpu.hop.nginx)), fmtX, null, sm));
  L.push(row('throughput direct, c=10', S(thr.direct), fmtRps, null, sm));
  L.push(row('throughput nginx, c=10', S(thr.nginx), fmtRps, null, sm));
  L.push(row('throughput bare forwarder, c=10', S(thr.forwarder), fmtRps, null, sm));
  L.push(row('throughput proxy (tracing off), c=10', S(thr.proxyOff), fmtRps, null, sm));
  L.push(row('throughput proxy (100%), c=10', S(thr.proxy), fmtRps, null, sm));
  L.push(row('throughput proxy (1%), c=10', S(thr.proxy1), fmtRps, null, sm));
  L.push(row('throughput bare forwarder / nginx', S(ratio(thr.forwarder, thr.nginx)), fmtX, null, sm));
  L.push(row('throughput proxy (tracing off) / nginx', S(ratio(thr.proxyOff, thr.nginx)), fmtX, null, sm));
  L.push(row('throughput proxy (100%) / nginx (issue 7: ≥ 0.5×)', S(ratio(thr.proxy, thr.nginx)), fmtX, null, sm));
  L.push(row('throughput proxy (1%) / nginx (issue 7: ≥ 0.6×)', S(ratio(thr.proxy1, thr.nginx)), fmtX, null, sm));
  L.push(row(`SSE delivery delay p50, direct (${opts.events} events)`, S(sse.direct.p50), fmtMs, null, sm));
  L.push(row(`SSE delivery delay p99, direct`, S(sse.direct.p99), fmtMs, null, sm));
  L.push(row(`SSE delivery delay p50, through proxy`, S(sse.proxy.p50), fmtMs, null, sm));
  L.push(row(`SSE delivery delay p99, through proxy`, S(sse.proxy.p99), fmtMs, le(1, 'ms'), sm));
  L.push(row('nginx RSS (master + worker), peak under c=10 load', S(rss.load.nginx), fmtMB, null, sm));
  L.push(row('bare forwarder RSS, peak under c=10 load', S(rss.load.forwarder), fmtMB, null, sm));
  L.push(row('proxy (tracing off) RSS, peak under c=10 load', S(rss.load.proxyOff), fmtMB, le(80, 'MB'), sm));
  L.push(row('proxy (100%) RSS, peak under c=10 load', S(rss.load.proxy), fmtMB, le(80, 'MB'), sm));
  L.push(row('proxy (1%) RSS, peak under c=10 load', S(rss.load.proxy1), fmtMB, le(80, 'MB'), sm));
  const idle = Object.fromEntries(rss.flat.map((p) => [p.key, [p.idle]]));
  L.push(row('bare forwarder RSS, idle at start', S(idle.forwarder), fmtMB, null, sm));
  L.push(row('proxy (tracing off) RSS, idle at start', S(idle.proxyOff), fmtMB, le(50, 'MB'), sm));
  L.push(row('proxy (100%) RSS, idle at start', S(idle.proxy), fmtMB, le(50, 'MB'), sm));
  L.push(row('proxy (1%) RSS, idle at start', S(idle.proxy1), fmtMB, le(50, 'MB'), sm));
  L.push(row(`proxy RSS with ${opts.streams} open SSE streams`, S(streams.peak), fmtMB, le(150, 'MB'), sm));
  L.push('');
  L.push('The whole run, per process (one value each: information, no target). Requests count warm-ups, c=1 and c=10 runs; CPU is utime + stime from idle at start to the end, so it also holds idle time (timers, exports) and, for proxy 100%, the SSE delivery runs:');
  L.push('');
  L.push('| process | RSS idle at start | after first warm-up | at end | requests served | CPU / request, whole run |');
  L.push('|---|---:|---:|---:|---:|---:|');
  for (const p of rss.flat) L.push(`| ${p.name} | ${fmtMB(p.idle)} | ${fmtMB(p.warm)} | ${fmtMB(p.end)} | ${p.requests.toLocaleString('en-US')} | ${fmtUs((p.cpuS / p.requests) * 1e6)} |`);
  L.push(`| stream proxy (fresh instance) | ${fmtMB(S(streams.before).med)} before streams | ${fmtMB(S(streams.peak).med)} with ${opts.streams} open (${S(streams.open).med} opened, ${S(streams.failed).med} failed) | ${fmtMB(S(streams.after).med)} after they closed | — | — |`);
  L.push('');
  L.push('Raw figures per target (median over repetitions). "hop" is the process between wrk and the upstream (none for direct); the upstream is the same process for every target:');
  L.push('');
  L.push('| target | p50 c=1 | p99 c=1 | req/s c=1 | req/s c=10 | p50 c=10 | p99 c=10 | hop CPU / req c=10 | hop peak RSS c=10 | upstream CPU / req c=10 | non-2xx / socket errors |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [k, label] of Object.entries(LABEL)) {
    const l = lat[k];
    const t = data.thrDetail[k];
    const hop = cpu.hop[k] ? [fmtUs(median(cpu.hop[k])), fmtMB(median(rss.load[k]))] : ['—', '—'];
    L.push(`| ${label} | ${fmtMs(median(l.p50))} | ${fmtMs(median(l.p99))} | ${fmtRps(median(l.rps))} | ${fmtRps(median(thr[k]))} | ${fmtMs(median(t.p50))} | ${fmtMs(median(t.p99))} | ${hop[0]} | ${hop[1]} | ${fmtUs(median(cpu.upstream[k]))} | ${l.errors + t.errors} |`);
  }
  L.push('');
  const c = data.cpu;
  L.push(`CPU during the run (${c.secs.toFixed(0)} s): the harness and its processes used ${c.ourCores.toFixed(2)} cores on average, other processes on the machine ${c.otherCores.toFixed(2)} cores, hypervisor steal ${c.stealPct.toFixed(1)}%; load average ${c.load0} at start, ${c.load1} at end. Other processes per kept repetition: ${c.repOther.map((x) => x.toFixed(2)).join(', ')} cores${c.discarded ? `; ${c.discarded} disturbed repetition(s) were discarded and run again` : ''}.`);
  L.push('');
  L.push(`OTLP receiver: ${otlp.requests.toLocaleString('en-US')} export requests, ${(otlp.bytes / 2 ** 20).toFixed(1)} MiB, ~${otlp.approxSpans.toLocaleString('en-US')} spans (counted by scanning the protobuf).`);
  if (extra) L.push('', extra);
  if (warnings.length) {
    L.push('', 'Warnings:', '');
    for (const w of warnings) L.push(`- ${w}`);
  }
  L.push('');
  return L.join('\n');
}

// ---------- the run ----------

async function benchmark(opts, tools) {
  const m = machine(tools);
  const tmp = tempDir('mcp-bench-');
  const warnings = [];
  const endCpu = cpuWindow();
  const load0 = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  try {
    process.stderr.write(`bench: ${m.nproc} CPUs, ${m.cpu}, node ${m.node}; ${opts.repeat}× ${opts.duration} s runs${opts.smoke ? ' (smoke)' : ''}\n`);
    const upstream = await startUpstream();
    const receiver = await startReceiver();
    const nginx = await startNginx(tools.nginx, upstream.port, tmp);
    const forwarder = await startForwarder(upstream.url);
    const proxy = await startProxy('proxy-100%', upstream.url, receiver.url);
    const proxy1 = await startProxy('proxy-1%', upstream.url, receiver.url, { sampler: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' } });
    const proxyOff = await startProxy('proxy-off', upstream.url, receiver.url, { sampler: { OTEL_SDK_DISABLED: 'true' } });
    const streamProxy = await startProxy('proxy-streams', upstream.url, receiver.url);
    const targets = { direct: `${upstream.url}/mcp`, nginx: nginx.url, forwarder: forwarder.url, proxyOff: proxyOff.url, proxy: proxy.url, proxy1: proxy1.url };
    // The hop of each target, measured as its process group (nginx: master + worker); direct has none.
    const hops = { nginx: nginx.child.pid, forwarder: forwarder.child.pid, proxyOff: proxyOff.child.pid, proxy: proxy.child.pid, proxy1: proxy1.child.pid };
    // The Node processes followed over the whole run.
    const proxies = { forwarder, proxyOff, proxy, proxy1 };
    const served = { forwarder: 0, proxyOff: 0, proxy: 0, proxy1: 0 };
    await sleep(300);
    const flat = {};
    for (const k of Object.keys(proxies)) flat[k] = { idle: rssMB(proxies[k].child.pid), cpu0: cpuSeconds(proxies[k].child.pid) };

    const lat = {};
    const thr = {};
    const thrDetail = {};
    for (const k of Object.keys(targets)) {
      lat[k] = { p50: [], p99: [], rps: [], errors: 0 };
      thr[k] = [];
      thrDetail[k] = { p50: [], p99: [], errors: 0 };
    }
    const rss = { load: Object.fromEntries(Object.keys(hops).map((k) => [k, []])) };
    // CPU µs per request of each c=10 run: the hop's (not for direct), and the upstream's.
    const cpu = { hop: Object.fromEntries(Object.keys(hops).map((k) => [k, []])), upstream: Object.fromEntries(Object.keys(targets).map((k) => [k, []])) };
    const sse = { direct: { p50: [], p99: [] }, proxy: { p50: [], p99: [] } };
    const streams = { before: [], peak: [], after: [], open: [], failed: [] };
    const check = (k, r, what, stage) => {
      const e = r.non2xx + r.socketErrors;
      if (e > 0) stage(() => warnings.push(`${k} ${what}: ${r.non2xx} non-2xx responses, ${r.socketErrors} socket errors of ${r.requests} requests`));
      if (r.requests === 0 || r.non2xx >= r.requests) throw new Error(`${k} ${what}: no successful request — the setup is broken`);
      return e;
    };

    // With --wait-quiet, each repetition starts on a quiet machine, and one that other processes disturbed
    // (> 0.15 cores on average) is thrown away and run again, at most 2× --repeat times in all.
    const repOther = [];
    let discarded = 0;
    for (let rep = 1, attempt = 1; rep <= opts.repeat; attempt++) {
      if (opts.waitQuiet > 0) await waitQuiet(opts.waitQuiet);
      process.stderr.write(`bench: repetition ${rep}/${opts.repeat}${attempt > rep ? ` (attempt ${attempt})` : ''}\n`);
      const staged = [];
      const stage = (fn) => staged.push(fn);
      const endRep = cpuWindow();
      for (const [k, url] of Object.entries(targets)) {
        const w = await warm(tools, url, opts.warmup);
        if (rep === 1 && proxies[k] && flat[k].warm === undefined) flat[k].warm = rssMB(proxies[k].child.pid);
        const l = await wrk(tools, url, 1, opts.duration);
        const le = check(k, l, 'c=1', stage);
        // Exactly the c=10 run: CPU time (utime + stime, all threads, every pid of the group) and peak RSS.
        const hopMeter = hops[k] ? groupMeter(hops[k]) : null;
        const upMeter = groupMeter(upstream.child.pid, { rss: false });
        const t = await wrk(tools, url, 10, opts.duration);
        const hop = hopMeter?.();
        const up = upMeter();
        const te = check(k, t, 'c=10', stage);
        if (k === 'nginx' && hop.pids.length < 2) stage(() => warnings.push(`nginx's process group had ${hop.pids.length} process(es), not master + worker: its CPU and RSS are incomplete`));
        const hopUs = hop ? (hop.cpuS / t.requests) * 1e6 : NaN;
        const upUs = (up.cpuS / t.requests) * 1e6;
        stage(() => {
          lat[k].errors += le;
          lat[k].p50.push(l.p50);
          lat[k].p99.push(l.p99);
          lat[k].rps.push(l.rps);
          thrDetail[k].errors += te;
          thr[k].push(t.rps);
          thrDetail[k].p50.push(t.p50);
          thrDetail[k].p99.push(t.p99);
          cpu.upstream[k].push(upUs);
          if (hop) {
            rss.load[k].push(hop.peakMB);
            cpu.hop[k].push(hopUs);
          }
        });
        if (proxies[k]) served[k] += w + l.requests + t.requests;
        process.stderr.write(`  ${k.padEnd(9)} c=1 p50 ${fmtMs(l.p50)} p99 ${fmtMs(l.p99)} | c=10 ${fmtRps(t.rps)}${hop ? ` cpu ${fmtUs(hopUs)} rss ${fmtMB(hop.peakMB)}` : ''} | upstream cpu ${fmtUs(upUs)}\n`);
      }
      for (const [k, base] of [['direct', upstream.url], ['proxy', proxy.base]]) {
        const r = await sseDelay(base, opts.events, opts.skip);
        stage(() => {
          if (r.count < opts.events) warnings.push(`SSE ${k}: only ${r.count} of ${opts.events} events arrived`);
          sse[k].p50.push(r.p50);
          sse[k].p99.push(r.p99);
        });
        process.stderr.write(`  sse ${k}: p50 ${fmtMs(r.p50)} p99 ${fmtMs(r.p99)} max ${fmtMs(r.max)} (${r.count} events)\n`);
      }
      const st = await openStreams(streamProxy, opts.streams);
      if (st.open === 0) throw new Error('no SSE stream opened through the proxy');
      stage(() => {
        if (st.failed > 0) warnings.push(`${st.failed} of ${opts.streams} SSE streams failed to open`);
        for (const key of Object.keys(streams)) streams[key].push(st[key]);
      });
      process.stderr.write(`  ${st.open} streams: rss ${fmtMB(st.before)} → ${fmtMB(st.peak)} → ${fmtMB(st.after)}\n`);
      const c = endRep();
      if (opts.waitQuiet > 0 && c.otherCores > 0.15 && attempt < 2 * opts.repeat) {
        discarded++;
        process.stderr.write(`bench: other processes used ${c.otherCores.toFixed(2)} cores during this repetition: discarded, running it again\n`);
        continue;
      }
      for (const f of staged) f();
      repOther.push(c.otherCores);
      rep++;
    }

    for (const k of Object.keys(proxies)) {
      flat[k].end = rssMB(proxies[k].child.pid);
      flat[k].cpuS = cpuSeconds(proxies[k].child.pid) - flat[k].cpu0;
    }
    await sleep(1500); // let the batch processors export
    const otlp = await getJson(`${receiver.url}/stats`);
    const machineCpu = endCpu();
    machineCpu.repOther = repOther;
    machineCpu.discarded = discarded;
    machineCpu.load0 = load0;
    machineCpu.load1 = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const noisy = repOther.filter((x) => x > 0.15).length;
    if (noisy > 0) warnings.push(`other processes used more than 0.15 cores during ${noisy} of ${repOther.length} kept repetition(s): those numbers are disturbed; run again on a quiet machine, with --wait-quiet`);
    for (const p of [forwarder, proxy, proxy1, proxyOff, streamProxy]) if (p.child.exitInfo) throw new Error(`${p.name} exited during the run:\n${p.child.stderrTail}`);
    const data = {
      lat, thr, thrDetail, sse, streams, otlp, warnings, cpu: machineCpu, perRequest: cpu,
      rss: { ...rss, flat: Object.keys(proxies).map((k) => ({ key: k, name: LABEL[k], ...flat[k], requests: served[k] })) },
    };
    return report(opts, m, data);
  } finally {
    await stopAll();
    removeTempDirs();
  }
}

/**
 * Runs the 100% proxy under a Node profiler (`kind`: cpu → --cpu-prof, heap → --heap-prof) with the c=10
 * load, stops it with SIGINT (it drains and exits; Node writes the profile on exit), keeps the profile
 * in --out and returns a Markdown summary.
 */
async function profile(opts, tools, kind) {
  const dir = tempDir(`mcp-bench-${kind}prof-`);
  const flag = kind === 'cpu' ? ['--cpu-prof', '--cpu-prof-dir', dir] : ['--heap-prof', '--heap-prof-dir', dir, `--heap-prof-interval=${opts.heapInterval}`];
  const ext = kind === 'cpu' ? '.cpuprofile' : '.heapprofile';
  try {
    const upstream = await startUpstream();
    const receiver = await startReceiver();
    const proxy = await startProxy(`proxy-${kind}-profiled`, upstream.url, receiver.url, { nodeArgs: flag });
    await warm(tools, proxy.url, Math.max(opts.warmup, 1));
    process.stderr.write(`bench: ${kind}-profiling the proxy under wrk -t1 -c10 for ${opts.profileDuration} s\n`);
    const meter = groupMeter(proxy.child.pid);
    const r = await wrk(tools, proxy.url, 10, opts.profileDuration);
    const used = meter();
    await stop(proxy.child, 'SIGINT', 20_000); // SIGINT: the proxy drains and exits, and node writes the profile
    const file = fs.readdirSync(dir).find((f) => f.endsWith(ext));
    if (!file) throw new Error(`no ${ext} was written (proxy exit: ${JSON.stringify(proxy.child.exitInfo)})`);
    const json = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const m = machine(tools);
    const load = `\`wrk -t1 -c10\` tools/call for ${opts.profileDuration} s (after warm-up) against \`node --${kind}-prof dist/cli.js\` with 100% sampling and OTLP export to a local receiver: `
      + `${fmtRps(r.rps)}, p50 ${fmtMs(r.p50)}, p99 ${fmtMs(r.p99)}; ${fmtUs((used.cpuS / r.requests) * 1e6)} CPU / request, peak RSS ${fmtMB(used.peakMB)} `
      + '(the profiler itself costs some of each).';
    const head = `# mcp-trace-proxy ${kind === 'cpu' ? 'CPU' : 'heap'} profile — ${new Date().toISOString().slice(0, 19).replace('T', ' ')} UTC\n\n`
      + `Machine: ${m.nproc} CPUs, ${m.cpu}; Node ${m.node}. Load: ${load}`;
    const text = kind === 'cpu'
      ? `${head} The profile covers the whole process life, warm-up included.\n\n${toMarkdown(summarize(json, 15), 15)}`
      : `${head}\n\n${heapSummary.toMarkdown(heapSummary.summarize(json, 20), 20, opts.heapInterval)}`;
    const keep = path.join(opts.out, `latest${ext}`);
    fs.mkdirSync(opts.out, { recursive: true });
    fs.copyFileSync(path.join(dir, file), keep);
    return { text, keep };
  } finally {
    await stopAll();
    removeTempDirs();
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  installCleanup();
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) {
    process.stderr.write('bench: dist/cli.js is missing: run `npm run build` first (npm run bench does)\n');
    process.exit(1);
  }
  const tools = ensureTools(opts);
  if (opts.profile || opts.heapProf) {
    for (const kind of ['cpu', 'heap']) {
      if (!(kind === 'cpu' ? opts.profile : opts.heapProf)) continue;
      if (opts.waitQuiet > 0) await waitQuiet(opts.waitQuiet);
      const { text, keep } = await profile(opts, tools, kind);
      process.stdout.write(text + '\n');
      if (!opts.smoke) fs.writeFileSync(path.join(opts.out, kind === 'cpu' ? 'profile-latest.md' : 'heap-profile-latest.md'), text);
      process.stderr.write(`bench: profile kept at ${path.relative(process.cwd(), keep)} (open it in Chrome DevTools → ${kind === 'cpu' ? 'Performance' : 'Memory'})\n`);
    }
    return;
  }
  const text = await benchmark(opts, tools);
  process.stdout.write('\n' + text + '\n');
  if (!opts.smoke) {
    fs.mkdirSync(opts.out, { recursive: true });
    const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
    const file = path.join(opts.out, `${stamp}.md`);
    fs.writeFileSync(file, text);
    fs.writeFileSync(path.join(opts.out, 'latest.md'), text);
    process.stderr.write(`bench: written to ${path.relative(process.cwd(), file)} and ${path.relative(process.cwd(), path.join(opts.out, 'latest.md'))}\n`);
  }
}

main().catch(async (err) => {
  process.stderr.write(`bench: failed: ${err && err.stack ? err.stack : err}\n`);
  await stopAll();
  process.exit(1);
});
