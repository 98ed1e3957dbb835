/**
 * The answer index and the flow aggregates on a real PostgreSQL: two gateways' sharing trades answers
 * both ways, never ships a received answer back, takes a newer life of a known answer, prunes expired
 * rows, and catches up after the server was stopped (what was given meanwhile waited, bounded); the
 * shared flow store sums every gateway's minutes, filters by gateway, reads the local sums while the
 * server is away and writes what waited once it is back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { openStore } from '../../src/store/index.js';
import { guardPool } from '../../src/store/postgres/guarded-pool.js';
import { readAnswers, SharedFlowStore, startAnswerSharing, type AnswerSource, type SharedAnswer } from '../../src/store/postgres/index.js';
import { migrateShared } from '../../src/store/postgres/migrations.js';
import { startPostgres, type TestPostgres } from '../kit/postgres.js';
import { until } from '../kit/until.js';

/** Wait until `cond` holds, naming `what` if it does not within `ms`. */
async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  await until(async () => ((await cond()) ? true : null), ms, 100).catch(() => assert.fail(`${what} within ${ms} ms`));
}

let server: TestPostgres;
let dir: string;
before(async () => {
  server = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'rambu-shared-answers-'));
});
after(async () => {
  await server?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const logger = pino({ level: 'silent' });

/** A keeper reduced to what sharing needs: answers given here wait in `given`, received ones land in `got`. */
function fakeKeeper(): AnswerSource & { given: SharedAnswer[]; got: SharedAnswer[] } {
  const k = {
    given: [] as SharedAnswer[],
    got: [] as SharedAnswer[],
    takeShared: (max: number) => k.given.splice(0, max),
    applyShared: (entries: readonly SharedAnswer[]) => { k.got.push(...entries); return entries.length; },
  };
  return k;
}

async function migrate(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await migrateShared(c as unknown as pg.PoolClient, 'test');
  } finally {
    await c.end();
  }
}

test('two gateways trade answers both ways, never back, and catch up after the server was away', { timeout: 120_000 }, async () => {
  const url = await server.createDatabase('answers');
  await migrate(url);
  const now = Date.now();
  // A row that expired while no gateway ran: the first pass prunes it.
  await server.sql('answers', "INSERT INTO answers (gateway, client, address, name, service, expires, updated_at) VALUES ('gw-c', '10.0.0.1', '192.0.2.9', 'old.example.org', NULL, $1, $1)", [now - 1_000]);
  const a = fakeKeeper();
  const b = fakeKeeper();
  const sa = startAnswerSharing({ config: { connectionString: url }, gateway: 'gw-a', keeper: a, logger, intervalMs: 100 });
  const sb = startAnswerSharing({ config: { connectionString: url }, gateway: 'gw-b', keeper: b, logger, intervalMs: 100 });
  try {
    const yt = { client: '10.0.0.5', address: '142.250.1.1', name: 'rr1.googlevideo.com', service: 'youtube', expires: now + 600_000 };
    b.given.push(yt, { ...yt, address: '142.250.1.2', expires: now - 1 });
    await waitFor(() => a.got.length >= 1, 10_000, 'A receives B\'s answer');
    assert.deepEqual(a.got, [yt], 'the live answer, not the expired one');
    assert.deepEqual(b.got, [], 'B does not receive its own');
    // A newer life for the same answer is a new row id: A hears it again.
    b.given.push({ ...yt, expires: now + 900_000 });
    a.given.push({ client: '10.0.0.6', address: '203.0.113.4', name: 'www.netflix.com', service: 'netflix', expires: now + 600_000 });
    await waitFor(() => a.got.length >= 2 && b.got.length >= 1, 10_000, 'both hear the other');
    assert.equal(a.got[1]?.expires, now + 900_000);
    assert.equal((b.got as SharedAnswer[])[0]?.name, 'www.netflix.com');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(a.got.length, 2, 'nothing is received twice or shipped back');
    assert.equal(b.got.length, 1);
    const rows = await server.sql('answers', 'SELECT gateway, count(*)::int AS n FROM answers GROUP BY 1 ORDER BY 1');
    assert.deepEqual(rows.rows, [{ gateway: 'gw-a', n: 1 }, { gateway: 'gw-b', n: 1 }], 'one row per gateway, client and address; the expired ones pruned');

    // The server stops: B goes on giving answers; they wait, and arrive once it is back.
    await server.stop();
    await waitFor(() => !sb.stats().connected || !sa.stats().connected, 15_000, 'the sharing notices the outage').catch(() => undefined);
    for (let i = 0; i < 50; i++) b.given.push({ client: '10.0.0.7', address: `198.51.100.${i}`, name: `n${i}.example.org`, service: null, expires: now + 600_000 });
    await new Promise((r) => setTimeout(r, 1_000));
    await server.start();
    await waitFor(() => a.got.length >= 52, 30_000, 'A catches up on what B gave during the outage');
    assert.equal(sb.stats().dropped, 0);
    assert.ok(sb.stats().shipped >= 52 && sa.stats().received >= 52, JSON.stringify([sa.stats(), sb.stats()]));

    const read = await readAnswers(await connected(url), 'gw-a', 0, Date.now());
    assert.equal(read.rows.length, 51, 'B\'s live rows, as a gateway starting now reads them');
  } finally {
    await Promise.all([sa.close(), sb.close()]);
    for (const c of clients.splice(0)) await c.end();
  }
});

const clients: pg.Client[] = [];
async function connected(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  clients.push(c);
  return c;
}

test('the shared flow store sums every gateway, filters by one, and falls back to the local sums while the server is away', { timeout: 120_000 }, async () => {
  const url = await server.createDatabase('flows');
  await migrate(url);
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 2_000 });
  pool.on('error', () => undefined);
  const localA = openStore({ dir: join(dir, 'a'), pruneIntervalMs: 0 });
  const localB = openStore({ dir: join(dir, 'b'), pruneIntervalMs: 0 });
  const fa = new SharedFlowStore({ local: localA.flows, db: guardPool(pool, 'test'), gateway: 'gw-a', retryMs: 200 });
  const fb = new SharedFlowStore({ local: localB.flows, db: guardPool(pool, 'test'), gateway: 'gw-b', retryMs: 200 });
  const minute = 60_000 * Math.floor(Date.now() / 60_000);
  const row = (client: string, service: string, bytes: number) => ({ minute, client, group: 'semua', service, bytes, packets: 1, flows: 1 });
  try {
    await fa.add([row('10.0.0.5', 'youtube', 1000)], [{ minute, prefix: '198.51.100.0/24', bytes: 10, packets: 1, flows: 1 }]);
    await fa.add([row('10.0.0.5', 'youtube', 500)], []);
    await fb.add([row('10.0.0.6', 'netflix', 700)], []);
    await Promise.all([fa.flush(), fb.flush()]);
    assert.deepEqual((await fb.traffic('service')).map((r) => [r.key, r.bytes]), [['youtube', 1500], ['netflix', 700]]);
    assert.deepEqual((await fb.traffic('service', { gateway: 'gw-a' })).map((r) => [r.key, r.bytes]), [['youtube', 1500]]);
    assert.deepEqual((await fa.series('client', 3_600_000, { gateway: 'gw-b' })).map((p) => [p.key, p.bytes]), [['10.0.0.6', 700]]);
    assert.deepEqual((await fb.topRemotes()).map((r) => [r.key, r.bytes]), [['198.51.100.0/24', 10]]);

    await server.stop();
    await fb.add([row('10.0.0.6', 'netflix', 300)], []);
    assert.deepEqual((await fb.traffic('service')).map((r) => [r.key, r.bytes]), [['netflix', 1000]], 'the local sums while the server is away');
    assert.deepEqual(await fb.traffic('service', { gateway: 'gw-a' }), [], 'another gateway\'s: nothing known');
    await server.start();
    await waitFor(async () => (await fa.traffic('service')).some((r) => r.key === 'netflix' && r.bytes === 1000), 20_000, 'the sums that waited arrive');
    assert.equal(fb.counts.dropped, 0);
  } finally {
    await fa.close();
    await fb.close();
    await localA.close();
    await localB.close();
    await pool.end();
  }
});
