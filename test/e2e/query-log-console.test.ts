/**
 * The query log's reproduction as the console shows it, in the real browser: after a few allowed
 * names and then blocked ones of the built-in doh-bypass rule, over more than one batch, the
 * query-log page lists each blocked row with its own type (AAAA, TXT), service (doh-bypass) and
 * rule (blokir-doh), and the overview counts the blocks under doh-bypass, nowhere under A or NOERROR.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { collectErrors, launchBrowser, screenshot } from './kit/browser.js';
import { dig } from '../dns/dns-test-kit.js';
import { ROOT, startProduct } from './kit/product.js';
import { writtenAtLeast } from '../serve/query-log-reads.js';

const run = promisify(execFile);
const PASSWORD = 'sandi-uji-log-kueri';
const POLICY = `
rules:
  - name: blokir-doh
    block: [doh-bypass]
`;

test('the console shows each logged query with its own type, service and rule', { timeout: 120_000 }, async () => {
  const product = await startProduct({ adminPassword: PASSWORD, policy: POLICY });
  const browser = await launchBrowser();
  try {
    // Allowed names first, then blocked ones, a batch (250 ms) apart so that they are written in different batches.
    for (const name of ['www.google.com', 'www.example.org']) await dig(product.dnsPort, [name, 'A']);
    await new Promise((r) => setTimeout(r, 600));
    const asked: [string, string][] = [['dns.google', 'AAAA'], ['doh.opendns.com', 'A'], ['cloudflare-dns.com', 'TXT']];
    for (const [name, type] of asked) {
      assert.equal((await dig(product.dnsPort, [name, type])).status, 'NXDOMAIN');
      await new Promise((r) => setTimeout(r, 400));
    }
    assert.equal(await writtenAtLeast(product.url, 5), 5, 'every query is written');
    const { stdout } = await run(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'log', '--config', product.config, '--action', 'block', '--json']);
    const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; type: string; service: string; rule: string; rcode: string });
    assert.deepEqual(rows.map((r) => [r.name, r.type, r.service, r.rule, r.rcode]), asked.map(([name, type]) => [name, type, 'doh-bypass', 'blokir-doh', 'NXDOMAIN']));

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = collectErrors(page);
    await page.goto(new URL('#/login', product.url).href);
    await page.locator('input[name=username]').fill('admin');
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.locator('form[data-testid=login-form] button[type=submit]').click();
    await page.getByTestId('overview-status').waitFor();
    const byService = await page.getByTestId('by-service').innerText();
    assert.match(byService, /doh-bypass/);
    assert.doesNotMatch(byService, /\bA\b|NOERROR|NXDOMAIN/);

    await page.goto(new URL('#/queries', product.url).href);
    const table = page.getByTestId('query-table');
    await table.locator('tbody tr').first().waitFor();
    const lines = (await table.locator('tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    for (const [name, type] of asked) {
      const line = lines.find((l) => l.includes(` ${name} `));
      assert.ok(line !== undefined, `${name} on the query-log page:\n${lines.join('\n')}`);
      assert.match(line, new RegExp(` ${type} .*doh-bypass.*blokir-doh \\(NXDOMAIN\\)`), line);
    }
    await screenshot(page, 'query-log-words');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await product.stop();
  }
});
