// A tiny OTLP/HTTP receiver for the container and package tests: counts POSTs to /v1/traces (and their
// non-empty bodies) and answers 200 with an empty protobuf body, as a collector does. Protobuf bodies
// (the proxy's default, http/protobuf) are decoded far enough to list each span's name, attributes and
// resource attributes (string, bool, int and double values).
//   node otlp-sink.mjs <port-file>    listens on 127.0.0.1:<any free port>, writes the port to <port-file>
//   GET /stats -> {"posts":N,"nonEmpty":N,"bytes":N,"other":N}
//   GET /spans -> [{"name":"tools/call echo","attributes":{...},"resource":{...}}, ...]
import http from 'node:http';
import fs from 'node:fs';

const portFile = process.argv[2];
const stats = { posts: 0, nonEmpty: 0, bytes: 0, other: 0 };
const spans = [];

// Protobuf wire format, as far as OTLP's ExportTraceServiceRequest needs: fields of types varint (0),
// 64-bit (1) and length-delimited (2). Yields [field number, wire type, value].
function* fields(buf) {
  let i = 0;
  const varint = () => {
    let n = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      n |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const type = key & 7;
    if (type === 0) yield [key >> 3, 0, varint()];
    else if (type === 1) { yield [key >> 3, 1, buf.subarray(i, i + 8)]; i += 8; }
    else if (type === 2) { const len = Number(varint()); yield [key >> 3, 2, buf.subarray(i, i + len)]; i += len; }
    else if (type === 5) i += 4;
    else throw new Error(`wire type ${type}`);
  }
}
// AnyValue: string_value 1, bool_value 2, int_value 3, double_value 4 (arrays and maps are not read).
function anyValue(buf) {
  for (const [f, , v] of fields(buf)) {
    if (f === 1) return v.toString('utf8');
    if (f === 2) return v !== 0n;
    if (f === 3) return Number(BigInt.asIntN(64, v));
    if (f === 4) return v.readDoubleLE(0);
  }
  return null;
}
// KeyValue: key 1, value 2.
function keyValues(list) {
  const out = {};
  for (const kv of list) {
    let key = '';
    let value = null;
    for (const [f, , v] of fields(kv)) {
      if (f === 1) key = v.toString('utf8');
      if (f === 2) value = anyValue(v);
    }
    out[key] = value;
  }
  return out;
}
const children = (buf, n) => [...fields(buf)].filter(([f, t]) => f === n && t === 2).map(([, , v]) => v);
// ExportTraceServiceRequest.resource_spans 1 > ResourceSpans {resource 1 > Resource.attributes 1,
// scope_spans 2 > ScopeSpans.spans 2 > Span {name 5, attributes 9}}.
function decodeTraces(body) {
  const out = [];
  for (const rs of children(body, 1)) {
    const resource = keyValues(children(rs, 1).flatMap((r) => children(r, 1)));
    for (const ss of children(rs, 2)) {
      for (const span of children(ss, 2)) {
        const name = children(span, 5).map((v) => v.toString('utf8'))[0] ?? '';
        out.push({ name, attributes: keyValues(children(span, 9)), resource });
      }
    }
  }
  return out;
}
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    if (req.method === 'GET' && path === '/spans') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(spans));
      return;
    }
    if (req.method === 'POST' && path === '/v1/traces') {
      const size = chunks.reduce((n, c) => n + c.length, 0);
      stats.posts += 1;
      stats.bytes += size;
      if (size > 0) stats.nonEmpty += 1;
      if (size > 0 && !/json/.test(req.headers['content-type'] ?? '')) {
        try {
          spans.push(...decodeTraces(Buffer.concat(chunks)));
        } catch (err) {
          console.error(`otlp-sink: cannot decode a /v1/traces body: ${err.message}`);
        }
      }
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
