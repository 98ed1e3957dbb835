/**
 * The office calendar end to end: the real `rambu serve` (started as `npm start` starts it) with the
 * built-in `indonesia` calendar, Ramadan hours and a rule on trial; the console's clock set by
 * RAMBU_TEST_NOW to Tuesday 17 February 2026, Chinese New Year (a national holiday), two days before
 * Ramadan 1447 H. Debian chromium reads the public status page in both languages; `dig` asks for a
 * name the trial rule would block, and the query log, `rambu log` and the overview show it apart.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { collectErrors, launchBrowser, screenshot } from './kit/browser.js';
import { digShort } from './kit/dig.js';
import { UPSTREAM_ANSWER } from './kit/fake-upstream.js';
import { ROOT, startProduct, type Product } from './kit/product.js';

const run = promisify(execFile);
const PASSWORD = 'sandi-uji-kalender-panjang';
const TODAY = '2026-02-17T10:00:00+07:00';

const POLICY = `
holidays: [indonesia]
schedules:
  jam-kerja:
    weekly:
      - { days: [mon, tue, wed, thu, fri], from: "07:00", to: "16:00" }
    periods:
      - span: ramadan
        ranges:
          - { days: [mon, tue, wed, thu], from: "08:00", to: "15:00" }
          - { days: [fri], from: "08:00", to: "15:30" }
rules:
  - name: blokir-streaming
    block: [youtube, vidio, vimeo]
    during: jam-kerja
  - name: uji-tiktok
    block: [tiktok]
    mode: monitor
`;

interface Day { date: string; holiday: boolean; holidayName: string | null; schedules: { period: string | null; ranges: { from: string; to: string }[] }[] }

describe('the office calendar in the product', { timeout: 180_000 }, () => {
  let product: Product;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async () => {
    product = await startProduct({ adminPassword: PASSWORD, policy: POLICY, env: { RAMBU_TEST_NOW: TODAY } });
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'id-ID', timezoneId: 'UTC' });
    page = await context.newPage();
    errors = collectErrors(page);
  });

  after(async () => {
    await browser?.close();
    await product?.stop();
  });

  test('/api/status: today is Imlek, then a working day, then Ramadan hours', async () => {
    const status = await (await fetch(new URL('api/status', product.url))).json() as { today: { date: string; holidayName: string | null }; streamingBlocked: boolean; days: Day[]; rules: { name: string; monitoring: boolean }[] };
    assert.equal(status.today.date, '2026-02-17');
    assert.equal(status.today.holidayName, 'Tahun Baru Imlek 2577 Kongzili');
    assert.equal(status.streamingBlocked, false);
    assert.equal(status.days.length, 14);
    const byDate = new Map(status.days.map((d) => [d.date, d]));
    assert.deepEqual(byDate.get('2026-02-18')?.schedules[0], { name: 'jam-kerja', period: null, ranges: [{ from: '07:00', to: '16:00' }] });
    assert.deepEqual(byDate.get('2026-02-19')?.schedules[0], { name: 'jam-kerja', period: 'ramadan', ranges: [{ from: '08:00', to: '15:00' }] });
    assert.deepEqual(byDate.get('2026-02-20')?.schedules[0]?.ranges, [{ from: '08:00', to: '15:30' }]);
    assert.deepEqual(byDate.get('2026-02-21')?.schedules[0]?.ranges, []);
    assert.equal(status.rules.find((r) => r.name === 'uji-tiktok')?.monitoring, true);
  });

  test('the public status page names the holiday, shows 14 days with Ramadan hours, in both languages', async () => {
    await page.goto(new URL('status', product.url).href);
    const sentence = page.getByTestId('status-sentence');
    await sentence.waitFor();
    assert.equal(await sentence.innerText(), 'Hari ini libur: Tahun Baru Imlek 2577 Kongzili, streaming bebas diakses.');
    assert.equal(await page.getByTestId('status-banner').getAttribute('data-blocked'), 'false');
    const strip = page.getByTestId('calendar-strip');
    assert.equal(await strip.locator('li').count(), 14);
    assert.equal(await strip.locator('li[data-date="2026-02-17"]').getAttribute('data-kind'), 'day-holiday');
    assert.match(await strip.locator('li[data-date="2026-02-18"]').innerText(), /07\.00–16\.00/);
    assert.match(await strip.locator('li[data-date="2026-02-19"]').innerText(), /08\.00–15\.00 · Ramadan/);
    assert.match(await strip.locator('li[data-date="2026-02-20"]').innerText(), /08\.00–15\.30/);
    assert.equal(await strip.locator('li[data-date="2026-02-21"]').getAttribute('data-kind'), 'day-free');
    // A rule without groups applies to every client, and a rule on trial says so.
    const streaming = await page.getByTestId('rule-blokir-streaming').innerText();
    assert.match(streaming, /untuk semua klien/);
    assert.doesNotMatch(streaming, /grup ·/);
    assert.match(await page.getByTestId('rule-uji-tiktok').innerText(), /Uji coba: hanya dicatat/);
    await screenshot(page, 'status-holiday');

    await page.getByTestId('lang-switch').click();
    assert.equal(await sentence.innerText(), 'Holiday today: Tahun Baru Imlek 2577 Kongzili, streaming is allowed.');
    assert.match(await page.getByTestId('rule-blokir-streaming').innerText(), /for every client/);
    assert.match(await page.getByTestId('rule-uji-tiktok').innerText(), /Trial: logged only/);
    assert.match(await strip.locator('li[data-date="2026-02-19"]').innerText(), /08:00–15:00 · Ramadan/);
    assert.match(await page.locator('h2', { hasText: 'The next 14 days' }).innerText(), /14/);
    await screenshot(page, 'status-holiday-en');
    await page.getByTestId('lang-switch').click();
    assert.deepEqual(errors, []);
  });

  test('a name the trial rule would block resolves, and is logged as "would block"', async () => {
    assert.deepEqual(await digShort(product.dnsPort, 'www.tiktok.com'), [UPSTREAM_ANSWER]);
    const login = await fetch(new URL('api/session', product.url), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    assert.equal(login.status, 200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    // The log is written in batches off the DNS path: wait for the row.
    let rows: { name: string; action: string; rule: string | null; service: string | null }[] = [];
    const end = Date.now() + 10_000;
    while (rows.length === 0 && Date.now() < end) {
      const res = await fetch(new URL('api/queries?action=monitor', product.url), { headers: { cookie } });
      assert.equal(res.status, 200);
      rows = ((await res.json()) as { items: typeof rows }).items;
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.deepEqual({ ...rows[0], extra: undefined }, { ...rows[0], name: 'www.tiktok.com', action: 'monitor', rule: 'uji-tiktok', service: 'tiktok', extra: undefined });
    const blocked = await (await fetch(new URL('api/queries?action=block', product.url), { headers: { cookie } })).json() as { items: unknown[] };
    assert.equal(blocked.items.length, 0, 'a would-block row is not a block');

    const { stdout } = await run(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'log', '--config', product.config, '--action', 'monitor']);
    assert.match(stdout, /www\.tiktok\.com\s+would-block\s+tiktok\s+uji-tiktok/);
  });

  // The overview counts "today" on the console's clock (17 February), the rows carry the real time:
  // test/web/would-block.test.ts checks the counts; here the console shows the row.
  test('the console: the query log shows the would-block row', async () => {
    // Log in through the API and hand the session to the browser as a session cookie: the cookie the
    // server sets expires by the console's clock (February), which the browser would take as past.
    const login = await fetch(new URL('api/session', product.url), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const [name, value] = ((login.headers.get('set-cookie') ?? '').split(';')[0] ?? '').split('=') as [string, string];
    await page.context().addCookies([{ name, value, url: product.url }]);
    await page.goto(new URL('#/overview', product.url).href);
    await page.getByTestId('overview-status').waitFor();
    assert.match(await page.getByTestId('overview-status').innerText(), /Tahun Baru Imlek/);
    assert.equal(await page.getByTestId('calendar-strip').locator('li').count(), 14);
    assert.match(await page.getByTestId('calendar-strip').locator('li[data-date="2026-02-19"]').innerText(), /08\.00–15\.00 · Ramadan/);
    await screenshot(page, 'overview-calendar');
    assert.equal(await page.getByTestId('stat-blocked').innerText(), '0');
    await page.goto(new URL('#/queries', product.url).href);
    const pill = page.locator('[data-action=monitor]').first();
    await pill.waitFor();
    assert.equal(await pill.innerText(), 'akan diblokir');
    await screenshot(page, 'queries-would-block');
    assert.deepEqual(errors, []);
  });
});
