#!/usr/bin/env node
'use strict';
// Summarizes a V8 .cpuprofile (node --cpu-prof): self time aggregated by function (name + file:line)
// and by file / package. Usage: node bench/cpuprofile-summary.js <file.cpuprofile> [topN]
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** A short, stable name for a script URL: dist/…, node_modules/<pkg>/…, node:internal/…, or the special nodes. */
function shortUrl(url) {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(ROOT + '/')) u = u.slice(ROOT.length + 1);
  return u;
}

/** The bucket a file belongs to: the proxy's own code, a package, Node's internals, or V8's special nodes. */
function bucketOf(fn, url) {
  if (!url) return fn.startsWith('(') ? fn : '(native / V8 builtins)';
  const u = shortUrl(url);
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 'node_modules/'.length).split('/');
    return `node_modules/${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (u.startsWith('node:')) return u.split('/').slice(0, 2).join('/');
  return u;
}

function summarize(profile, topN = 15) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  const total = profile.endTime - profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the gap before sample i; the gap after it is the time it stood for.
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  const byFn = new Map();
  const byFile = new Map();
  let idle = 0;
  let sum = 0;
  for (const [id, us] of selfUs) {
    const n = nodes.get(id);
    const cf = n.callFrame;
    const fn = cf.functionName || '(anonymous)';
    sum += us;
    if (fn === '(idle)') idle += us;
    const key = cf.url ? `${fn} ${shortUrl(cf.url)}:${cf.lineNumber + 1}` : fn;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const b = bucketOf(fn, cf.url);
    byFile.set(b, (byFile.get(b) ?? 0) + us);
  }
  const busy = sum - idle;
  // Inclusive time of the proxy's own functions (dist/): each function counted once per stack.
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byOwn = new Map();
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let c = id; c !== undefined; c = parent.get(c)) {
      const cf = nodes.get(c).callFrame;
      const u = shortUrl(cf.url);
      if (!u.startsWith('dist/')) continue;
      const key = `${cf.functionName || '(anonymous)'} ${u}:${cf.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      byOwn.set(key, (byOwn.get(key) ?? 0) + us);
    }
  }
  const rows = (m) => [...m].filter(([k]) => k !== '(idle)').sort((x, y) => y[1] - x[1]).slice(0, topN)
    .map(([name, us]) => ({ name, ms: us / 1000, pctBusy: (100 * us) / (busy || 1) }));
  return { totalMs: total / 1000, sampledMs: sum / 1000, idleMs: idle / 1000, busyMs: busy / 1000, functions: rows(byFn), files: rows(byFile), own: rows(byOwn) };
}

function toMarkdown(s, topN = 15) {
  const esc = (t) => String(t).replace(/\|/g, '\\|');
  let out = `Profile: ${s.totalMs.toFixed(0)} ms wall, ${s.busyMs.toFixed(0)} ms on CPU (not idle), ${s.idleMs.toFixed(0)} ms idle. Percentages are of the on-CPU time.\n\n`;
  out += `Top ${topN} functions by self time:\n\n| # | function (file:line) | self ms | % of busy |\n|---|---|---:|---:|\n`;
  s.functions.forEach((r, i) => (out += `| ${i + 1} | \`${esc(r.name)}\` | ${r.ms.toFixed(1)} | ${r.pctBusy.toFixed(1)} |\n`));
  out += `\nSelf time by file / package:\n\n| # | file or package | self ms | % of busy |\n|---|---|---:|---:|\n`;
  s.files.forEach((r, i) => (out += `| ${i + 1} | \`${esc(r.name)}\` | ${r.ms.toFixed(1)} | ${r.pctBusy.toFixed(1)} |\n`));
  out += `\nThe proxy's own functions (dist/) by inclusive time (self + callees):\n\n| # | function (file:line) | total ms | % of busy |\n|---|---|---:|---:|\n`;
  s.own.forEach((r, i) => (out += `| ${i + 1} | \`${esc(r.name)}\` | ${r.ms.toFixed(1)} | ${r.pctBusy.toFixed(1)} |\n`));
  return out;
}

module.exports = { summarize, toMarkdown, shortUrl, bucketOf };

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/cpuprofile-summary.js <file.cpuprofile> [topN]\n');
    process.exit(2);
  }
  const topN = Number(process.argv[3] ?? 15);
  process.stdout.write(toMarkdown(summarize(JSON.parse(fs.readFileSync(file, 'utf8')), topN), topN));
}
