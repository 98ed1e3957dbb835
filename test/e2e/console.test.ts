/**
 * The web console end to end: the real `rambu serve`, the real DNS listener, Debian chromium.
 * Public status → login → overview → exemption for 127.0.0.1 → `dig` sees youtube resolve → audit →
 * logout, with screenshots of every main page under test/artifacts/.
 *
 * The schedule covers the whole week, all day, so youtube is blocked whatever the time in Jakarta.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectErrors, launchBrowser, screenshot } from './kit/browser.js';
import { digShort, digUntil } from './kit/dig.js';
import { UPSTREAM_ANSWER } from './kit/fake-upstream.js';
import { startProduct, type Product } from './kit/product.js';

const PASSWORD = 'sandi-uji-e2e-panjang';

const POLICY = `
holidays: ["2026-12-25"]
schedules:
  sepanjang-waktu:
    - days: [mon, tue, wed, thu, fri, sat, sun]
      from: "00:00"
      to: "24:00"
groups:
  semua: ["0.0.0.0/0", "::/0"]
  diskominfo-humas: ["10.20.5.0/24"]
services:
  si-jaja: ["sijaja.pasuruankota.go.id"]
rules:
  - name: blokir-streaming-jam-kerja
    block: [youtube, vidio, vimeo]
    groups: [semua]
    during: sepanjang-waktu
`;

/** Run `body` at phone size (390x844), back to the desktop size afterwards even if it fails. */
async function onPhone(page: Page, body: () => Promise<void>): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await body();
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
}

interface StatusJson { timezone: string; streamingBlocked: boolean; rules: { name: string; active: boolean }[] }

describe('web console in a real browser', { timeout: 180_000 }, () => {
  let product: Product;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let lastStatus: StatusJson | null = null;
  const status0Blocked = () => lastStatus?.streamingBlocked === true;

  before(async () => {
    product = await startProduct({ adminPassword: PASSWORD, policy: POLICY });
    browser = await launchBrowser();
    // The browser's own zone is UTC on purpose: the console must show times in the policy's zone (WIB).
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'id-ID', timezoneId: 'UTC' });
    page = await context.newPage();
    errors = collectErrors(page);
  });

  after(async () => {
    await browser?.close();
    await product?.stop();
  });

  test('the public status page says in Indonesian what /api/status says', async () => {
    const res = await fetch(new URL('api/status', product.url));
    assert.equal(res.status, 200);
    const status = await res.json() as StatusJson;
    assert.equal(status.streamingBlocked, true, 'the all-week schedule blocks streaming at any moment');
    lastStatus = status;

    await page.goto(new URL('status', product.url).href);
    const sentence = page.getByTestId('status-sentence');
    await sentence.waitFor();
    const text = await sentence.innerText();
    if (status.streamingBlocked) {
      assert.match(text, /^Streaming \(YouTube, Vidio, Vimeo\) diblokir sekarang/);
      assert.match(text, /blokir-streaming-jam-kerja/);
      assert.equal(await page.getByTestId('status-banner').getAttribute('data-blocked'), 'true');
    } else {
      assert.match(text, /bebas diakses/);
    }
    assert.match(await page.getByTestId('status-now').innerText(), / WIB$/);
    await screenshot(page, 'status');
  });

  test('the English switch translates the page and is remembered', async () => {
    await page.getByTestId('lang-switch').click();
    assert.match(await page.getByTestId('status-sentence').innerText(), status0Blocked() ? /is blocked now/ : /is allowed/);
    await page.reload();
    await page.getByTestId('status-sentence').waitFor();
    assert.match(await page.getByTestId('status-sentence').innerText(), /^Streaming/);
    assert.equal(await page.evaluate('document.documentElement.lang'), 'en');
    await page.getByTestId('lang-switch').click();
    assert.match(await page.getByTestId('status-sentence').innerText(), /diblokir sekarang|bebas diakses/);
  });

  test('the status page fits a phone without sideways scrolling', async () => {
    await onPhone(page, async () => {
      await page.reload();
      await page.getByTestId('status-sentence').waitFor();
      await screenshot(page, 'status-phone');
      assert.equal(await page.evaluate('document.documentElement.scrollWidth'), 390);
    });
  });

  test('a wrong password is refused, the right one logs in', async () => {
    await page.goto(new URL('#/login', product.url).href);
    await page.locator('input[name=username]').fill('admin');
    await page.locator('input[name=password]').fill('bukan-sandinya');
    await page.locator('form[data-testid=login-form] button[type=submit]').click();
    assert.match(await page.getByTestId('login-error').innerText(), /salah/);
    await screenshot(page, 'login');

    await page.locator('input[name=password]').fill(PASSWORD);
    await page.locator('form[data-testid=login-form] button[type=submit]').click();
    await page.getByTestId('overview-status').waitFor();
    assert.match(await page.getByTestId('whoami').innerText(), /admin/);
  });

  test('the overview states the status in words', async () => {
    // Some traffic, so the counters and the chart have something to show.
    for (const name of ['www.youtube.com', 'i.ytimg.com', 'player.vimeo.com', 'www.vidio.com', 'sijaja.pasuruankota.go.id', 'www.example.com']) {
      await digShort(product.dnsPort, name);
    }
    // The query log is written in batches off the DNS path (a batch may hold some of the six and the
    // next the rest): wait until the overview counts all four blocks.
    const deadline = Date.now() + 15_000;
    do {
      await page.reload();
      await page.getByTestId('stat-blocked').waitFor();
      if (await page.getByTestId('stat-blocked').innerText() === '4') break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);
    assert.equal(await page.getByTestId('stat-blocked').innerText(), '4', 'youtube, ytimg, vimeo and vidio were blocked');
    assert.match(await page.getByTestId('by-service').innerText(), /YouTube/);
    const text = await page.getByTestId('overview-status-text').innerText();
    assert.match(text, /^Streaming diblokir/);
    assert.equal(await page.getByTestId('overview-status').getAttribute('data-blocked'), 'true');
    await page.getByTestId('minute-chart').waitFor();
    await screenshot(page, 'overview');

    await onPhone(page, async () => {
      await page.reload();
      await page.getByTestId('overview-status-text').waitFor();
      await screenshot(page, 'overview-phone');
      assert.equal(await page.evaluate('document.documentElement.scrollWidth'), 390);
    });
  });

  test('an exemption for 127.0.0.1 lets youtube resolve at once', async () => {
    assert.deepEqual(await digShort(product.dnsPort, 'www.youtube.com'), [], 'blocked before: NXDOMAIN, no answer');

    await page.goto(new URL('#/exemptions', product.url).href);
    const form = page.getByTestId('exemption-form');
    await form.waitFor();
    await form.locator('input[name=clients]').fill('127.0.0.1');
    await form.locator('input[name=allow][value=youtube]').check();
    await form.getByRole('button', { name: 'Besok, jam yang sama' }).click();
    await form.locator('input[name=reason]').fill('Uji ujung ke ujung: siaran langsung');
    await page.getByTestId('exemption-create').click();
    const message = page.getByTestId('exemption-message');
    await message.waitFor();
    assert.match(await message.innerText(), /dibuat/);
    const active = page.getByTestId('exemptions-active');
    await active.getByText('127.0.0.1').waitFor();
    await screenshot(page, 'exemptions');

    const lines = await digUntil(product.dnsPort, 'www.youtube.com', (l) => l.includes(UPSTREAM_ANSWER));
    assert.deepEqual(lines, [UPSTREAM_ANSWER], 'allowed after: the upstream answer');
  });

  test('the audit log shows who created the exemption, with its content', async () => {
    await page.goto(new URL('#/audit', product.url).href);
    const item = page.locator('[data-testid=audit-item][data-action="exemption.create"]').first();
    await item.waitFor();
    const text = await item.innerText();
    assert.match(text, /admin/);
    assert.match(text, /127\.0\.0\.1/);
    assert.match(text, /youtube/);
    await screenshot(page, 'audit');
  });

  test('policy, query log and users pages render', async () => {
    await page.goto(new URL('#/policy', product.url).href);
    await page.getByTestId('timeline-sepanjang-waktu').waitFor();
    await page.getByTestId('yaml-editor').waitFor();
    await screenshot(page, 'policy');

    // A policy with an unknown key is refused with its line number, and nothing changes.
    const area = page.getByTestId('yaml-text');
    const original = await area.inputValue();
    await area.fill(`${original.trimEnd()}\nkunci-asing: 1\n`);
    await page.getByTestId('yaml-save').click();
    const message = page.getByTestId('yaml-message');
    await message.waitFor();
    const lineNo = original.trimEnd().split('\n').length + 1;
    assert.match(await message.innerText(), new RegExp(`baris ${lineNo}(?!\\d)`));
    assert.match(await message.innerText(), /kunci-asing/);
    await screenshot(page, 'policy-invalid');

    await page.goto(new URL('#/queries', product.url).href);
    await page.getByTestId('query-table').getByText('www.youtube.com').first().waitFor();
    await screenshot(page, 'queries');

    await page.goto(new URL('#/users', product.url).href);
    await page.getByTestId('users').getByText('admin').first().waitFor();
    await screenshot(page, 'users');
  });

  test('logging out ends the session', async () => {
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor();
    const code = await page.evaluate("fetch('/api/session').then((r) => r.status)");
    assert.equal(code, 401);
  });

  test('no script or CSP errors in the browser console', () => {
    assert.deepEqual(errors, []);
  });
});
