/**
 * Enforcement configured on a machine where the firewall cannot be driven (here `nft` on PATH is a
 * stand-in that fails the way an unprivileged one does): `rambu serve`, started as `npm start` runs
 * it, keeps answering DNS, and /api/status, /metrics and `rambu check` say why enforcement is not
 * running, and so does the console's Penegakan panel.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { collectErrors, launchBrowser, screenshot } from '../e2e/kit/browser.js';
import { digShort } from '../e2e/kit/dig.js';
import { UPSTREAM_ANSWER } from '../e2e/kit/fake-upstream.js';
import { ROOT, startProduct } from '../e2e/kit/product.js';

const run = promisify(execFile);

const PASSWORD = 'sandi-penegakan-uji';

const POLICY = `
schedules:
  selalu: [{ days: [mon, tue, wed, thu, fri, sat, sun], from: "00:00", to: "24:00" }]
rules:
  - { name: blokir-youtube, block: [youtube], during: selalu }
enforce:
  backend: nftables
`;

interface StatusBody { enforcement: { backend: string; running: boolean; lastError: string | null; connectionsCut: number } | null }

test('enforcement that cannot run: DNS still answers; status, metrics and check say why', { timeout: 120_000 }, async () => {
  const fake = mkdtempSync(join(tmpdir(), 'rambu-fake-nft-'));
  for (const tool of ['nft', 'conntrack']) {
    writeFileSync(join(fake, tool), '#!/bin/sh\necho "Error: Could not process rule: Operation not permitted" >&2\nexit 1\n');
    chmodSync(join(fake, tool), 0o755);
  }
  const PATH = `${fake}:${process.env['PATH'] ?? ''}`;
  const product = await startProduct({ adminPassword: PASSWORD, policy: POLICY, env: { PATH }, logLevel: 'info' });
  try {
    assert.deepEqual(await digShort(product.dnsPort, 'www.example.org'), [UPSTREAM_ANSWER], 'allowed names still resolve');
    assert.deepEqual(await digShort(product.dnsPort, 'www.youtube.com'), [], 'blocked names are still blocked');

    let status: StatusBody | null = null;
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      status = (await (await fetch(`${product.url}api/status`)).json()) as StatusBody;
      if (status.enforcement?.lastError != null) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(status?.enforcement != null, 'the status has an enforcement object');
    assert.equal(status.enforcement.backend, 'nftables');
    assert.equal(status.enforcement.running, false);
    assert.match(status.enforcement.lastError ?? '', /nft failed with exit code 1: Error: Could not process rule: Operation not permitted/);

    const metrics = await (await fetch(`${product.url}metrics`)).text();
    assert.match(metrics, /^rambu_enforce_running\{backend="nftables"\} 0$/m);
    assert.match(metrics, /^rambu_enforce_failures [1-9]/m);
    assert.match(product.output(), /enforcement failed: DNS keeps answering/);
    assert.deepEqual(await digShort(product.dnsPort, 'www.example.org'), [UPSTREAM_ANSWER], 'and DNS keeps answering after the failure');

    // The console's overview shows the Penegakan panel with the reason.
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors = collectErrors(page);
      await page.goto(new URL('#/login', product.url).href);
      await page.locator('input[name=username]').fill('admin');
      await page.locator('input[name=password]').fill(PASSWORD);
      await page.locator('form[data-testid=login-form] button[type=submit]').click();
      const panel = page.getByTestId('enforcement');
      await panel.waitFor();
      assert.equal(await panel.locator('h2').textContent(), 'Penegakan');
      assert.equal(await panel.getAttribute('data-running'), 'false');
      assert.match((await page.getByTestId('enforcement-state').textContent()) ?? '', /Tidak berjalan: DNS tetap menjawab/);
      assert.match((await page.getByTestId('enforcement-error').textContent()) ?? '', /Operation not permitted/);
      assert.equal(await page.getByTestId('enforcement-backend').textContent(), 'nftables');
      await screenshot(page, 'enforcement-unavailable');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }

    // rambu check names the file, the line of enforce.backend and what is missing.
    const checked = await run(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'check', '--config', product.config], { env: { ...process.env, PATH } });
    assert.match(checked.stdout, /MISSING nft: nft not usable/);
    const line = product.config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(checked.stdout, new RegExp(`${line}:\\d+:\\d+: enforce\\.backend: this machine cannot run the nftables back-end`));
  } finally {
    await product.stop();
    rmSync(fake, { recursive: true, force: true });
  }
});
