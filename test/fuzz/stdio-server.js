// A stdio MCP stand-in for the harness: it records every byte of its stdin to FUZZ_OUT and answers
// line n with the answers FUZZ_PLAN lists for it, one line each. Plain JS: it runs as a child.
const fs = require('node:fs');
const answers = JSON.parse(fs.readFileSync(process.env.FUZZ_PLAN, 'utf8'));
const out = fs.openSync(process.env.FUZZ_OUT, 'w');
let held = Buffer.alloc(0);
let n = 0;
process.stdin.on('data', (d) => {
  fs.writeSync(out, d);
  held = Buffer.concat([held, d]);
  for (let i = held.indexOf(10); i >= 0; i = held.indexOf(10)) {
    held = held.subarray(i + 1);
    for (const a of answers[n++] ?? []) process.stdout.write(`${a}\n`);
  }
});
process.stdin.on('end', () => {
  fs.closeSync(out);
  process.exit(0);
});
