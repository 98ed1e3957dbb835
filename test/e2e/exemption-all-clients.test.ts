/**
 * An exemption for every client, in the real browser against `rambu serve`: an operator is refused
 * and sees why; an admin is asked in a dialog, Batal creates nothing, the confirmation creates it and
 * `dig` sees youtube resolve.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { collectErrors, launchBrowser, screenshot } from './kit/browser.js';
import { digShort, digUntil } from './kit/dig.js';
import { UPSTREAM_ANSWER } from './kit/fake-upstream.js';
import { pageApi } from './kit/page-api.js';
import { startProduct, type Product } from './kit/product.js';

const PASSWORD = 'sandi-uji-semua-klien';
const OPERATOR_PASSWORD = 'sandi-operator-panjang';

const POLICY = `
schedules:
  sepanjang-waktu:
    - days: [mon, tue, wed, thu, fri, sat, sun]
      from: "00:00"
      to: "24:00"
groups:
  semua: ["0.0.0.0/0", "::/0"]
  diskominfo-humas: ["10.20.5.0/24"]
rules:
  - name: blokir-streaming
    block: [youtube]
    groups: [semua]
    during: sepanjang-waktu
`;

async function login(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(new URL('#/login', url).href);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form[data-testid=login-form] button[type=submit]').click();
  await page.getByTestId('overview-status').waitFor();
}

/** Fill the exemption form for the group `semua` and youtube, and press Buat. */
async function askForEveryone(page: Page, url: string): Promise<void> {
  await page.goto(new URL('#/exemptions', url).href);
  const form = page.getByTestId('exemption-form');
  await form.waitFor();
  await form.locator('input[name=group][value=semua]').check();
  await form.locator('input[name=allow][value=youtube]').check();
  await form.locator('input[name=reason]').fill('Siaran langsung untuk seluruh kantor');
  await page.getByTestId('exemption-create').click();
}

describe('an exemption for every client', { timeout: 180_000 }, () => {
  let product: Product;
  let browser: Browser;

  before(async () => {
    product = await startProduct({ adminPassword: PASSWORD, policy: POLICY });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await product?.stop();
  });

  test('an operator is refused and told why; nothing changes', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'id-ID' });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await login(page, product.url, 'admin', PASSWORD);
    const made = await pageApi(page, 'POST', '/api/users', { body: { username: 'petugas', role: 'operator', password: OPERATOR_PASSWORD } });
    assert.equal(made.status, 201);
    await context.clearCookies();
    await login(page, product.url, 'petugas', OPERATOR_PASSWORD);
    await askForEveryone(page, product.url);
    const message = page.getByTestId('exemption-message');
    await message.waitFor();
    assert.match(await message.innerText(), /every client|only an admin/);
    assert.equal(await page.getByTestId('all-clients-dialog').count(), 0, 'no confirmation offered to an operator');
    const list = await pageApi(page, 'GET', '/api/exemptions');
    assert.deepEqual((list.body as { exemptions: unknown[] }).exemptions, []);
    await screenshot(page, 'exemption-all-clients-operator');
    await context.close();
    assert.deepEqual(errors.filter((e) => !/403|Forbidden/.test(e)), []);
  });

  test('an admin confirms in a dialog; Batal creates nothing; confirmed, youtube resolves for everyone', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'id-ID' });
    const page = await context.newPage();
    await login(page, product.url, 'admin', PASSWORD);
    await askForEveryone(page, product.url);
    const dialog = page.getByTestId('all-clients-dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /semua klien/);
    await screenshot(page, 'exemption-all-clients-dialog');
    await dialog.getByRole('button', { name: 'Batal' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual(((await pageApi(page, 'GET', '/api/exemptions')).body as { exemptions: unknown[] }).exemptions, []);
    assert.deepEqual(await digShort(product.dnsPort, 'www.youtube.com'), [], 'still blocked');

    await page.getByTestId('exemption-create').click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Ya, untuk semua klien' }).click();
    const message = page.getByTestId('exemption-message');
    await message.waitFor();
    assert.match(await message.innerText(), /dibuat/);
    await page.getByTestId('exemptions-active').getByText('semua').waitFor();
    assert.deepEqual(await digUntil(product.dnsPort, 'www.youtube.com', (l) => l.includes(UPSTREAM_ANSWER)), [UPSTREAM_ANSWER]);
    await context.close();
  });
});
