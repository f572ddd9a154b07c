// Every flag and variable in the README's Options and OpenTelemetry variables tables is run by at
// least one end-to-end test (test/e2e/, where the real CLI or createProxy meets real peers).
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');

function tableNames(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Options'), readme.indexOf('## The spans of a session'));
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| ')) continue;
    const firstTwo = line.split(' | ').slice(0, 2).join(' ');
    for (const m of firstTwo.matchAll(/--[a-z][a-z-]+|MCP_TRACE_PROXY_[A-Z_]+|OTEL_[A-Z_]+[A-Z]|NODE_EXTRA_CA_CERTS/g)) names.add(m[0]);
    // `…_METRICS_HEADERS`-style shorthands stand for the OTEL_EXPORTER_OTLP_ name.
    for (const m of firstTwo.matchAll(/…(_[A-Z_]+[A-Z])/g)) names.add(`OTEL_EXPORTER_OTLP${m[1]}`);
  }
  return [...names].sort();
}

test('the tables list the options (sanity of the parser)', () => {
  const names = tableNames();
  expect(names).toEqual(expect.arrayContaining(['--upstream', '--no-openinference', 'MCP_TRACE_PROXY_OPENINFERENCE', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_CLIENT_KEY']));
  expect(names.length).toBeGreaterThan(80);
});

test('each one appears in an end-to-end test', () => {
  const dir = path.join(ROOT, 'test/e2e');
  const e2e = fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  const untested = tableNames().filter((n) => !e2e.includes(n));
  expect(untested).toEqual([]);
});
