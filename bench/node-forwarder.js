#!/usr/bin/env node
'use strict';
// Baseline for the benchmark: the least a Node reverse proxy can do with the proxy's own building blocks
// (node:http server + an undici Pool to the upstream, body streamed both ways, no tracing, no parsing).
// It shows how much of the proxy's cost is Node + undici itself and how much is the proxy's own work.
//   node bench/node-forwarder.js <upstream origin> <port> [mode]
// mode (for experiments; the harness uses the default):
//   request         undici pool.request() with a streamed body (default)
//   request-signal  the same plus a per-request AbortController signal, as src/proxy/http.ts does
//   dispatch        undici pool.dispatch() with a handler object: no promise, no Readable, no AbortSignal
//   node-http       node:http with a keep-alive Agent instead of undici (undici is then never loaded)
// Prints "READY {"port":…}" on stdout once listening on 127.0.0.1.
const http = require('node:http');
const path = require('node:path');

const [origin, port, mode = 'request'] = process.argv.slice(2);
const pool = mode === 'node-http' ? null
  : new (require(require.resolve('undici', { paths: [path.resolve(__dirname, '..')] })).Pool)(origin, { keepAliveTimeout: 30_000, bodyTimeout: 0 });
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 30_000 });
const upstream = new URL(origin);
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection']);

function requestHeaders(req) {
  const headers = {};
  for (const k in req.headers) if (!HOP.has(k)) headers[k] = req.headers[k];
  return headers;
}

function responseHeaders(h) {
  const out = {};
  for (const k in h) if (!HOP.has(k)) out[k] = h[k];
  return out;
}

function viaRequest(req, res, withSignal) {
  const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
  let signal;
  if (withSignal) {
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    signal = ac.signal;
  }
  pool.request({ path: req.url, method: req.method, headers: requestHeaders(req), body: hasBody ? req : null, signal }).then(
    (up) => {
      res.writeHead(up.statusCode, responseHeaders(up.headers));
      up.body.pipe(res);
      up.body.on('error', () => res.destroy());
    },
    () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    },
  );
}

function viaDispatch(req, res) {
  const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
  let ctl = null;
  res.on('close', () => {
    if (!res.writableFinished) ctl?.abort(new Error('client closed'));
  });
  pool.dispatch({ path: req.url, method: req.method, headers: requestHeaders(req), body: hasBody ? req : null }, {
    onRequestStart(controller) {
      ctl = controller;
    },
    onResponseStart(controller, statusCode, headers) {
      res.writeHead(statusCode, responseHeaders(headers));
    },
    onResponseData(controller, chunk) {
      if (!res.write(chunk)) {
        controller.pause();
        res.once('drain', () => controller.resume());
      }
    },
    onResponseEnd() {
      res.end();
    },
    onResponseError() {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    },
  });
}

function viaNodeHttp(req, res) {
  const up = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: requestHeaders(req), agent }, (r) => {
    res.writeHead(r.statusCode, responseHeaders(r.headers));
    r.pipe(res);
    r.on('error', () => res.destroy());
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  req.pipe(up);
}

const handle = mode === 'dispatch' ? viaDispatch : mode === 'node-http' ? viaNodeHttp : (req, res) => viaRequest(req, res, mode === 'request-signal');
const server = http.createServer({ keepAliveTimeout: 65_000 }, handle);
server.listen(Number(port ?? 0), '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, pid: process.pid, mode })}\n`);
});
const shutdown = () => {
  server.close();
  server.closeAllConnections();
  agent.destroy();
  if (pool) void pool.destroy().finally(() => process.exit(0));
  else process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
