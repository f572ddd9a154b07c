// The live trace view in a real browser: headless Chromium (Debian's /usr/bin/chromium, or
// CHROMIUM_PATH) driven by playwright-core. No browser is downloaded: .ci/run installs chromium.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openPage } from '../helpers/browser';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { TracedProxy, startProxy } from '../helpers/proxy';
import { ConnectedClient, connectClient } from '../helpers/mcp-client';
import { startEverything } from '../helpers/everything';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const OUT = path.join(__dirname, '..', '..', 'test-output');

jest.setTimeout(60_000);

/** Waits until `fn()` satisfies `ok`, then returns it; fails with the last value seen. */
async function poll<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let server: TestServer;
let px: TracedProxy;
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  server = await startTestServer();
  px = await startProxy(server.url);
  // Any script error or CSP violation (a console error) fails the test.
  ({ browser, page, errors: pageErrors } = await openPage());
});

afterAll(async () => {
  await browser?.close();
  await px?.close();
  await server?.close();
});

test('rows appear live, failures are marked, filters work, and a trace opens on a timeline', async () => {
  await page.goto(px.proxy.adminUrl + '/');
  await page.locator('#conn.live').waitFor();
  await page.getByText('No operations yet').waitFor();
  // Marks this page load: if the page reloaded, the marker would be gone.
  await page.evaluate(() => ((globalThis as unknown as { loadMarker: number }).loadMarker = 42));

  let c: ConnectedClient | undefined;
  try {
    c = await connectClient(px.url);
    await c.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    await c.client.callTool({ name: 'fail', arguments: {} });
    await c.client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, { onprogress: () => {} });
  } finally {
    await c?.close();
  }

  const row = (target: string) => page.locator('#ops-body tr', { has: page.locator('.target', { hasText: new RegExp(`^${target}$`) }) });
  // Rows arrive over the live stream, without a reload.
  for (const t of ['add', 'fail', 'progress']) await row(t).waitFor();
  await page.locator('#ops-body tr', { hasText: 'initialize' }).first().waitFor();
  expect(await page.evaluate(() => (globalThis as unknown as { loadMarker?: number }).loadMarker)).toBe(42);

  // Newest first: progress finished last.
  const firstTarget = await page.locator('#ops-body tr .target').first().textContent();
  expect(firstTarget).toBe('progress');

  // The failing call is marked.
  const failRow = row('fail');
  await expect(failRow.getAttribute('class')).resolves.toMatch(/\berror\b/);
  expect(await failRow.locator('.badge').textContent()).toBe('ERROR');
  expect(await failRow.locator('.detail').textContent()).toContain('tool_error');
  expect(await row('add').locator('.badge').textContent()).toBe('OK');
  // Session and trace ids are shown short.
  expect((await row('add').locator('td.session button').textContent())?.length).toBe(8);

  // The per-tool summary.
  const sumRow = (tool: string) => page.locator('#sum-body tr', { has: page.locator('td.tool', { hasText: new RegExp(`^${tool}$`) }) });
  await sumRow('fail').waitFor();
  expect(await sumRow('fail').locator('td').nth(2).textContent()).toBe('100%');
  expect(await sumRow('add').locator('td').nth(1).textContent()).toBe('1');

  await page.screenshot({ path: path.join(OUT, 'ui.png'), fullPage: true });

  // Filter by tool: only that tool's rows remain.
  await page.selectOption('#f-tool', 'add');
  await poll(() => page.locator('#ops-body tr').count(), (v) => v === 1);
  expect(await page.locator('#ops-body tr .target').textContent()).toBe('add');
  // Status filter: errors only.
  await page.selectOption('#f-tool', '');
  await page.selectOption('#f-status', 'error');
  await poll(() => page.locator('#ops-body tr').count(), (v) => v === 1);
  expect(await page.locator('#ops-body tr .target').textContent()).toBe('fail');
  // A live row that does not match the filter stays out; one that matches comes in.
  const c2 = await connectClient(px.url);
  try {
    await c2.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
    await c2.client.callTool({ name: 'fail', arguments: {} });
  } finally {
    await c2.close();
  }
  await poll(() => page.locator('#ops-body tr').count(), (v) => v === 2);
  expect(await page.locator('#ops-body tr .target').allTextContents()).toEqual(['fail', 'fail']);
  await page.click('#f-clear');
  await row('progress').waitFor();

  // Open the progress call's trace: its timeline, with the progress events.
  await row('progress').click();
  const drawer = page.locator('#drawer');
  await drawer.waitFor({ state: 'visible' });
  await poll(() => page.locator('#t-title').textContent(), (v) => v === 'tools/call progress');
  expect(page.url()).toMatch(/#trace=[0-9a-f]{32}\/[0-9a-f]{16}$/);
  const tlRows = page.locator('#t-body .tl-row');
  expect(await tlRows.count()).toBe(1);
  const bar = tlRows.first().locator('.bar');
  const box = await bar.boundingBox();
  expect(box?.width).toBeGreaterThan(100); // the only span spans the whole timeline
  expect(await tlRows.first().locator('.ev').count()).toBe(4); // 3 progress + 1 log message
  const events = page.locator('#t-events li');
  expect(await events.count()).toBe(4);
  const progressEvents = await page.locator('#t-events li', { hasText: 'mcp.progress' }).allTextContents();
  expect(progressEvents).toHaveLength(3);
  expect(progressEvents[2]).toContain('mcp.progress.value=3');
  expect(progressEvents[2]).toContain('mcp.progress.total=3');
  await page.locator('#t-detail table.attrs', { hasText: 'gen_ai.tool.name' }).waitFor();
  expect(await page.locator('#t-detail table.attrs').first().textContent()).toContain('progress');

  await page.screenshot({ path: path.join(OUT, 'ui-trace.png'), fullPage: false });

  // Escape closes it.
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'hidden' });

  expect(pageErrors).toEqual([]);
});

test('a server→client request is nested under the tool call that asked for it', async () => {
  // server-everything's trigger-sampling-request makes the server ask the client for a sampling
  // completion: a CLIENT span, child of the tool call's span, in the same trace.
  const everything = await startEverything();
  const px2 = await startProxy(everything.url);
  try {
    const client = new Client({ name: 'sampling-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled!' },
    }));
    await client.connect(new StreamableHTTPClientTransport(new URL(px2.url)));
    try {
      await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 10 } });
    } finally {
      await client.close();
    }
    const call = await px2.span('tools/call trigger-sampling-request');

    await page.goto(`${px2.proxy.adminUrl}/#trace=${call.spanContext().traceId}`);
    await page.locator('#drawer').waitFor({ state: 'visible' });
    const rows = page.locator('#t-body .tl-row');
    await poll(() => rows.count(), (v) => v === 2);
    expect(await rows.nth(0).locator('.tl-label').textContent()).toBe('tools/call trigger-sampling-request');
    expect(await rows.nth(1).locator('.tl-label').textContent()).toContain('sampling/createMessage');
    expect(await rows.nth(1).locator('.tag').textContent()).toBe('server → client');
    const indent = (i: number) => rows.nth(i).locator('.tl-label').evaluate((e) => parseFloat((e as unknown as { style: { paddingLeft: string } }).style.paddingLeft));
    expect(await indent(1)).toBeGreaterThan(await indent(0));
    // The child's bar lies within the parent's.
    const [p, ch] = [await rows.nth(0).locator('.bar').boundingBox(), await rows.nth(1).locator('.bar').boundingBox()];
    expect(ch!.x).toBeGreaterThanOrEqual(p!.x - 1);
    expect(ch!.x + ch!.width).toBeLessThanOrEqual(p!.x + p!.width + 1);
    // Selecting the child shows its details, with its parent named.
    await rows.nth(1).click();
    await poll(() => page.locator('#t-detail h3').textContent(), (v) => !!v?.includes('sampling/createMessage'));
    expect(await page.locator('#t-detail').textContent()).toContain('tools/call trigger-sampling-request');
    await page.screenshot({ path: path.join(OUT, 'ui-nested.png'), fullPage: false });
  } finally {
    await px2.close();
    await everything.close();
  }
  expect(pageErrors).toEqual([]);
});

test('span text is shown as text, never run as HTML', async () => {
  const nasty = '<img src=x onerror="globalThis.pwned=1"><b>bold</b>';
  await page.goto(px.proxy.adminUrl + '/');
  await page.locator('#conn.live').waitFor();
  const c = await connectClient(px.url);
  try {
    await c.client.callTool({ name: nasty, arguments: {} }).catch(() => undefined); // no such tool: an error
  } finally {
    await c.close();
  }
  const row = page.locator('#ops-body tr', { has: page.locator('.target', { hasText: 'onerror' }) });
  await row.waitFor();
  expect(await row.locator('.target').textContent()).toBe(nasty);
  expect(await page.locator('#ops-body img, #ops-body b, #sum-body img, #sum-body b').count()).toBe(0);
  await row.click();
  await poll(() => page.locator('#t-title').textContent(), (v) => v === `tools/call ${nasty}`);
  expect(await page.locator('#drawer img').count()).toBe(0);
  expect(await page.locator('#drawer b', { hasText: /^bold$/ }).count()).toBe(0);
  expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
  expect(pageErrors).toEqual([]);
});
