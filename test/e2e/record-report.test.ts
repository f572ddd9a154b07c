// `report FILE > run.html`: one self-contained page. Opened in headless Chromium from a file, it
// loads nothing else, shows the calls on the timeline and the per-tool table, and a hostile tool
// name from the cassette stays text.
import fs from 'node:fs';
import path from 'node:path';
import { listening, runCli } from '../helpers/cli';
import { openPage } from '../helpers/browser';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { stop, testServerSession, tmpDir } from '../helpers/record';

const HOSTILE = '</script><img src=x onerror="window.pwned=1">';
let dir: string;
let server: TestServer;
beforeAll(async () => {
  dir = tmpDir();
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the page is self-contained, escapes hostile names and shows the run', async () => {
  const file = path.join(dir, 'run.jsonl');
  const proxy = runCli(['--upstream', server.url, '--port', '0', '--admin-port', 'off', '--record', file, '--capture-results'], { OTEL_TRACES_EXPORTER: 'none' });
  const c = await connectClient((await listening(proxy)).url);
  await testServerSession(c.client);
  await c.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
  await c.client.callTool({ name: HOSTILE, arguments: {} }).catch(() => undefined); // the server refuses it: an error
  await c.close();
  expect(await stop(proxy)).toBe(0);

  const report = runCli(['report', file]);
  expect(await report.exit).toBe(0);
  const html = report.output();
  expect(html).not.toMatch(/(src|href)\s*=\s*["']?https?:/i);
  expect(html).not.toContain('<script');
  expect(html).not.toContain('<img');
  const page = path.join(dir, 'run.html');
  fs.writeFileSync(page, html);

  const { browser, page: tab, errors } = await openPage();
  try {
    const requested: string[] = [];
    tab.on('request', (r) => requested.push(r.url()));
    await tab.goto(`file://${page}`);
    expect(requested).toEqual([`file://${page}`]); // nothing else loaded
    const timeline = await tab.locator('table.timeline tr.op td:first-child').allInnerTexts();
    expect(timeline).toEqual(expect.arrayContaining(['initialize', 'tools/list', 'tools/call add', 'tools/call fail', 'prompts/get greet', 'resources/read test://info']));
    expect(timeline.some((t) => t.startsWith('tools/call progress') && t.includes('+3 notifications'))).toBe(true);
    expect(timeline).toContain(`tools/call ${HOSTILE}`);
    expect(await tab.locator('img').count()).toBe(0);
    expect(await tab.evaluate('typeof pwned')).toBe('undefined');
    const add = await tab.locator('table.tools tr', { hasText: /^add/ }).first().locator('td').allInnerTexts();
    expect(add.slice(0, 3)).toEqual(['add', '2', '0']); // two calls, no error
    expect(Number(add[5])).toBeGreaterThan(0); // result bytes
    const fail = await tab.locator('table.tools tr', { hasText: /^fail/ }).first().locator('td').allInnerTexts();
    expect(fail.slice(0, 3)).toEqual(['fail', '1', '1']);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});
