/** Debian's chromium driven by playwright-core, with the flags a headless CI box needs. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './product.js';

export const ARTIFACTS = join(ROOT, 'test', 'artifacts');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Save a full-page screenshot as test/artifacts/NAME.png (git-ignored) for a reviewer to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Page errors and console errors, so a test can assert the console ran clean under the CSP. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // API answers of 4xx (the session probe when logged out, a refused policy) are handled by the page;
    // the browser still logs each one. Script errors and CSP refusals are what this is here to catch.
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) {
      errors.push(`console: ${msg.text()}`);
    }
  });
  return errors;
}
