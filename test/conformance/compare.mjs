// Compares two result folders of `conformance server -o <dir>`, scenario by scenario:
//
//   node compare.mjs DIRECT_DIR PROXIED_DIR [SCENARIOS_FILE]
//
// Each run writes one folder per scenario, server-<scenario>-<timestamp>/checks.json: an array of
// checks, each with an id and a status (SUCCESS, FAILURE, WARNING, INFO, SKIPPED). A scenario's result
// is the status of each of its checks, by id (in the order the suite wrote them); timestamps, details
// and messages are left out, since they carry times, ports and session ids. A scenario whose results
// are equal passes; one that differs, or that is missing from either run, fails and is printed with
// both results (only the checks that differ, with their messages). SCENARIOS_FILE (optional) names the
// scenarios that must be there, one a line, so that a scenario missing from both runs fails too.
// The last line is `COMPARED <passed> <failed>`.
import fs from 'node:fs';
import path from 'node:path';

const [directDir, proxiedDir, scenariosFile] = process.argv.slice(2);

function load(dir) {
  const out = new Map();
  let entries = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(e.name);
    if (!m) continue;
    let checks;
    try {
      checks = JSON.parse(fs.readFileSync(path.join(dir, e.name, 'checks.json'), 'utf8'));
    } catch (err) {
      checks = [{ id: '(checks.json)', status: 'UNREADABLE', errorMessage: String(err) }];
    }
    out.set(m[1], checks);
  }
  return out;
}

// id -> statuses (an id can repeat within a scenario: a loop, a retried flow).
function summarize(checks) {
  const byId = new Map();
  for (const c of checks) {
    const list = byId.get(c.id) ?? [];
    list.push(c.status);
    byId.set(c.id, list);
  }
  return byId;
}

function counts(checks) {
  const n = {};
  for (const c of checks) n[c.status] = (n[c.status] ?? 0) + 1;
  return Object.entries(n).map(([s, k]) => `${k} ${s}`).join(', ') || 'no checks';
}

const direct = load(directDir);
const proxied = load(proxiedDir);
const names = new Set([...direct.keys(), ...proxied.keys()]);
if (scenariosFile) {
  for (const line of fs.readFileSync(scenariosFile, 'utf8').split('\n')) if (line.trim()) names.add(line.trim());
}

let passed = 0;
let failed = 0;
for (const name of [...names].sort()) {
  const d = direct.get(name);
  const p = proxied.get(name);
  if (!d || !p) {
    failed++;
    console.log(`  FAIL ${name}: no result ${!d && !p ? 'in either run' : !d ? 'direct' : 'through the proxy'}`);
    if (d) console.log(`         direct:  ${counts(d)}`);
    if (p) console.log(`         proxied: ${counts(p)}`);
    continue;
  }
  const ds = summarize(d);
  const ps = summarize(p);
  const diffs = [];
  for (const id of new Set([...ds.keys(), ...ps.keys()])) {
    const a = (ds.get(id) ?? ['(absent)']).join(',');
    const b = (ps.get(id) ?? ['(absent)']).join(',');
    if (a !== b) diffs.push({ id, a, b });
  }
  if (diffs.length === 0) {
    passed++;
    console.log(`  ok   ${name} (${counts(d)})`);
    continue;
  }
  failed++;
  console.log(`  FAIL ${name}: direct ${counts(d)}; proxied ${counts(p)}`);
  const message = (checks, id) =>
    checks
      .filter((c) => c.id === id && c.errorMessage)
      .map((c) => c.errorMessage)
      .join(' | ')
      .slice(0, 400);
  for (const { id, a, b } of diffs) {
    console.log(`         ${id}: direct ${a}, proxied ${b}`);
    const ma = message(d, id);
    const mb = message(p, id);
    if (ma) console.log(`           direct:  ${ma}`);
    if (mb) console.log(`           proxied: ${mb}`);
  }
}
console.log(`COMPARED ${passed} ${failed}`);
