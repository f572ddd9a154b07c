// The Sessions tab and its waterfall, and the per-tool cost columns, in headless Chromium.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { openPage } from '../helpers/browser';
import { startEverything } from '../helpers/everything';
import { connectClient } from '../helpers/mcp-client';
import { TestServer, startTestServer } from '../helpers/mcp-test-server';
import { TracedProxy, startProxy } from '../helpers/proxy';

const OUT = path.join(__dirname, '..', '..', 'test-output');

jest.setTimeout(60_000);

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
  ({ browser, page, errors: pageErrors } = await openPage());
});

afterAll(async () => {
  await browser?.close();
  await px?.close();
  await server?.close();
});

test('the Sessions tab lists each session with its totals; one opens as a waterfall of its operations', async () => {
  const a = await connectClient(px.url);
  const sidA = a.transport.sessionId as string;
  try {
    await a.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    await a.client.callTool({ name: 'fail', arguments: {} });
    await a.client.callTool({ name: 'progress', arguments: { steps: 2 } }, undefined, { onprogress: () => {} });
  } finally {
    await a.close();
  }
  const b = await connectClient(px.url);
  const sidB = b.transport.sessionId as string;
  try {
    await b.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
  } finally {
    await b.close();
  }
  await px.span('tools/call progress');

  await page.goto(px.proxy.adminUrl + '/');
  await page.locator('#conn.live').waitFor();
  await page.click('#tab-sessions');
  expect(await page.locator('#ops-panel').isHidden()).toBe(true);
  const rowOf = (sid: string) => page.locator('#sessions-body tr', { hasText: sid });
  await rowOf(sidA).waitFor();
  await rowOf(sidB).waitFor();
  // Most recently active first.
  expect(await page.locator('#sessions-body tr').count()).toBe(2);
  expect(await page.locator('#sessions-body tr').first().textContent()).toContain(sidB);
  await poll(() => page.locator('#tab-sessions').textContent(), (t) => t === 'Sessions (2)');
  const cells = async (sid: string) => rowOf(sid).locator('td').allTextContents();
  // Session, client, tenant, calls, errors, duration, in, out, last active.
  const ca = await cells(sidA);
  expect(ca[0]).toBe('session' + sidA);
  expect(ca.slice(1, 5)).toEqual(['test-client', '—', '4', '1']);
  expect(ca[6]).toBe('26 B'); // {"a":2,"b":3} + {} + {"steps":2}: 13 + 2 + 11
  expect(await rowOf(sidA).getAttribute('class')).toBe('has-errors');
  const cb = await cells(sidB);
  expect(cb.slice(3, 5)).toEqual(['2', '0']);
  expect(cb[6]).toBe('13 B');
  await page.screenshot({ path: path.join(OUT, 'ui-sessions.png'), fullPage: false });

  // Open session A: its operations on one time axis, in order, the failure marked.
  await rowOf(sidA).click();
  await page.locator('#drawer').waitFor({ state: 'visible' });
  expect(page.url()).toMatch(/#session=s\d+$/);
  const rows = page.locator('#s-waterfall .tl-row');
  await poll(() => rows.count(), (n) => n === 5);
  expect(await page.locator('#t-title').textContent()).toBe('Session ' + sidA);
  expect(await rows.locator('.tl-label').allTextContents()).toEqual([
    'initialize', 'notifications/initialized', 'tools/call add', 'tools/call fail', 'tools/call progress',
  ]);
  expect(await rows.nth(3).locator('.bar').getAttribute('class')).toBe('bar error');
  expect(await rows.nth(2).locator('.bar').getAttribute('class')).toBe('bar ok');
  const lefts = await rows.locator('.bar').evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect().left));
  expect([...lefts].sort((x, y) => x - y)).toEqual(lefts); // by start time along one axis
  expect(lefts[4]).toBeGreaterThan(lefts[0]);
  expect(await page.locator('#t-body .meta').textContent()).toContain('4 calls1 error');
  await page.screenshot({ path: path.join(OUT, 'ui-session-waterfall.png'), fullPage: false });

  // A row opens that operation's trace; Back returns to the session.
  await rows.nth(3).click();
  await poll(() => page.locator('#t-title').textContent(), (t) => t === 'tools/call fail');
  expect(page.url()).toMatch(/#trace=[0-9a-f]{32}\/[0-9a-f]{16}$/);
  await page.goBack();
  await poll(() => page.locator('#t-title').textContent(), (t) => t === 'Session ' + sidA);
  await page.keyboard.press('Escape');
  await page.locator('#drawer').waitFor({ state: 'hidden' });
  expect(pageErrors).toEqual([]);
});

test('the per-tool table shows p50/p95 result sizes', async () => {
  await page.goto(px.proxy.adminUrl + '/');
  const add = page.locator('#sum-body tr', { has: page.locator('td.tool', { hasText: /^add$/ }) });
  await add.waitFor();
  // Both add results are {"content":[{"type":"text","text":"…"}]} with a one-digit sum: 40 bytes.
  expect(await add.locator('td.cost').textContent()).toBe('40 B / 40 B');
  // Without --estimate-tokens the tokens column stays hidden.
  expect(await add.locator('td.tok').isHidden()).toBe(true);
  await page.screenshot({ path: path.join(OUT, 'ui-cost.png'), fullPage: false });
  expect(pageErrors).toEqual([]);
});

test('with --estimate-tokens the per-tool table shows token percentiles', async () => {
  const px2 = await startProxy(server.url, { estimateTokens: true });
  try {
    const c = await connectClient(px2.url);
    try {
      await c.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    } finally {
      await c.close();
    }
    await page.goto(px2.proxy.adminUrl + '/');
    const add = page.locator('#sum-body tr', { has: page.locator('td.tool', { hasText: /^add$/ }) });
    await add.waitFor();
    expect(await add.locator('td.tok').textContent()).toBe('13 / 13');
    expect(await add.locator('td.tok').isVisible()).toBe(true);
  } finally {
    await page.goto('about:blank'); // no live stream left to a closed proxy
    await px2.close();
  }
  expect(pageErrors).toEqual([]);
});

test('a server→client request is nested under its tool call in the session waterfall', async () => {
  const everything = await startEverything();
  const px2 = await startProxy(everything.url);
  try {
    const client = new Client({ name: 'sampling-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled!' } }));
    await client.connect(new StreamableHTTPClientTransport(new URL(px2.url)));
    try {
      await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 10 } });
    } finally {
      await client.close();
    }
    await px2.span('tools/call trigger-sampling-request');
    await page.goto(px2.proxy.adminUrl + '/');
    await page.click('#tab-sessions');
    const first = page.locator('#sessions-body tr').first();
    await first.waitFor();
    expect(await first.locator('td').nth(1).textContent()).toBe('sampling-client');
    await first.click();
    const rows = page.locator('#s-waterfall .tl-row');
    const call = rows.filter({ hasText: 'tools/call trigger-sampling-request' });
    const sampling = rows.filter({ hasText: 'sampling/createMessage' });
    await sampling.waitFor();
    expect(await sampling.locator('.tag').textContent()).toBe('server → client');
    expect(await sampling.getAttribute('data-depth')).toBe('1');
    expect(await call.getAttribute('data-depth')).toBe('0');
    // Right under its parent, and its bar within the parent's.
    const labels = await rows.locator('.tl-label').allTextContents();
    expect(labels.indexOf(labels.find((l) => l.includes('sampling/createMessage'))!)).toBe(labels.indexOf('tools/call trigger-sampling-request') + 1);
    const [p, ch] = [await call.locator('.bar').boundingBox(), await sampling.locator('.bar').boundingBox()];
    expect(ch!.x).toBeGreaterThanOrEqual(p!.x - 1);
    expect(ch!.x + ch!.width).toBeLessThanOrEqual(p!.x + p!.width + 1);
    await page.screenshot({ path: path.join(OUT, 'ui-session-nested.png'), fullPage: false });
  } finally {
    await page.goto('about:blank');
    await px2.close();
    await everything.close();
  }
  expect(pageErrors).toEqual([]);
});
