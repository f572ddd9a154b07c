#!/usr/bin/env node
'use strict';
// The floor of the benchmark: the least a correct Node reverse proxy does with the proxy's own building
// blocks (a node:http server and an undici Pool to the upstream; bodies streamed both ways; hop-by-hop
// headers dropped as the proxy drops them; no parsing, no tracing). Issue 12 compares the proxy's CPU per
// request with this process's.
//   node bench/node-forwarder.js <upstream origin> <port> [mode]
// mode:
//   dispatch        undici pool.dispatch() with a handler object (default; the harness's floor):
//                   no promise, no Readable, no AbortSignal per request
//   request         undici pool.request() with a streamed body (for experiments)
//   request-signal  the same plus a per-request AbortController signal (for experiments)
//   node-http       node:http with a keep-alive Agent instead of undici (undici is then never loaded)
// Every mode answers 502 when the upstream cannot be reached, and resets the client connection when the
// upstream fails after the status line was sent. Prints "READY {"port":…}" on stdout once listening.
const http = require('node:http');
const path = require('node:path');

const [origin, port, mode = 'dispatch'] = process.argv.slice(2);
const MODES = ['dispatch', 'request', 'request-signal', 'node-http'];
if (!origin || !MODES.includes(mode)) {
  process.stderr.write(`usage: node bench/node-forwarder.js <upstream origin> <port> [${MODES.join('|')}]\n`);
  process.exit(2);
}
// The proxy's own undici (the repository's node_modules), with the proxy's Pool options for the body.
const pool = mode === 'node-http' ? null
  : new (require(require.resolve('undici', { paths: [path.resolve(__dirname, '..')] })).Pool)(origin, { keepAliveTimeout: 30_000, bodyTimeout: 0 });
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 30_000 });
const upstream = new URL(origin);

// The proxy's hop-by-hop set (src/proxy/headers.ts), and the names a Connection header lists.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer',
  'proxy-authenticate', 'proxy-authorization', 'http2-settings']);

function endToEnd(h) {
  const c = h.connection;
  const listed = c ? new Set(String(c).toLowerCase().split(',').map((s) => s.trim())) : null;
  const out = {};
  for (const k in h) if (!HOP.has(k) && !listed?.has(k) && h[k] !== undefined) out[k] = h[k];
  return out;
}

function requestHeaders(req) {
  const out = endToEnd(req.headers);
  delete out.expect; // node:http has answered 100-continue already; undici refuses the header
  return out;
}

/** As the proxy decides it (src/proxy/http/request.ts): a length that is not 0, or a chunked body. */
const hasBody = (req) => (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;

function badGateway(res) {
  if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('node-forwarder: upstream failed\n');
  else res.destroy();
}

function viaRequest(req, res, withSignal) {
  let signal;
  if (withSignal) {
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    signal = ac.signal;
  }
  pool.request({ path: req.url, method: req.method, headers: requestHeaders(req), body: hasBody(req) ? req : null, signal }).then(
    (up) => {
      res.writeHead(up.statusCode, endToEnd(up.headers));
      up.body.pipe(res);
      up.body.on('error', () => res.destroy());
      res.on('close', () => {
        if (!res.writableFinished) up.body.destroy(); // pipe() alone would leave the upstream request open
      });
    },
    () => badGateway(res),
  );
}

/**
 * undici's handler API: the request body is the IncomingMessage itself (undici streams a Readable, with
 * back-pressure); the response goes out chunk by chunk, pausing undici while the client socket is full.
 */
function viaDispatch(req, res) {
  let ctl = null;
  let gone = false; // the client left before undici started the request
  let waiting = false;
  res.on('close', () => {
    if (res.writableFinished) return;
    gone = true;
    ctl?.abort(new Error('client closed'));
  });
  const resume = () => {
    waiting = false;
    ctl.resume();
  };
  pool.dispatch({ path: req.url, method: req.method, headers: requestHeaders(req), body: hasBody(req) ? req : null }, {
    onRequestStart(controller) {
      ctl = controller;
      if (gone) controller.abort(new Error('client closed'));
    },
    onResponseStart(controller, statusCode, headers) {
      res.writeHead(statusCode, endToEnd(headers));
    },
    onResponseData(controller, chunk) {
      if (!res.write(chunk) && !waiting) {
        waiting = true;
        controller.pause();
        res.once('drain', resume);
      }
    },
    onResponseEnd() {
      res.end();
    },
    onResponseError() {
      if (!gone) badGateway(res);
    },
  });
}

function viaNodeHttp(req, res) {
  const up = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: requestHeaders(req), agent }, (r) => {
    res.writeHead(r.statusCode, endToEnd(r.headers));
    r.pipe(res);
    r.on('error', () => res.destroy());
  });
  up.on('error', () => badGateway(res));
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
}

const handle = mode === 'dispatch' ? viaDispatch : mode === 'node-http' ? viaNodeHttp : (req, res) => viaRequest(req, res, mode === 'request-signal');
// The proxy's server options (src/server.ts).
const server = http.createServer({ keepAliveTimeout: 65_000, headersTimeout: 30_000, requestTimeout: 0 }, handle);
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
