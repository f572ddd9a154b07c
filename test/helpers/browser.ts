// Headless Chromium for the live-view tests: Debian's /usr/bin/chromium (or CHROMIUM_PATH) driven by
// playwright-core. No browser is downloaded: .ci/run installs chromium, and the README names it.
import fs from 'node:fs';
import { Browser, Page, chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps dialling out, and this network refuses it.
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface OpenPage {
  readonly browser: Browser;
  readonly page: Page;
  /** Script errors and console errors (a CSP violation is one): a test expects none. */
  readonly errors: string[];
}

export async function openPage(): Promise<OpenPage> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: the live-view browser tests need it. `
      + 'Install it (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary.');
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { browser, page, errors };
}
