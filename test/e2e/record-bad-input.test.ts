// Bad cassettes and bad flags of `replay` and `report`, through the real CLI: exit 2 with a
// message naming the file and line, or the flag. A cassette cut off by a crash reads up to its
// last complete line.
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { tmpDir } from '../helpers/record';

const HEADER = '{"format":"mcp-trace-proxy-cassette","version":1,"created":"2026-01-01T00:00:00.000Z","writer":"test"}\n';
const RECORD = '{"t":1,"dir":"client_to_server","transport":"stdio","key":"1","bytes":10,"message":{"jsonrpc":"2.0","id":1,"method":"ping"}}\n';
let dir: string;
beforeAll(() => (dir = tmpDir()));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

test.each([
  ['empty.jsonl', '', ':1: empty file'],
  ['cut-header.jsonl', '{"format":"mcp-trace-pro', ':1: not a cassette: the header line is cut off'],
  ['foreign.jsonl', '{"hello":"world"}\n', ':1: not a cassette: the first line has no "format":"mcp-trace-proxy-cassette"'],
  ['html.jsonl', '<html>\n', ':1: not a cassette: the header line is not JSON'],
  ['not-json.jsonl', HEADER + RECORD + 'oops, not json\n' + RECORD, ':3: not JSON ("oops, not json")'],
  ['not-record.jsonl', HEADER + '{"t":1}\n', ':2: not a cassette record: "dir" is neither'],
  ['newer.jsonl', '{"format":"mcp-trace-proxy-cassette","version":2}\n', ':1: cassette format version 2 is newer than this mcp-trace-proxy reads (1)'],
])('%s: exit 2 naming the file and line', async (name, text, message) => {
  const f = file(name, text);
  for (const args of [['report', f], ['replay', f, '--port', '0']]) {
    const p = runCli(args);
    expect(await p.exit).toBe(2);
    expect(p.output()).toContain(`${f}${message}`);
  }
});

test('a missing file: exit 2 naming it', async () => {
  const p = runCli(['report', path.join(dir, 'nope.jsonl')]);
  expect(await p.exit).toBe(2);
  expect(p.output()).toContain('nope.jsonl: cannot read the cassette (ENOENT)');
});

test('a crashed run: read up to the last complete line, with a warning naming the cut one', async () => {
  const f = file('crashed.jsonl', HEADER + RECORD + RECORD.slice(0, 30));
  const p = runCli(['report', f]);
  expect(await p.exit).toBe(0);
  expect(p.output()).toContain(`${f}:3: the last line is cut off (a crashed run?)`);
  expect(p.output()).toMatch(/<td[^>]*>ping</); // the one complete record is on the page
});

test.each([
  [['replay', 'x.jsonl'], 'choose a mode: --port N or --stdio'],
  [['replay', 'x.jsonl', '--port', 'abc'], '--port: invalid value "abc"'],
  [['replay', 'x.jsonl', '--port', '1', '--against', 'http://127.0.0.1:1/mcp'], '--port and --against exclude each other'],
  [['replay', 'x.jsonl', '--against', 'ftp://x'], '--against: expected an http:// or https:// URL'],
  [['replay', 'x.jsonl', '--port', '0', '--ignore', 'result.x'], '--ignore applies to a replay against a server'],
  [['replay', 'x.jsonl', '--against', 'http://127.0.0.1:1/mcp', '--ignore', '$.'], '--ignore: "$." is not a JSON path'],
  [['replay', 'x.jsonl', '--against', 'http://127.0.0.1:1/mcp', '--timeout', 'soon'], '--timeout: invalid value "soon"'],
  [['replay', 'x.jsonl', '--bogus'], 'Unknown argument: bogus'],
  [['replay', 'x.jsonl', '--', 'node'], 'a command after -- ("node") needs --stdio'],
  [['replay'], 'replay needs the cassette FILE'],
  [['report'], 'report needs the cassette FILE'],
  [['report', 'a', '--port', '1'], 'Unknown argument: port'],
])('%j: exit 2 naming the flag', async (args, message) => {
  const p = runCli(args);
  expect(await p.exit).toBe(2);
  expect(p.output()).toContain(message);
});

test('--help of each subcommand', async () => {
  const replay = runCli(['replay', '--help']);
  expect(await replay.exit).toBe(0);
  expect(replay.output()).toMatch(/--against[\s\S]*--ignore[\s\S]*--host[\s\S]*--timeout/);
  const report = runCli(['report', '--help']);
  expect(await report.exit).toBe(0);
  expect(report.output()).toContain('mcp-trace-proxy report FILE > run.html');
});
