#!/usr/bin/env node
'use strict';
// Benchmark OTLP/HTTP receiver: answers 200 (an empty ExportTraceServiceResponse) to every POST
// (/v1/traces, /v1/metrics), counts requests and bytes, and estimates spans by scanning the protobuf
// for the Span prefix `0a 10 <16-byte trace_id> 12 08 <8-byte span_id>`. GET /stats answers the counts.
// Prints "READY {"port":…}" on stdout once listening on 127.0.0.1.
const http = require('node:http');
const zlib = require('node:zlib');

const stats = { requests: 0, bytes: 0, approxSpans: 0, byPath: {} };

function countSpans(buf) {
  let n = 0;
  for (let i = 0; i + 28 <= buf.length; i++) {
    if (buf[i] === 0x0a && buf[i + 1] === 0x10 && buf[i + 18] === 0x12 && buf[i + 19] === 0x08) {
      n++;
      i += 27;
    }
  }
  return n;
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    const body = JSON.stringify(stats);
    return void res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let buf = Buffer.concat(chunks);
    stats.requests++;
    stats.bytes += buf.length;
    stats.byPath[req.url] = (stats.byPath[req.url] ?? 0) + 1;
    try {
      if (/gzip/i.test(req.headers['content-encoding'] ?? '')) buf = zlib.gunzipSync(buf);
      if ((req.url ?? '').startsWith('/v1/traces')) stats.approxSpans += countSpans(buf);
    } catch {
      /* counting is best effort */
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`);
});
const shutdown = () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
