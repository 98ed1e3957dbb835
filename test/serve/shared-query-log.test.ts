/**
 * The query log on the shared store, with two `rambu serve` processes on loopback and one PostgreSQL:
 * queries sent to either gateway appear in A's `/api/queries` with the gateway that answered, the
 * `gateway` filter and `rambu log --gateway` pick one gateway's rows, the overview counts both; while
 * PostgreSQL is stopped both keep answering and logging locally, and once it is back the rows logged
 * meanwhile arrive. The console's gateway list and /metrics show both gateways with their rates, and
 * the query-log page's gateway filter shows one gateway's rows.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Locator } from 'playwright-core';
import { collectErrors, launchBrowser } from '../e2e/kit/browser.js';
import { digShort } from '../e2e/kit/dig.js';
import { UPSTREAM_ANSWER } from '../e2e/kit/fake-upstream.js';
import { ROOT, startProduct, type Product } from '../e2e/kit/product.js';
import { startPostgres, type TestPostgres } from '../kit/postgres.js';

const ADMIN_PASSWORD = 'satu-log-dua-gerbang';
const POLICY = `
services:
  contoh: ["example.org"]
rules:
  - name: blokir-contoh
    block: [contoh]
`;

interface Row { name: string; gateway: string; action: string; client: string }
interface Session { cookie: string; csrf: string }

async function logIn(product: Product): Promise<Session> {
  const res = await fetch(new URL('api/session', product.url), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  assert.equal(res.status, 200);
  const body = await res.json() as { csrfToken: string };
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: body.csrfToken };
}

async function get(product: Product, session: Session, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(new URL(path, product.url), { headers: { cookie: session.cookie } });
  return { status: res.status, body: await res.json() as unknown };
}

/** Rows of A's /api/queries (500 newest) once every name of `names` is among them; the last page after `timeoutMs` otherwise. */
let lastAnswer = '';
/**
 * Each row of a console table as its cells' texts joined by one space. Read cell by cell rather than
 * through the row's innerText, whose separators depend on the layout at that instant.
 */
function rowTexts(table: Locator): Promise<string[]> {
  return table.locator('tbody tr').evaluateAll((rows) => rows.map((r) =>
    Array.from((r as unknown as { cells: ArrayLike<{ textContent: string | null }> }).cells).map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim()).join(' ')));
}

async function rowsWith(product: Product, session: Session, names: readonly string[], query = '', timeoutMs = 30_000): Promise<Row[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const page = await get(product, session, `/api/queries?limit=500${query}`);
    lastAnswer = `${page.status} ${JSON.stringify(page.body).slice(0, 300)}`;
    const rows = page.status === 200 ? (page.body as { items: Row[] }).items : [];
    if (names.every((n) => rows.some((r) => r.name === n)) || Date.now() > end) return rows;
    await new Promise((r) => setTimeout(r, 250));
  }
}

let pg: TestPostgres;
const products: Product[] = [];
before(async () => { pg = await startPostgres(); });
after(async () => {
  await Promise.allSettled(products.map((p) => p.stop()));
  await pg?.destroy();
});

test('two gateways log into one shared query log; rows logged while PostgreSQL is down arrive once it is back', { timeout: 240_000 }, async (t) => {
  await pg.createDatabase('log');
  const storage = (name: string) => ({ backend: 'postgres', url: pg.url('log'), gatewayName: name });
  const a = await startProduct({ adminPassword: ADMIN_PASSWORD, policy: POLICY, storage: storage('gw-a') });
  products.push(a);
  const b = await startProduct({ adminPassword: ADMIN_PASSWORD, policy: POLICY, addAdmin: false, storage: storage('gw-b') });
  products.push(b);
  const onA = await logIn(a);

  assert.deepEqual(await digShort(a.dnsPort, 'satu.example.com'), [UPSTREAM_ANSWER]);
  assert.deepEqual(await digShort(b.dnsPort, 'dua.example.com'), [UPSTREAM_ANSWER]);
  assert.deepEqual(await digShort(b.dnsPort, 'www.example.org'), []);
  const rows = await rowsWith(a, onA, ['satu.example.com', 'dua.example.com', 'www.example.org']);
  const find = (name: string): Row | undefined => rows.find((r) => r.name === name);
  assert.equal(find('satu.example.com')?.gateway, 'gw-a', JSON.stringify(rows));
  assert.equal(find('dua.example.com')?.gateway, 'gw-b', JSON.stringify(rows));
  assert.equal(find('www.example.org')?.gateway, 'gw-b');
  assert.equal(find('www.example.org')?.action, 'block');

  // One gateway's rows: the console's filter and the CLI's.
  const onlyB = (await get(a, onA, '/api/queries?gateway=gw-b&limit=500')).body as { items: Row[] };
  assert.ok(onlyB.items.length >= 2 && onlyB.items.every((r) => r.gateway === 'gw-b'), JSON.stringify(onlyB.items));
  const cli = spawnSync(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'log', '--config', a.config, '--gateway', 'gw-b', '--json'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const cliRows = cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as Row);
  assert.ok(cliRows.some((r) => r.name === 'dua.example.com') && cliRows.every((r) => r.gateway === 'gw-b'), cli.stdout);
  const table = spawnSync(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'log', '--config', b.config], { encoding: 'utf8' });
  assert.match(table.stdout, /^GATEWAY\s+TIME/m);
  assert.match(table.stdout, /^gw-a\s+\S+\s+127\.0\.0\.1\s+A\s+satu\.example\.com/m);

  // The overview on A counts B's blocked query.
  const overview = (await get(a, onA, '/api/overview')).body as { totals: { queries: number; blocked: number }; blockedByService: { service: string | null; count: number }[] };
  assert.ok(overview.totals.queries >= 3 && overview.totals.blocked >= 1, JSON.stringify(overview.totals));
  assert.ok(overview.blockedByService.some((s) => s.service === 'contoh' && s.count >= 1), JSON.stringify(overview.blockedByService));

  // PostgreSQL stops: both answer, and log locally.
  await pg.stop();
  const during = ['padam-a.example.com', 'padam-b.example.com'];
  assert.deepEqual(await digShort(a.dnsPort, during[0]!), [UPSTREAM_ANSWER]);
  assert.deepEqual(await digShort(b.dnsPort, during[1]!), [UPSTREAM_ANSWER]);
  for (let i = 0; i < 20; i++) assert.deepEqual(await digShort(b.dnsPort, `n${i}.padam.example.com`), [UPSTREAM_ANSWER]);
  await new Promise((r) => setTimeout(r, 2_000));

  await pg.start();
  const arrived = await rowsWith(a, onA, [...during, 'n19.padam.example.com'], '', 60_000);
  assert.equal(arrived.find((r) => r.name === during[0])?.gateway, 'gw-a', `A's buffered row arrived\n${a.output()}`);
  assert.equal(arrived.find((r) => r.name === during[1])?.gateway, 'gw-b', `B's buffered row arrived\n${b.output()}`);
  const count = await pg.sql('log', "SELECT count(*)::int AS n FROM querylog WHERE name LIKE '%padam%'");
  assert.equal(count.rows[0].n, 22, 'every row logged during the outage arrived once');
  const partitions = await pg.sql('log', "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'querylog'::regclass");
  assert.ok(partitions.rows[0].n >= 3, 'today and the days ahead have partitions');
  t.diagnostic(`${arrived.length} rows in A's console after the outage`);

  // The console lists both gateways; /metrics has each one's rate and lag, by gateway.
  const listed = await get(a, onA, '/api/gateways');
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  const body = listed.body as { backend: string; self: string; gateways: { name: string; address: string; version: string; lastSeen: string; queriesPerSecond: number; self: boolean }[] };
  assert.equal(body.backend, 'postgres');
  assert.deepEqual(body.gateways.map((g) => [g.name, g.self]), [['gw-a', true], ['gw-b', false]]);
  for (const g of body.gateways) {
    assert.match(g.address, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(g.version, '');
    assert.ok(Date.now() - Date.parse(g.lastSeen) < 60_000, g.lastSeen);
    assert.equal(typeof g.queriesPerSecond, 'number');
  }
  const metricsEnd = Date.now() + 25_000;
  let metrics = '';
  while (Date.now() < metricsEnd) {
    metrics = await (await fetch(new URL('metrics', a.url))).text();
    if (/^rambu_gateway_store_lag_seconds\{gateway="gw-b"\} /m.test(metrics) && /^rambu_gateway_store_lag_seconds\{gateway="gw-a"\} /m.test(metrics)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.match(metrics, /^rambu_gateway_queries_per_second\{gateway="gw-a"\} [\d.]+$/m);
  assert.match(metrics, /^rambu_gateway_queries_per_second\{gateway="gw-b"\} [\d.]+$/m);
  assert.match(metrics, /^rambu_gateway_store_lag_seconds\{gateway="gw-b"\} [\d.]+$/m);
  assert.match(metrics, /^rambu_query_log_shipped_rows\{state="shipped"\} [1-9]\d*$/m);
  assert.match(metrics, /^rambu_query_log_shipped_rows\{state="dropped"\} 0$/m);

  // In A's console: the overview's gateway table, and the query log's gateway column.
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectErrors(page);
    await page.goto(new URL('#/login', a.url).href);
    await page.locator('input[name=username]').fill('admin');
    await page.locator('input[name=password]').fill(ADMIN_PASSWORD);
    await page.locator('form[data-testid=login-form] button[type=submit]').click();
    const table = page.getByTestId('gateway-table');
    await table.locator('tbody tr').nth(1).waitFor();
    const lines = (await table.locator('tbody tr').allInnerTexts()).map((l) => l.replace(/\s+/g, ' '));
    assert.match(lines[0] ?? '', /gw-a \(gerbang ini\) 127\.0\.0\.1:\d+/, lines.join('\n'));
    assert.match(lines[1] ?? '', /gw-b 127\.0\.0\.1:\d+/, lines.join('\n'));
    await page.goto(new URL('#/queries', a.url).href);
    const queries = page.getByTestId('query-table');
    await queries.locator('tbody tr').first().waitFor();
    const rowsText = await rowTexts(queries);
    assert.ok(rowsText.some((l) => l.startsWith('gw-b ') && l.includes('padam-b.example.com')), rowsText.join('\n'));
    assert.ok(rowsText.some((l) => l.startsWith('gw-a ') && l.includes('padam-a.example.com')), rowsText.join('\n'));

    // The gateway filter, filled from the gateway list: choosing gw-b leaves only B's rows.
    const choice = page.locator('form[data-testid=query-filters] select[name=gateway]');
    assert.deepEqual(await choice.locator('option').allInnerTexts(), ['Semua gerbang', 'gw-a', 'gw-b']);
    await choice.selectOption('gw-b');
    await page.locator('form[data-testid=query-filters] button[type=submit]').click();
    const shownEnd = Date.now() + 15_000;
    let shown: string[] = [];
    while (Date.now() < shownEnd) {
      shown = await rowTexts(queries);
      if (shown.length > 0 && !shown.some((l) => l.startsWith('gw-a '))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(shown.length >= 2 && shown.every((l) => l.startsWith('gw-b ')), shown.join('\n'));
    assert.ok(shown.some((l) => l.includes('padam-b.example.com')), shown.join('\n'));
    assert.ok(!shown.some((l) => l.includes('padam-a.example.com') || l.includes('satu.example.com')), shown.join('\n'));
    // "Hapus filter" brings every gateway's rows back.
    await page.locator('form[data-testid=query-filters] button[type=button]').click();
    await queries.locator('tbody tr', { hasText: 'padam-a.example.com' }).first().waitFor();
    assert.equal(await choice.inputValue(), '');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('on SQLite the console lists its one gateway and each row carries its name', async () => {
  const c = await startProduct({ adminPassword: ADMIN_PASSWORD, policy: POLICY, storage: { gatewayName: 'gw-sendiri' } });
  products.push(c);
  const onC = await logIn(c);
  assert.deepEqual(await digShort(c.dnsPort, 'sendiri.example.com'), [UPSTREAM_ANSWER]);
  const rows = await rowsWith(c, onC, ['sendiri.example.com']);
  assert.equal(rows.find((r) => r.name === 'sendiri.example.com')?.gateway, 'gw-sendiri');
  assert.equal(((await get(c, onC, '/api/queries?gateway=lain')).body as { items: Row[] }).items.length, 0);
  const listed = (await get(c, onC, '/api/gateways')).body as { backend: string; gateways: { name: string; self: boolean; storeLagSeconds: number | null }[] };
  assert.equal(listed.backend, 'sqlite');
  assert.deepEqual(listed.gateways.map((g) => [g.name, g.self, g.storeLagSeconds]), [['gw-sendiri', true, null]]);
});
