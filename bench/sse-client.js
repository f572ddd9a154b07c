#!/usr/bin/env node
'use strict';
// Benchmark SSE client, two modes:
//   node sse-client.js delay <url> <events> <skip>
//     Opens one event stream; for each event computes the delivery delay: receive time minus the send
//     time the upstream put in params.data.t (both epoch ms from performance.timeOrigin + performance.now(),
//     same machine, same clock). Skips the first <skip> events, then records <events>. Prints one JSON line
//     {"count","p50","p99","max","mean"} (ms) on stdout and exits.
//   node sse-client.js hold <url> <streams>
//     Opens <streams> GET streams (one connection each) and prints "READY {"open":n,"failed":m}" once every
//     stream has answered 200 and sent its first bytes; holds them until SIGTERM/SIGINT or stdin closes.
const http = require('node:http');
const { performance } = require('node:perf_hooks');

const now = () => performance.timeOrigin + performance.now();
const [mode, url, a, b] = process.argv.slice(2);
const HEADERS = { accept: 'text/event-stream', 'mcp-protocol-version': '2025-06-18' };

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function delay() {
  const want = Number(a);
  const skip = Number(b ?? 0);
  const delays = [];
  let seen = 0;
  let buf = '';
  const agent = new http.Agent({ keepAlive: false });
  const req = http.get(url, { headers: HEADERS, agent }, (res) => {
    if (res.statusCode !== 200) {
      process.stderr.write(`sse-client: HTTP ${res.statusCode}\n`);
      process.exit(1);
    }
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      const t = now();
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const line = ev.split('\n').find((l) => l.startsWith('data:'));
        if (!line) continue;
        let sent;
        try {
          sent = JSON.parse(line.slice(5)).params.data.t;
        } catch {
          continue;
        }
        if (typeof sent !== 'number') continue;
        if (++seen > skip) delays.push(t - sent);
        if (delays.length >= want) return finish();
      }
    });
    res.on('end', finish);
  });
  req.on('error', (err) => {
    process.stderr.write(`sse-client: ${err.message}\n`);
    process.exit(1);
  });
  let done = false;
  function finish() {
    if (done) return;
    done = true;
    req.destroy();
    const s = [...delays].sort((x, y) => x - y);
    const mean = s.reduce((x, y) => x + y, 0) / (s.length || 1);
    process.stdout.write(JSON.stringify({ count: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s[s.length - 1] ?? NaN, mean }) + '\n');
    process.exit(s.length > 0 ? 0 : 1);
  }
}

function hold() {
  const total = Number(a);
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const reqs = [];
  let open = 0;
  let failed = 0;
  let started = 0;
  let reported = false;
  const report = () => {
    if (reported || open + failed < total) return;
    reported = true;
    process.stdout.write(`READY ${JSON.stringify({ open, failed })}\n`);
  };
  // At most 100 connection attempts in flight, so the listen backlog never overflows.
  const BATCH = 100;
  let inflight = 0;
  const next = () => {
    while (inflight < BATCH && started < total) {
      started++;
      inflight++;
      let settled = false;
      const settle = (ok) => {
        if (settled) return;
        settled = true;
        inflight--;
        if (ok) open++;
        else failed++;
        report();
        next();
      };
      const req = http.get(url, { headers: HEADERS, agent }, (res) => {
        if (res.statusCode !== 200) return settle(false);
        res.once('data', () => settle(true));
        res.on('data', () => {});
        res.on('end', () => settle(false));
      });
      req.on('error', () => settle(false));
      reqs.push(req);
    }
  };
  next();
  const stop = () => {
    for (const r of reqs) r.destroy();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

if (mode === 'delay') delay();
else if (mode === 'hold') hold();
else {
  process.stderr.write('usage: sse-client.js delay <url> <events> <skip> | hold <url> <streams>\n');
  process.exit(2);
}
