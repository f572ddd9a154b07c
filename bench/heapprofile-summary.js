#!/usr/bin/env node
'use strict';
// Summarizes a V8 sampling heap profile (node --heap-prof → .heapprofile): a tree of
// { callFrame, selfSize, children } whose selfSize is the sampled bytes allocated by that frame and still
// alive when the profile was taken (node takes it at exit: what the process held then, not every
// allocation it made). Reports the top allocation sites by self size, the same by file / package, and
// the proxy's own functions (dist/) by inclusive size.
//   node bench/heapprofile-summary.js <file.heapprofile> [topN] [interval bytes]
const fs = require('node:fs');
const { shortUrl, bucketOf } = require('./cpuprofile-summary');

function summarize(profile, topN = 20) {
  const bySite = new Map();
  const byFile = new Map();
  const byOwn = new Map();
  let total = 0;
  let nodes = 0;
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  // Iterative walk: the tree can be deeper than the JS stack likes. `own` holds the dist/ frames above.
  const stack = [{ n: profile.head, own: [] }];
  while (stack.length) {
    const { n, own } = stack.pop();
    nodes++;
    const cf = n.callFrame;
    const fn = cf.functionName || '(anonymous)';
    const u = shortUrl(cf.url);
    const key = cf.url ? `${fn} ${u}:${cf.lineNumber + 1}` : fn;
    const mine = u.startsWith('dist/') && !own.includes(key) ? [...own, key] : own;
    if (n.selfSize > 0) {
      total += n.selfSize;
      add(bySite, key, n.selfSize);
      add(byFile, bucketOf(fn, cf.url), n.selfSize);
      for (const k of mine) add(byOwn, k, n.selfSize);
    }
    for (const c of n.children ?? []) stack.push({ n: c, own: mine });
  }
  const rows = (m) => [...m].sort((x, y) => y[1] - x[1]).slice(0, topN).map(([name, bytes]) => ({ name, bytes, pct: (100 * bytes) / (total || 1) }));
  return { totalBytes: total, nodes, samples: profile.samples?.length ?? 0, sites: rows(bySite), files: rows(byFile), own: rows(byOwn) };
}

const kib = (b) => (b / 1024).toFixed(1);

/** `intervalBytes`: the --heap-prof-interval the profile was taken with, when known. */
function toMarkdown(s, topN = 20, intervalBytes = null) {
  const esc = (t) => String(t).replace(/\|/g, '\\|');
  let out = `Sampled heap still alive when the profile was written (at exit): ${kib(s.totalBytes)} KiB in ${s.samples.toLocaleString('en-US')} samples over ${s.nodes.toLocaleString('en-US')} stack nodes. `
    + `A sampling profile: each sample stands for about one sampling interval (${intervalBytes ? `${kib(intervalBytes)} KiB here` : "node's default is 512 KiB"}) of allocation, so small totals are rough.\n\n`;
  out += `Top ${topN} allocation sites by self size:\n\n| # | function (file:line) | self KiB | % |\n|---|---|---:|---:|\n`;
  s.sites.forEach((r, i) => (out += `| ${i + 1} | \`${esc(r.name)}\` | ${kib(r.bytes)} | ${r.pct.toFixed(1)} |\n`));
  out += `\nSelf size by file / package:\n\n| # | file or package | self KiB | % |\n|---|---|---:|---:|\n`;
  s.files.forEach((r, i) => (out += `| ${i + 1} | \`${esc(r.name)}\` | ${kib(r.bytes)} | ${r.pct.toFixed(1)} |\n`));
  out += `\nThe proxy's own functions (dist/) by inclusive size (self + callees):\n\n| # | function (file:line) | total KiB | % |\n|---|---|---:|---:|\n`;
  s.own.forEach((r, i) => (out += `| ${i + 1} | \`${esc(r.name)}\` | ${kib(r.bytes)} | ${r.pct.toFixed(1)} |\n`));
  return out;
}

module.exports = { summarize, toMarkdown };

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/heapprofile-summary.js <file.heapprofile> [topN] [interval bytes]\n');
    process.exit(2);
  }
  const topN = Number(process.argv[3] ?? 20);
  const interval = process.argv[4] ? Number(process.argv[4]) : null;
  process.stdout.write(toMarkdown(summarize(JSON.parse(fs.readFileSync(file, 'utf8')), topN), topN, interval));
}
