// A tiny OTLP/HTTP receiver for the container and package tests: counts POSTs to /v1/traces (and their
// non-empty bodies) and answers 200 with an empty protobuf body, as a collector does.
//   node otlp-sink.mjs <port-file>    listens on 127.0.0.1:<any free port>, writes the port to <port-file>
//   GET /stats -> {"posts":N,"nonEmpty":N,"bytes":N}
import http from 'node:http';
import fs from 'node:fs';

const portFile = process.argv[2];
const stats = { posts: 0, nonEmpty: 0, bytes: 0, other: 0 };
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    if (req.method === 'POST' && path === '/v1/traces') {
      const size = chunks.reduce((n, c) => n + c.length, 0);
      stats.posts += 1;
      stats.bytes += size;
      if (size > 0) stats.nonEmpty += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      return;
    }
    stats.other += 1; // e.g. /v1/metrics when OTLP metrics are on
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  if (portFile) fs.writeFileSync(portFile, String(port));
  else console.log(port);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
