/**
 * The stacked chart and the before/after view of "Lalu lintas" end to end: `rambu serve` runs twice
 * on one data directory, on a Tuesday and on the Wednesday after (RAMBU_TEST_NOW: the console, the
 * flow collector and the probes follow it). Each day a client resolves www.youtube.com through it and
 * a NetFlow v5 packet reports its download from the address it was given and from an address nobody
 * resolved, while a probe times a local web server that answers slowly on the first day and quickly
 * on the second. Debian chromium must show each day's bytes per service in the chart's bars, and
 * the streaming share (75% then 25%) and the probe's latency before and after the Wednesday, in
 * work hours, and download the same table as CSV.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { v5Packet } from '../flows/flow-packets.js';
import { collectErrors, launchBrowser, screenshot } from './kit/browser.js';
import { digShort } from './kit/dig.js';
import { UPSTREAM_ANSWER } from './kit/fake-upstream.js';
import { ROOT, flowPort, startProduct, type Product } from './kit/product.js';

const run = promisify(execFile);
const PASSWORD = 'sandi-uji-sebelum-sesudah';
const TUESDAY = '2026-03-10T10:00:00+07:00';
const WEDNESDAY = '2026-03-11T09:00:00+07:00';

async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function report(product: Product, kind: 'traffic' | 'probes', from: string): Promise<{ key: string; bytes?: number; probes?: number }[]> {
  const args = [join(ROOT, 'bin', 'rambu.js'), 'report', kind, '--config', product.config, '--from', from, '--json'];
  if (kind === 'traffic') args.push('--by', 'service');
  const { stdout } = await run(process.execPath, args, { cwd: ROOT });
  return (JSON.parse(stdout) as { rows: { key: string; bytes?: number; probes?: number }[] }).rows;
}

/** One day: resolve, export the day's flows (youtube and other bytes), wait for them and for a probe. */
async function day(product: Product, fakeNow: number, youtube: number, other: number): Promise<void> {
  // The collector starts after the console.
  const port = await flowPort(product);
  assert.deepEqual(await digShort(product.dnsPort, 'www.youtube.com'), [UPSTREAM_ANSWER]);
  await waitFor('the answer index', async () => /^rambu_answer_index_entries [1-9]/m.test(await (await fetch(new URL('metrics', product.url))).text()), 10_000);
  // The collector's thread hears of answers through the main thread: give it a moment as a router would.
  await new Promise((r) => setTimeout(r, 1000));
  const packet = v5Packet({ uptime: 60_000, secs: Math.floor(fakeNow / 1000), sequence: 0 }, [
    { src: UPSTREAM_ANSWER, dst: '127.0.0.1', packets: 3000, bytes: youtube, first: 1000, last: 59_000 },
    { src: '198.51.100.9', dst: '127.0.0.1', packets: 3000, bytes: other, first: 1000, last: 59_000 },
  ]);
  const s = createSocket('udp4');
  await new Promise<void>((r, j) => s.send(packet, port, '127.0.0.1', (e) => (e ? j(e) : r())));
  s.close();
  const from = new Date(fakeNow - 3_600_000).toISOString();
  await waitFor('the day\'s flows in the store', async () => (await report(product, 'traffic', from)).reduce((n, r) => n + (r.bytes ?? 0), 0) === youtube + other);
  await waitFor('a probe result', async () => (await report(product, 'probes', from)).some((r) => (r.probes ?? 0) >= 2));
}

test('the chart and the before/after view show the two days\' bytes, streaming share and probe latency', { timeout: 240_000 }, async () => {
  let delayMs = 400;
  const site = createServer((_req, res) => { setTimeout(() => res.end('SI-JAJA'), delayMs); });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  const sitePort = (site.address() as AddressInfo).port;
  const policy = [
    'groups:', '  semua: ["127.0.0.0/8"]', '  humas: ["127.0.0.1"]',
    'flows:', '  listen: "127.0.0.1:0"',
    'probes:', `  - { name: sijaja, url: "http://127.0.0.1:${sitePort}/", interval: 5, timeout: 5 }`,
  ].join('\n');
  let dir: string | null = null;
  let second: Product | null = null;
  const browser = await launchBrowser();
  try {
    const tuesday = await startProduct({ adminPassword: PASSWORD, policy, env: { RAMBU_TEST_NOW: TUESDAY } });
    dir = tuesday.dir;
    try {
      await day(tuesday, Date.parse(TUESDAY), 3_000_000, 1_000_000);
    } finally {
      tuesday.signal('SIGTERM');
      await tuesday.exited;
      await tuesday.upstream.close();
    }
    delayMs = 0;
    second = await startProduct({ adminPassword: PASSWORD, policy, env: { RAMBU_TEST_NOW: WEDNESDAY }, dir, addAdmin: false });
    await day(second, Date.parse(WEDNESDAY), 1_000_000, 3_000_000);

    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const errors = collectErrors(page);
    // Log in through the API and hand the session over as a session cookie: the cookie the server
    // sets expires by the console's clock (March), which the browser would take as past.
    const login = await fetch(new URL('api/session', second.url), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const [name, value] = ((login.headers.get('set-cookie') ?? '').split(';')[0] ?? '').split('=') as [string, string];
    await context.addCookies([{ name, value, url: second.url }]);
    await page.goto(new URL('#/overview', second.url).href);
    await page.getByTestId('overview-status').waitFor();
    await page.getByTestId('nav-traffic').click();

    // The last 24 hours, an hour a bar: the flows ended a second before each day's start (09:59:59
    // on Tuesday, 08:59:59 on Wednesday, Jakarta), so Tuesday 09:00 and Wednesday 08:00 hold them.
    const chart = page.getByTestId('traffic-series').locator('figure');
    await chart.waitFor();
    const bars = await chart.locator('rect.stack').evaluateAll((rects) => rects.map((r) => `${r.getAttribute('data-time')} ${r.getAttribute('data-key')} ${r.getAttribute('data-bytes')}`));
    assert.deepEqual(bars.sort(), [
      '2026-03-10T02:00:00.000Z other 1000000', '2026-03-10T02:00:00.000Z youtube 3000000',
      '2026-03-11T01:00:00.000Z other 3000000', '2026-03-11T01:00:00.000Z youtube 1000000',
    ]);
    assert.deepEqual((await chart.getByTestId('chart-legend').allInnerTexts()).map((x) => x.trim()), ['other · 3.8 MiB', 'youtube · 3.8 MiB']);

    // Before and after Wednesday: five working days before it (Tuesday has traffic), Wednesday so far.
    const compare = page.getByTestId('traffic-compare');
    await compare.getByTestId('compare-streaming-share').waitFor();
    assert.equal(await compare.getByTestId('compare-date').inputValue(), '2026-03-11');
    assert.equal(await compare.getByTestId('compare-before-days').innerText(), '2026-03-04 – 2026-03-10 (5 hari kerja)');
    assert.equal(await compare.getByTestId('compare-after-days').innerText(), '2026-03-11');
    const row = async (id: string): Promise<string[]> => compare.getByTestId(`compare-${id}`).locator('td').allInnerTexts();
    assert.deepEqual(await row('streaming-share'), ['Porsi streaming dari bandwidth', '75.0%', '25.0%', '-66.7%']);
    assert.deepEqual(await row('bytes'), ['Bandwidth total', '3.8 MiB', '3.8 MiB', '0.0%']);
    const p50 = await row('p50-sijaja');
    assert.equal(p50[0], 'sijaja: latensi median');
    const ms = (text: string | undefined): number => Number((text ?? '').replace(/[^\d]/g, ''));
    assert.ok(ms(p50[1]) >= 400, `before: the site answered after 400 ms: ${p50.join(' | ')}`);
    assert.ok(ms(p50[2]) < 400, `after: the site answered at once: ${p50.join(' | ')}`);
    assert.deepEqual((await row('availability-sijaja')).slice(1, 3), ['100.0%', '100.0%']);
    await screenshot(page, 'traffic-compare');
    const [download] = await Promise.all([page.waitForEvent('download'), compare.getByTestId('compare-csv').click()]);
    const csv = (await readFile(await download.path(), 'utf8')).split('\n');
    assert.equal(csv[0], 'metric,before,after');
    assert.equal(csv[1], 'streaming-share,0.75,0.25');
    assert.equal(csv[2], 'streaming-bytes,3000000,1000000');
    assert.equal(csv[3], 'bytes,4000000,4000000');
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await browser.close();
    if (second !== null) await second.stop();
    else if (dir !== null) await rm(dir, { recursive: true, force: true });
    site.close();
  }
});
