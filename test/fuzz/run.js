#!/usr/bin/env node
// npm run fuzz -- [--cases N] [--seed S] [--transport json|sse|get|legacy|WebSocket|stdio]
// Runs the differential transparency harness (test/fuzz/transparency.test.ts) longer than CI does.
// A failure prints its seed and the shrunk counterexample; --seed replays it.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const args = process.argv.slice(2);
const opts = { cases: '200', seed: '', transport: '' };
for (let i = 0; i < args.length; i++) {
  const m = /^--(cases|seed|transport)(?:=(.*))?$/.exec(args[i]);
  if (!m) {
    process.stderr.write(`fuzz: unknown argument ${JSON.stringify(args[i])}; expected --cases N, --seed S, --transport NAME\n`);
    process.exit(2);
  }
  opts[m[1]] = m[2] ?? args[++i] ?? '';
}
if (!/^[1-9]\d*$/.test(opts.cases)) {
  process.stderr.write(`fuzz: --cases: invalid value ${JSON.stringify(opts.cases)}; expected a whole number above 0\n`);
  process.exit(2);
}
if (opts.seed && !/^-?\d+$/.test(opts.seed)) {
  process.stderr.write(`fuzz: --seed: invalid value ${JSON.stringify(opts.seed)}; expected an integer, as a failure prints it\n`);
  process.exit(2);
}
const jest = path.join(__dirname, '../../node_modules/jest/bin/jest.js');
// A fresh seed unless one is given: the test's name prints it, and --seed replays it.
const env = { ...process.env, FUZZ_CASES: opts.cases, FUZZ_SEED: opts.seed || String(Math.floor(Math.random() * 2 ** 31)) };
const r = spawnSync(process.execPath, ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', jest, 'test/fuzz', ...(opts.transport ? ['-t', opts.transport] : [])], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
