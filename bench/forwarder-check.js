#!/usr/bin/env node
'use strict';
// Checks bench/node-forwarder.js, every mode, against a test upstream: status and headers both ways
// (hop-by-hop dropped, repeated headers kept), request bodies streamed (with a length, chunked, large),
// response back-pressure (a client that stops reading pauses the upstream), a client that leaves ends
// the upstream request, and 502 when the upstream is down. Exits 1 on the first failure.
//   node bench/forwarder-check.js [mode…]
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const readline = require('node:readline');
const assert = require('node:assert/strict');

const HOST = '127.0.0.1';
const modes = process.argv.slice(2).length ? process.argv.slice(2) : ['dispatch', 'request', 'request-signal', 'node-http'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The test upstream: echoes what it got, or streams a large body, or holds a request open. */
function upstream() {
  const state = { seen: null, bigWritten: 0, holdClosed: false };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/big') {
      // 64 MiB in 64 KiB chunks, as fast as the socket takes them.
      const chunk = Buffer.alloc(64 * 1024, 120);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = () => {
        while (state.bigWritten < 64 * 2 ** 20) {
          state.bigWritten += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (url.pathname === '/hold') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
      res.on('close', () => (state.holdClosed = true));
      return;
    }
    const hash = crypto.createHash('sha256');
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      state.seen = { method: req.method, url: req.url, headers: req.headers, size, sha: hash.digest('hex') };
      res.setHeader('x-echo', 'yes');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('connection', 'keep-alive, x-hop');
      res.setHeader('x-hop', 'must not pass');
      res.setHeader('keep-alive', 'timeout=5');
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ size, sha: state.seen.sha }));
    });
  });
  return new Promise((resolve) => server.listen(0, HOST, () => resolve({ server, state, port: server.address().port })));
}

function forwarder(originPort, mode) {
  const child = spawn(process.execPath, [path.join(__dirname, 'node-forwarder.js'), `http://${HOST}:${originPort}`, '0', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (l) => l.startsWith('READY ') && resolve({ child, port: JSON.parse(l.slice(6)).port }));
    child.once('exit', (c) => reject(new Error(`forwarder (${mode}) exited with ${c}`)));
  });
}

function request(port, opts, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, agent: false, ...opts }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (typeof body === 'function') body(req);
    else req.end(body);
  });
}

async function check(mode, up) {
  const fw = await forwarder(up.port, mode);
  try {
    // Status, headers both ways, a small body with a length.
    const small = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    const r = await request(fw.port, { method: 'POST', path: '/mcp?x=1', headers: { 'content-type': 'application/json', connection: 'x-private', 'x-private': 'no', 'keep-alive': '5', te: 'gzip', 'x-keep': 'yes' } }, small);
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-echo'], 'yes');
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(r.headers['x-hop'], undefined, 'a header the upstream listed in Connection passed');
    assert.notEqual(r.headers['keep-alive'], 'timeout=5', 'the upstream keep-alive header passed'); // node:http adds its own
    assert.deepEqual(JSON.parse(r.body), { size: small.length, sha: crypto.createHash('sha256').update(small).digest('hex') });
    const s = up.state.seen;
    assert.equal(s.url, '/mcp?x=1');
    assert.equal(s.headers['x-keep'], 'yes');
    for (const h of ['x-private', 'keep-alive', 'te']) assert.equal(s.headers[h], undefined, `request header ${h} passed`);

    // A chunked request body of 8 MiB, written in pieces: streamed, not dropped, intact.
    const piece = crypto.randomBytes(256 * 1024);
    const hash = crypto.createHash('sha256');
    const big = await request(fw.port, { method: 'POST', path: '/mcp', headers: { 'content-type': 'application/octet-stream' } }, async (req) => {
      for (let i = 0; i < 32; i++) {
        hash.update(piece);
        if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    });
    assert.equal(big.status, 201);
    assert.equal(up.state.seen.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(JSON.parse(big.body), { size: 32 * piece.length, sha: hash.digest('hex') });

    // Back-pressure: a client that reads nothing holds the upstream far below the 64 MiB it has to send.
    up.state.bigWritten = 0;
    const sock = net.connect(fw.port, HOST);
    await new Promise((r) => sock.once('connect', r));
    sock.pause();
    sock.write(`GET /big HTTP/1.1\r\nhost: ${HOST}\r\n\r\n`);
    await sleep(1500);
    const stalled = up.state.bigWritten;
    assert.ok(stalled > 0 && stalled < 32 * 2 ** 20, `upstream wrote ${stalled} bytes to a client that reads nothing`);
    let got = 0;
    sock.on('data', (c) => (got += c.length));
    sock.resume();
    await new Promise((r) => {
      const t = setInterval(() => got >= 64 * 2 ** 20 && (clearInterval(t), r()), 20);
    });
    sock.destroy();

    // A client that leaves ends the upstream request.
    up.state.holdClosed = false;
    const hold = net.connect(fw.port, HOST);
    await new Promise((r) => hold.once('connect', r));
    hold.write(`GET /hold HTTP/1.1\r\nhost: ${HOST}\r\n\r\n`);
    await new Promise((r) => hold.once('data', r));
    hold.destroy();
    for (let i = 0; i < 100 && !up.state.holdClosed; i++) await sleep(20);
    assert.ok(up.state.holdClosed, 'the upstream stream stayed open after the client left');
  } finally {
    fw.child.kill('SIGTERM');
  }
  // The upstream is down: 502.
  const dead = await new Promise((resolve) => {
    const s = net.createServer().listen(0, HOST, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const fw2 = await forwarder(dead, mode);
  try {
    const r = await request(fw2.port, { method: 'POST', path: '/mcp', headers: { 'content-type': 'application/json' } }, '{}');
    assert.equal(r.status, 502);
  } finally {
    fw2.child.kill('SIGTERM');
  }
}

(async () => {
  const up = await upstream();
  let failed = 0;
  for (const mode of modes) {
    try {
      await check(mode, up);
      console.log(`ok   ${mode}`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${mode}: ${err.message}`);
    }
  }
  up.server.closeAllConnections();
  up.server.close();
  process.exitCode = failed ? 1 : 0;
})();
