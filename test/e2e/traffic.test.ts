/**
 * The "Lalu lintas" page end to end: the real `rambu serve` with a flow collector, a client resolves
 * www.youtube.com through it, a NetFlow v5 packet reports that client's download from the address it
 * was given, and Debian chromium shows the bytes under youtube, under the client's department and
 * against the client, and the CSV button downloads the same rows.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { v5Packet } from '../flows/flow-packets.js';
import { collectErrors, launchBrowser, screenshot } from './kit/browser.js';
import { digShort } from './kit/dig.js';
import { UPSTREAM_ANSWER } from './kit/fake-upstream.js';
import { flowPort, startProduct } from './kit/product.js';

const PASSWORD = 'sandi-uji-lalu-lintas';

test('the traffic page shows where the bandwidth went', { timeout: 180_000 }, async () => {
  const product = await startProduct({ adminPassword: PASSWORD, policy: 'groups:\n  semua: ["127.0.0.0/8"]\n  humas: ["127.0.0.1"]\nflows:\n  listen: "127.0.0.1:0"\n' });
  const browser = await launchBrowser();
  try {
    // The collector starts after the console, in a thread of its own.
    const port = await flowPort(product);
    assert.deepEqual(await digShort(product.dnsPort, 'www.youtube.com'), [UPSTREAM_ANSWER]);
    // DNS threads hand answers to the index every 100 ms; a router exports a flow seconds after it
    // starts, so wait for the index as the router would.
    const until = Date.now() + 10_000;
    while (!/^rambu_answer_index_entries [1-9]/m.test(await (await fetch(new URL('metrics', product.url))).text()) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const secs = Math.floor(Date.now() / 1000);
    const packet = v5Packet({ uptime: 60_000, secs, sequence: 0 }, [
      { src: UPSTREAM_ANSWER, dst: '127.0.0.1', packets: 3000, bytes: 4_200_000, first: 1000, last: 59_000 },
      { src: '127.0.0.1', dst: '198.51.100.9', packets: 10, bytes: 5000, first: 1000, last: 59_000 },
    ]);
    const s = createSocket('udp4');
    await new Promise<void>((r, j) => s.send(packet, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    s.close();

    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(new URL('#/login', product.url).href);
    await page.locator('input[name=username]').fill('admin');
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.locator('form[data-testid=login-form] button[type=submit]').click();
    await page.getByTestId('overview-status').waitFor();
    // The overview shows today's streaming share once flows arrive (reload: the collector writes every second).
    const shareBy = Date.now() + 15_000;
    while (await page.getByTestId('stat-streaming-share').count() === 0 && Date.now() < shareBy) {
      await new Promise((r) => setTimeout(r, 500));
      await page.reload();
      await page.getByTestId('overview-status').waitFor();
    }
    assert.equal(await page.getByTestId('stat-streaming-share').innerText(), '99.9%');
    await page.getByTestId('nav-traffic').click();
    const services = page.getByTestId('traffic-service');
    // The collector writes every second: reload until the flow shows, reading the card only once it
    // has loaded (a reload that comes before it finishes would start it over, on a busy machine forever).
    const loaded = services.filter({ hasNotText: 'Memuat' });
    const deadline = Date.now() + 15_000;
    await loaded.waitFor();
    while (!/youtube/.test(await loaded.innerText()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      await page.reload();
      await loaded.waitFor();
    }
    const text = await services.innerText();
    assert.match(text, /youtube · 4\.0 MiB · 99\.9%/);
    assert.match(text, /other · 4\.9 KiB · 0\.1%/);
    // Each card loads on its own.
    await page.getByTestId('traffic-group').getByText('humas').waitFor();
    await page.getByTestId('traffic-client').getByText('127.0.0.1').waitFor();
    assert.match(await page.getByTestId('traffic-group').innerText(), /humas · 4\.0 MiB · 100\.0%/);
    assert.match(await page.getByTestId('traffic-client').innerText(), /127\.0\.0\.1/);
    await screenshot(page, 'traffic');
    const [download] = await Promise.all([page.waitForEvent('download'), services.getByRole('button').click()]);
    const csv = await readFile(await download.path(), 'utf8');
    assert.equal(csv, 'key,bytes,packets,flows\nyoutube,4200000,3000,1\nother,5000,10,1\n');
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await browser.close();
    await product.stop();
  }
});
