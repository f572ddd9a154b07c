#!/usr/bin/env node
'use strict';
// CPU per operation of the tap alone, by sampling setting, in one process with no network: a traced
// HTTP exchange (channel, a tools/call body parsed and spliced, the upstream's 200, its JSON answer,
// the exchange settled) run N times through the built proxy's own tap (dist/), its spans ended into
// a processor that does nothing. What the network, undici and node:http cost is left out, so the
// settings can be compared without the noise of a loaded loopback. It measures and asserts nothing.
//
//   npm run bench:tap [-- --ops 200000 --rounds 3]
const path = require('node:path');
const D = path.join(__dirname, '..', 'dist');
const { configFrom } = require(path.join(D, 'cli', 'config'));
const { buildTracing } = require(path.join(D, 'app'));
const { Scope } = require(path.join(D, 'pipeline', 'scope'));
const { ROOT_CONTEXT } = require('@opentelemetry/api');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const OPS = arg('ops', 200_000);
const ROUNDS = arg('rounds', 3);

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const noop = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };
const REQ = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello world"}}}';
const RES = '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}]}}';
const CONN = { transport: 'tcp', protocolName: 'http', protocolVersion: '1.1', serverAddress: '127.0.0.1', serverPort: 8080, clientAddress: '127.0.0.1', clientPort: 5555 };

const SETTINGS = [
  ['100% (always_on)', { sampler: 'always_on' }],
  ['1%, keep-errors', { sampler: 'traceidratio', samplerArg: 0.01, keepErrors: true }],
  ['1%, no keep-errors', { sampler: 'traceidratio', samplerArg: 0.01, keepErrors: false }],
];

function measure(config) {
  const { tap } = buildTracing(configFrom({ upstream: 'http://127.0.0.1:1/mcp', adminPort: null, ...config }), quiet, null, [noop]);
  const once = () => {
    const ch = tap.channel(Scope.exchange('http'), CONN, ROOT_CONTEXT, false, { 'content-type': 'application/json' });
    tap.fromClient(ch, REQ);
    tap.accepted(ch, 200);
    tap.fromServer(ch, RES);
    tap.settle(ch, 200);
  };
  for (let i = 0; i < 20_000; i++) once(); // warm-up
  const c0 = process.cpuUsage();
  for (let i = 0; i < OPS; i++) once();
  const c = process.cpuUsage(c0);
  tap.shutdown();
  return (c.user + c.system) / OPS;
}

const results = SETTINGS.map(([name]) => ({ name, us: [] }));
for (let r = 0; r < ROUNDS; r++) SETTINGS.forEach(([, config], i) => results[i].us.push(measure(config)));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\nThe tap's CPU per traced exchange, in-process (${OPS} exchanges, median of ${ROUNDS} rounds; spans into a no-op processor)\n`);
console.log('| setting | µs / exchange | rounds |');
console.log('|---|---:|---|');
for (const r of results) console.log(`| ${r.name} | ${median(r.us).toFixed(2)} | ${r.us.map((u) => u.toFixed(2)).join(', ')} |`);
