// The live view in a real browser (Debian's chromium, as in ui.test.ts): the tenant/user and
// client columns appear once spans carry them, and the filters on them work, live and via the API.
import type { Browser, Page } from 'playwright-core';
import { openPage } from '../helpers/browser';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { TracedProxy, startProxy } from '../helpers/proxy';

jest.setTimeout(60_000);

let server: TestServer;
let px: TracedProxy;
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  px = await startProxy(server.url, { attributeHeaders: [{ from: 'x-tenant-id', attribute: 'tenant.id' }, { from: 'x-user-id', attribute: 'enduser.id' }] });
  // Any script error or CSP violation (a console error) fails the test.
  ({ browser, page, errors: pageErrors } = await openPage());
});

afterAll(async () => {
  await browser?.close();
  await px?.close();
  await server?.close();
});

async function session(app: string, headers: Record<string, string>, tool: string): Promise<void> {
  const client = new Client({ name: app, version: '1.2.3' });
  await client.connect(new StreamableHTTPClientTransport(new URL(px.url), { requestInit: { headers } }));
  try {
    await client.callTool({ name: tool, arguments: tool === 'add' ? { a: 1, b: 2 } : {} });
  } finally {
    await client.close();
  }
}

async function rowCount(expected: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await page.locator('#ops-body tr').count()) !== expected) {
    if (Date.now() > deadline) throw new Error(`expected ${expected} rows, have ${await page.locator('#ops-body tr').count()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('tenant/user and client columns appear with the data; the tenant and client filters narrow the rows', async () => {
  await page.goto(px.proxy.adminUrl + '/');
  await page.locator('#conn.live').waitFor();
  expect(await page.locator('th.caller').isVisible()).toBe(false); // nothing to show yet
  expect(await page.locator('#f-tenant').isVisible()).toBe(false);

  await session('alpha-app', { 'x-tenant-id': 'tenant-a', 'x-user-id': 'user-1' }, 'add');
  await session('beta-app', { 'x-tenant-id': 'tenant-b', 'x-user-id': 'user-2' }, 'fail');
  const row = (target: string) => page.locator('#ops-body tr', { has: page.locator('.target', { hasText: new RegExp(`^${target}$`) }) });
  await row('add').waitFor();
  await row('fail').waitFor();

  await page.locator('th.caller').waitFor();
  await page.locator('th.client').waitFor();
  expect(await row('add').locator('td.caller').textContent()).toBe('tenant-a / user-1');
  expect(await row('add').locator('td.client').textContent()).toBe('alpha-app 1.2.3');
  expect(await row('fail').locator('td.client').textContent()).toBe('beta-app 1.2.3');

  await page.locator('#f-tenant').waitFor();
  expect(await page.locator('#f-tenant option').allTextContents()).toEqual(['all tenants', 'tenant-a', 'tenant-b']);
  await page.selectOption('#f-tenant', 'tenant-b');
  await rowCount(3); // beta's initialize, notifications/initialized, tools/call fail
  for (const t of await page.locator('#ops-body td.caller').allTextContents()) expect(t).toBe('tenant-b / user-2');

  await page.selectOption('#f-tenant', '');
  await page.selectOption('#f-client', 'alpha-app');
  await rowCount(3);
  expect(await page.locator('#ops-body tr .target').allTextContents()).toEqual(['add']);

  // A live row of another client stays out while the filter is on.
  await session('beta-app', { 'x-tenant-id': 'tenant-b' }, 'add');
  await px.span((s) => s.name === 'tools/call add' && s.attributes['mcp.client.name'] === 'beta-app');
  await rowCount(3);

  const api = await (await fetch(`${px.proxy.adminUrl}/api/operations?tenant=tenant-a&client=alpha-app`)).json() as { operations: { attributes: Record<string, unknown> }[] };
  expect(api.operations.length).toBe(3);
  for (const o of api.operations) expect(o.attributes).toMatchObject({ 'tenant.id': 'tenant-a', 'mcp.client.name': 'alpha-app' });
  expect(pageErrors).toEqual([]);
});

test('the 15-minute chart draws rates and latencies, follows the tenant filter, and updates as operations end', async () => {
  await page.goto(px.proxy.adminUrl + '/');
  await page.locator('#conn.live').waitFor();
  const ops = page.locator('#chart-rate path[data-series="opsPerS"]');
  const p95 = page.locator('#chart-lat path[data-series="p95Ms"]');
  const drawn = async (loc: typeof ops) => (await loc.getAttribute('d')) ?? '';
  // The earlier test's sessions are in the last bucket: the lines have a point there.
  await poll(() => drawn(ops), (d) => /M[\d.]+ [\d.]+/.test(d) && /L/.test(d));
  await poll(() => drawn(p95), (d) => d.startsWith('M'));
  expect(await page.locator('#chart-title').textContent()).toBe('Last 15 minutes · all operations');
  // What is drawn: the line and its scale (with one busy bucket the line's shape alone may not move).
  const picture = async () => (await drawn(ops)) + ' ' + (await page.locator('#chart-rate-max').textContent());
  const before = await picture();
  const foot = async () => Number(/^(\d+) operations/.exec((await page.locator('#chart-foot').textContent()) ?? '')?.[1]);
  const countBefore = await poll(foot, (n) => n > 0);

  await session('gamma-app', { 'x-tenant-id': 'tenant-c' }, 'add');
  await poll(foot, (n) => n >= countBefore + 3); // initialize, notifications/initialized, tools/call
  await poll(picture, (d) => d !== before);

  await page.selectOption('#f-tenant', 'tenant-c');
  await poll(() => page.locator('#chart-title').textContent(), (t) => t === 'Last 15 minutes · tenant tenant-c');
  expect(await poll(foot, (n) => n === 3)).toBe(3);
  await page.screenshot({ path: 'test-output/ui-chart.png', fullPage: true }).catch(() => undefined);
  expect(pageErrors).toEqual([]);
});

async function poll<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
