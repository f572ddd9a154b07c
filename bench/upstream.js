#!/usr/bin/env node
'use strict';
// Benchmark upstream: a minimal JSON-RPC "MCP server" on node:http, run in its own process.
//   POST <any path>      -> 200 application/json {"jsonrpc":"2.0","id":<id>,"result":{"content":[{"type":"text","text":"ok"}]}}
//   GET  /sse-bench?n=N&interval=MS&delay=MS
//                        -> text/event-stream: a comment first, then N notifications/message events, one every
//                           MS ms, each carrying its send time (epoch ms, sub-ms precision) in params.data.t.
//                           n=0 holds the stream open with a small event every 5 s (for the open-streams test).
// Prints "READY {"port":…}" on stdout once listening on 127.0.0.1.
const http = require('node:http');
const { performance } = require('node:perf_hooks');

const now = () => performance.timeOrigin + performance.now();
const HOLD_EVENT = 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"debug","data":"hb"}}\n\n';
const open = new Set();

function answer(res, raw) {
  let id = null;
  try {
    const v = JSON.parse(raw);
    if (v && (typeof v.id === 'string' || typeof v.id === 'number')) id = v.id;
  } catch {
    /* not JSON: answer with id null */
  }
  const body = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"ok"}]}}`;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sse(req, res, q) {
  const n = Number(q.get('n') ?? 0);
  const interval = Number(q.get('interval') ?? 10);
  const delay = Number(q.get('delay') ?? 100);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': open\n\n');
  open.add(res);
  let timer = null;
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
    open.delete(res);
  };
  res.on('close', stop);
  if (n === 0) {
    timer = setInterval(() => res.write(HOLD_EVENT), 5000);
    return;
  }
  let seq = 0;
  setTimeout(() => {
    if (res.destroyed) return;
    timer = setInterval(() => {
      seq++;
      const t = now();
      res.write(`id: ${seq}\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":{"seq":${seq},"t":${t}}}}\n\n`);
      if (seq >= n) {
        stop();
        res.end();
      }
    }, interval);
  }, delay);
}

const server = http.createServer({ keepAliveTimeout: 65_000, headersTimeout: 70_000, requestTimeout: 0 }, (req, res) => {
  if (req.method === 'POST') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => answer(res, Buffer.concat(chunks).toString('utf8')));
    return;
  }
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'GET' && url.pathname === '/sse-bench') return sse(req, res, url.searchParams);
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
});
server.maxConnections = 0; // unlimited (default)
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`);
});
const shutdown = () => {
  for (const res of open) res.destroy();
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
