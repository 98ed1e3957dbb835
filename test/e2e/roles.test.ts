/**
 * Roles end to end: the real `rambu serve` and Debian chromium, one browser context per user.
 * An admin adds a viewer and an operator in the console and sets the operator's password in the
 * in-page dialog; the viewer reads every page but gets no controls, and the server answers its writes
 * with 403; the operator creates and revokes an exemption (confirmed in the dialog) but is refused user
 * management and the policy editor. The audit log holds the changes and none of the refused attempts:
 * the server audits what it changed, not what it refused.
 *
 * Route roles, from src/web/routes: viewer reads overview, policy, explain, queries, audit, exemptions;
 * operator also POST /api/exemptions and DELETE /api/exemptions/:id; admin also /api/users and
 * /api/policy/yaml.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { collectErrors, launchBrowser, screenshot } from './kit/browser.js';
import { digShort, digUntil } from './kit/dig.js';
import { UPSTREAM_ANSWER } from './kit/fake-upstream.js';
import { pageApi } from './kit/page-api.js';
import { startProduct, type Product } from './kit/product.js';

const ADMIN_PASSWORD = 'sandi-admin-uji-peran';
const VIEWER = 'pengamat';
const VIEWER_PASSWORD = 'sandi-pengamat-uji';
const OPERATOR = 'petugas';
const OPERATOR_FIRST_PASSWORD = 'sandi-awal-petugas';
const OPERATOR_PASSWORD = 'sandi-baru-petugas';

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
  - name: blokir-streaming-jam-kerja
    block: [youtube, vidio, vimeo]
    groups: [semua]
    during: sepanjang-waktu
`;

interface UserPage {
  page: Page;
  /** Script and CSP errors. */
  errors: string[];
  /** Messages of native alert/confirm/prompt dialogs, which the console must not use. */
  nativeDialogs: string[];
}

interface AuditItem { user: string; action: string; target: string; after: unknown }

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

/** Whether `l` has the focus, waiting up to 2 s for it: focus moves after a dialog closes may take a task. */
async function isFocused(l: Locator): Promise<boolean> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    if (await l.evaluate((el) => el === el.ownerDocument.activeElement)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reload until `ready` holds: the query log reaches the database in batches, off the DNS path. */
async function reloadUntil(page: Page, ready: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready()) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
}

describe('roles in a real browser', { timeout: 240_000 }, () => {
  let product: Product;
  let browser: Browser;
  let admin: UserPage;
  let viewer: UserPage;
  let operator: UserPage;
  let adminExemptionId = 0;
  let operatorExemptionId = 0;

  const at = (route: string) => new URL(`#/${route}`, product.url).href;

  async function openPage(): Promise<UserPage> {
    // A context each: separate cookie jars, so three users are logged in at once.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'id-ID', timezoneId: 'UTC' });
    const page = await context.newPage();
    const nativeDialogs: string[] = [];
    page.on('dialog', (d) => {
      nativeDialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    return { page, errors: collectErrors(page), nativeDialogs };
  }

  async function logIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(at('login'));
    await page.locator('input[name=username]').fill(username);
    await page.locator('input[name=password]').fill(password);
    await page.locator('form[data-testid=login-form] button[type=submit]').click();
    await page.getByTestId('overview-status').waitFor();
  }

  async function addUser(page: Page, username: string, role: string, password: string): Promise<void> {
    const form = page.getByTestId('user-form');
    await form.locator('input[name=username]').fill(username);
    await form.locator('select[name=role]').selectOption(role);
    await form.locator('input[name=password]').fill(password);
    await form.getByRole('button', { name: 'Tambah pengguna' }).click();
    await page.getByTestId(`delete-${username}`).waitFor();
  }

  async function auditItems(): Promise<AuditItem[]> {
    const answer = await pageApi(admin.page, 'GET', '/api/audit?limit=100');
    assert.equal(answer.status, 200);
    return (answer.body as { items: AuditItem[] }).items;
  }

  before(async () => {
    product = await startProduct({ adminPassword: ADMIN_PASSWORD, policy: POLICY });
    browser = await launchBrowser();
    admin = await openPage();
    viewer = await openPage();
    operator = await openPage();
    // Something for the query log, which the viewer reads.
    assert.deepEqual(await digShort(product.dnsPort, 'www.youtube.com'), [], 'youtube is blocked');
    await digShort(product.dnsPort, 'www.example.com');
  });

  after(async () => {
    await browser?.close();
    await product?.stop();
  });

  test('an admin adds a viewer and an operator, and sets a password in the in-page dialog', async () => {
    const { page } = admin;
    await logIn(page, 'admin', ADMIN_PASSWORD);
    await page.goto(at('users'));
    await page.getByTestId('delete-admin').waitFor();
    await addUser(page, VIEWER, 'viewer', VIEWER_PASSWORD);
    await addUser(page, OPERATOR, 'operator', OPERATOR_FIRST_PASSWORD);

    const opener = page.getByTestId(`password-${OPERATOR}`);
    await opener.click();
    const dialog = page.getByRole('dialog', { name: `Kata sandi baru untuk ${OPERATOR}` });
    await dialog.waitFor();
    const field = dialog.getByLabel('Kata sandi baru');
    assert.equal(await field.getAttribute('type'), 'password');
    assert.equal(await field.getAttribute('autocomplete'), 'new-password');
    assert.ok(await isFocused(field), 'the password field has the focus');

    // Too short by the server's rule: refused in the dialog, nothing sent.
    await field.fill('pendek');
    await dialog.getByRole('button', { name: 'Simpan kata sandi' }).click();
    assert.equal(await dialog.getByTestId('dialog-problem').innerText(), 'Minimal 8 karakter.');
    // Four emoji are eight UTF-16 units but four characters to the server's schema, which refuses them.
    assert.equal((await pageApi(page, 'PATCH', `/api/users/${OPERATOR}`, { body: { password: '😀😀😀😀' } })).code, 'VALIDATION_FAILED');
    await field.fill('😀😀😀😀');
    await dialog.getByRole('button', { name: 'Simpan kata sandi' }).click();
    assert.equal(await dialog.getByTestId('dialog-problem').innerText(), 'Minimal 8 karakter.');
    assert.ok(await isFocused(field), 'back in the field to correct it');
    await screenshot(page, 'roles-password-dialog');

    await field.fill(OPERATOR_PASSWORD);
    await dialog.getByRole('button', { name: 'Simpan kata sandi' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('users-message').innerText(), `Kata sandi ${OPERATOR} diganti.`);
    assert.ok(await isFocused(opener), 'focus is back on the button that opened the dialog');
  });

  test('a refusal by the server is shown in the dialog, which stays open', async () => {
    const { page } = admin;
    // The last enabled admin cannot delete itself: 409 LAST_ADMIN.
    await page.getByTestId('delete-admin').click();
    const ask = page.getByRole('dialog', { name: 'Hapus pengguna “admin”?' });
    await ask.waitFor();
    assert.ok(await isFocused(ask.getByRole('button', { name: 'Batal' })), 'a destructive question starts on Batal');
    await ask.getByRole('button', { name: 'Ya, hapus' }).click();
    assert.match(await ask.getByTestId('dialog-problem').innerText(), /^Terjadi kesalahan: "admin" is the last enabled admin/);
    assert.ok(await ask.isVisible());
    assert.ok(await isFocused(ask.getByRole('button', { name: 'Batal' })), 'after a refusal the focus is on Batal');
    await ask.getByRole('button', { name: 'Batal' }).click();
    await ask.waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('delete-admin').count(), 1);

    // A user deleted by someone else while the password dialog is open: 404 NOT_FOUND, in the dialog.
    assert.equal((await pageApi(page, 'POST', '/api/users', { body: { username: 'sementara', role: 'viewer', password: 'sandi-sementara-1' } })).status, 201);
    await page.reload();
    await page.getByTestId('password-sementara').click();
    const dialog = page.getByRole('dialog', { name: 'Kata sandi baru untuk sementara' });
    await dialog.waitFor();
    assert.equal((await pageApi(page, 'DELETE', '/api/users/sementara')).status, 204);
    await dialog.getByLabel('Kata sandi baru').fill('sandi-yang-cukup-panjang');
    await dialog.getByRole('button', { name: 'Simpan kata sandi' }).click();
    assert.equal(await dialog.getByTestId('dialog-problem').innerText(), 'Terjadi kesalahan: no user "sementara"');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('password-sementara').waitFor({ state: 'detached' });
  });

  test('the viewer reads the pages but gets no controls to change anything', async () => {
    const created = await pageApi(admin.page, 'POST', '/api/exemptions', {
      body: { name: 'siaran-dprd', clients: ['10.20.5.17'], allow: ['vidio'], until: inHours(3), reason: 'Siaran langsung rapat paripurna' },
    });
    assert.equal(created.status, 201);
    adminExemptionId = (created.body as { exemption: { id: number } }).exemption.id;

    const { page } = viewer;
    await logIn(page, VIEWER, VIEWER_PASSWORD);
    assert.equal(await page.getByTestId('whoami').innerText(), `${VIEWER} · Pengamat`);
    assert.equal(await page.getByTestId('nav-exemptions').count(), 1);
    assert.equal(await page.getByTestId('nav-users').count(), 0, 'no Users link');

    await page.goto(at('queries'));
    const table = page.getByTestId('query-table');
    await reloadUntil(page, async () => (await table.getByText('www.youtube.com').count()) > 0);
    await table.getByText('www.youtube.com').first().waitFor();

    await page.goto(at('policy'));
    await page.getByTestId('timeline-sepanjang-waktu').waitFor();
    assert.equal(await page.getByTestId('yaml-editor').count(), 0, 'no policy editor');

    await page.goto(at('exemptions'));
    await page.getByTestId('exemptions-active').getByText('siaran-dprd').waitFor();
    assert.equal(await page.getByTestId('exemption-form').count(), 0, 'no form to create exemptions');
    assert.equal(await page.locator('[data-testid^="revoke-"]').count(), 0, 'no revoke buttons');
    await page.getByText('Anda hanya dapat melihat halaman ini.').waitFor();
    await screenshot(page, 'roles-viewer-exemptions');

    await page.goto(at('audit'));
    await page.locator('[data-testid=audit-item][data-action="exemption.create"]').first().waitFor();

    await page.goto(at('users'));
    assert.equal(await page.getByRole('alert').innerText(), 'Peran Anda tidak mengizinkan tindakan ini.');
    assert.equal(await page.getByTestId('user-form').count(), 0);
  });

  test('the server refuses every write of the viewer with 403 FORBIDDEN', async () => {
    const { page } = viewer;
    const refused: [string, string, unknown?][] = [
      ['POST', '/api/exemptions', { clients: ['10.20.5.18'], allow: ['youtube'], until: inHours(2), reason: 'coba' }],
      ['DELETE', `/api/exemptions/${adminExemptionId}`],
      ['GET', '/api/policy/yaml'],
      ['PUT', '/api/policy/yaml', { text: 'timezone: Asia/Jakarta\n' }],
      ['GET', '/api/users'],
      ['POST', '/api/users', { username: 'penyusup', role: 'admin', password: 'sandi-penyusup-1' }],
      ['PATCH', `/api/users/${VIEWER}`, { role: 'admin' }],
      ['DELETE', `/api/users/${OPERATOR}`],
    ];
    for (const [method, path, body] of refused) {
      const answer = await pageApi(page, method, path, body === undefined ? {} : { body });
      assert.deepEqual([answer.status, answer.code], [403, 'FORBIDDEN'], `${method} ${path}`);
    }
    // Refusals change nothing, so the audit log holds none; the service log names who tried what.
    // The log line may reach this process a moment after the response: wait for it, up to 5 s.
    const refusedLines = () => product.output().split('\n').filter((l) => l.includes('request refused: role too low') && l.includes(`"user":"${VIEWER}"`));
    for (let waited = 0; refusedLines().length < refused.length && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    assert.equal(refusedLines().length, refused.length, product.output());
    // Without the CSRF token the request stops one check earlier.
    const noToken = await pageApi(page, 'POST', '/api/exemptions', { body: refused[0]?.[2], csrf: false });
    assert.deepEqual([noToken.status, noToken.code], [403, 'CSRF_INVALID']);

    for (const path of ['/api/overview', '/api/queries', '/api/audit', '/api/policy', '/api/exemptions?status=all']) {
      assert.equal((await pageApi(page, 'GET', path)).status, 200, `GET ${path}`);
    }
    // Nothing changed.
    const active = await pageApi(page, 'GET', '/api/exemptions?status=active');
    assert.deepEqual((active.body as { exemptions: { name: string }[] }).exemptions.map((e) => e.name), ['siaran-dprd']);
    const users = await pageApi(admin.page, 'GET', '/api/users');
    assert.deepEqual((users.body as { users: { username: string; role: string }[] }).users.map((u) => `${u.username}:${u.role}`).sort(),
      ['admin:admin', `${VIEWER}:viewer`, `${OPERATOR}:operator`]);
  });

  test('the operator creates an exemption and revokes it, confirmed in the in-page dialog', async () => {
    const old = await fetch(new URL('api/session', product.url), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: OPERATOR, password: OPERATOR_FIRST_PASSWORD }),
    });
    assert.equal(old.status, 401, 'the password set in the dialog replaced the first one');

    const { page } = operator;
    await logIn(page, OPERATOR, OPERATOR_PASSWORD);
    assert.equal(await page.getByTestId('whoami').innerText(), `${OPERATOR} · Operator`);
    assert.equal(await page.getByTestId('nav-users').count(), 0, 'no Users link');
    await page.goto(at('policy'));
    await page.getByTestId('timeline-sepanjang-waktu').waitFor();
    assert.equal(await page.getByTestId('yaml-editor').count(), 0, 'no policy editor');

    await page.goto(at('exemptions'));
    const form = page.getByTestId('exemption-form');
    await form.waitFor();
    await form.locator('input[name=clients]').fill('127.0.0.1');
    await form.locator('input[name=allow][value=youtube]').check();
    await form.getByRole('button', { name: '+1 jam' }).click();
    await form.locator('input[name=reason]').fill('Uji peran: operator');
    await page.getByTestId('exemption-create').click();
    assert.match(await page.getByTestId('exemption-message').innerText(), /dibuat/);
    const active = page.getByTestId('exemptions-active');
    const row = active.locator('tr', { hasText: '127.0.0.1' });
    await row.waitFor();
    assert.deepEqual(await digUntil(product.dnsPort, 'www.youtube.com', (l) => l.includes(UPSTREAM_ANSWER)), [UPSTREAM_ANSWER]);

    const revoke = row.getByRole('button', { name: 'Cabut' });
    operatorExemptionId = Number((await revoke.getAttribute('data-testid'))?.replace('revoke-', ''));
    assert.ok(operatorExemptionId > 0);

    // Escape cancels: nothing is revoked and the focus returns to the button.
    await revoke.click();
    const dialog = page.getByRole('dialog', { name: /^Cabut pengecualian “exemption-\d{8}-[0-9a-f]{4}”\?$/ });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /YouTube untuk 127\.0\.0\.1/);
    assert.ok(await isFocused(dialog.getByRole('button', { name: 'Batal' })));
    await screenshot(page, 'roles-operator-revoke');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.ok(await isFocused(revoke), 'focus is back on Cabut');
    assert.deepEqual(await digShort(product.dnsPort, 'www.youtube.com'), [UPSTREAM_ANSWER], 'still exempt after Escape');

    await revoke.click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Ya, cabut' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Pengecualian dicabut.').waitFor();
    await row.waitFor({ state: 'detached' });
    assert.match(await page.getByTestId('exemptions-past').locator('tr', { hasText: '127.0.0.1' }).innerText(), /dicabut/);
    assert.deepEqual(await digUntil(product.dnsPort, 'www.youtube.com', (l) => l.length === 0), [], 'blocked again');

    await page.goto(at('users'));
    assert.equal(await page.getByRole('alert').innerText(), 'Peran Anda tidak mengizinkan tindakan ini.');
  });

  test('the server refuses user management and the policy editor to the operator with 403 FORBIDDEN', async () => {
    const refused: [string, string, unknown?][] = [
      ['GET', '/api/users'],
      ['POST', '/api/users', { username: 'penyusup', role: 'admin', password: 'sandi-penyusup-1' }],
      ['PATCH', `/api/users/${OPERATOR}`, { role: 'admin' }],
      ['PATCH', `/api/users/${VIEWER}`, { password: 'sandi-diambil-alih' }],
      ['DELETE', `/api/users/${VIEWER}`],
      ['GET', '/api/policy/yaml'],
      ['PUT', '/api/policy/yaml', { text: 'timezone: Asia/Jakarta\n' }],
    ];
    for (const [method, path, body] of refused) {
      const answer = await pageApi(operator.page, method, path, body === undefined ? {} : { body });
      assert.deepEqual([answer.status, answer.code], [403, 'FORBIDDEN'], `${method} ${path}`);
    }
    const session = await pageApi(operator.page, 'GET', '/api/session');
    assert.deepEqual((session.body as { user: unknown }).user, { username: OPERATOR, role: 'operator' });
  });

  test('deleting the viewer in the dialog ends its session; Batal keeps it', async () => {
    const { page } = admin;
    await page.goto(at('users'));
    const remove = page.getByTestId(`delete-${VIEWER}`);
    await remove.click();
    const dialog = page.getByRole('dialog', { name: `Hapus pengguna “${VIEWER}”?` });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /tidak dapat dibatalkan/);
    await dialog.getByRole('button', { name: 'Batal' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await pageApi(viewer.page, 'GET', '/api/session')).status, 200, 'Batal deleted nothing');

    await remove.click();
    await dialog.getByRole('button', { name: 'Ya, hapus' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('users-message').innerText(), `Pengguna “${VIEWER}” dihapus.`);
    await remove.waitFor({ state: 'detached' });
    assert.deepEqual(await pageApi(viewer.page, 'GET', '/api/session').then((a) => [a.status, a.code]), [401, 'UNAUTHENTICATED']);
  });

  test('the audit log holds every change and none of the refused attempts', async () => {
    const items = await auditItems();
    // Newest first, down to the admin that startProduct made with `rambu user add`. Refused requests
    // (every 403, the 409 LAST_ADMIN, the 404 and the 400) changed nothing and are not audited: the
    // server records changes, not attempts.
    assert.deepEqual(items.map((e) => `${e.user} ${e.action} ${e.target}`), [
      `admin user.delete user:${VIEWER}`,
      `${OPERATOR} exemption.revoke exemption:${operatorExemptionId}`,
      `${OPERATOR} exemption.create exemption:${operatorExemptionId}`,
      `admin exemption.create exemption:${adminExemptionId}`,
      'admin user.delete user:sementara',
      'admin user.create user:sementara',
      `admin user.update user:${OPERATOR}`,
      `admin user.create user:${OPERATOR}`,
      `admin user.create user:${VIEWER}`,
      'cli user.create user:admin',
    ]);
    const passwordChange = items.find((e) => e.action === 'user.update');
    assert.deepEqual(passwordChange?.after, { username: OPERATOR, role: 'operator', disabled: false, passwordChanged: true });

    await operator.page.goto(at('audit'));
    const revoked = operator.page.locator('[data-testid=audit-item][data-action="exemption.revoke"]').first();
    await revoked.waitFor();
    assert.match(await revoked.innerText(), new RegExp(`${OPERATOR} mencabut pengecualian exemption:${operatorExemptionId}`));
  });

  test('no native dialogs, script or CSP errors in any of the three browsers', () => {
    for (const [who, user] of [['admin', admin], ['viewer', viewer], ['operator', operator]] as const) {
      assert.deepEqual(user.nativeDialogs, [], `${who}: native dialogs`);
      assert.deepEqual(user.errors, [], `${who}: errors`);
    }
  });
});
