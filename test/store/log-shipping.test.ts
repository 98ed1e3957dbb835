/**
 * Shipping a local query log into the shared one, against a real PostgreSQL: batches arrive once with
 * their aggregates and the mark; a second shipper under the same gateway name ships nothing twice;
 * rows the local log pruned before they were shipped are counted as dropped; a local log started
 * afresh is shipped from its start; the daily partitions are made for whatever days the rows need,
 * and dropped whole once expired.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { openStore, type QueryLogEntry } from '../../src/store/index.js';
import { LocalLogSource, PgQueryLogReader, prepareLocalLog, readMark, shipBatch } from '../../src/store/postgres/index.js';
import { migrateShared } from '../../src/store/postgres/migrations.js';
import { DAY_MS, dropOldPartitions, ensurePartitions, listPartitions } from '../../src/store/postgres/query-log-partitions.js';
import { startPostgres, type TestPostgres } from '../kit/postgres.js';

let server: TestPostgres;
let dir: string;
before(async () => {
  server = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'rambu-ship-'));
});
after(async () => {
  await server?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 10, 30, 23, 0);
const entry = (i: number, name = `host${i}.example.id`): QueryLogEntry => ({
  time: T0 + i * 60_000, client: `10.0.0.${i % 3}`, name, type: 'A', action: i % 4 === 0 ? 'block' : 'allow',
  service: i % 4 === 0 ? 'youtube' : null, rule: i % 4 === 0 ? 'blokir' : null, exemption: null, rcode: 'NOERROR',
  latencyMs: 0.25, upstream: null, cached: false,
});

test('batches arrive once, with aggregates; pruned rows count as dropped; a fresh local log starts over', async () => {
  const url = await server.createDatabase('ship');
  const c1 = new pg.Client({ connectionString: url });
  const c2 = new pg.Client({ connectionString: url });
  await c1.connect();
  await c2.connect();
  try {
    await migrateShared(c1 as unknown as pg.PoolClient, 'test');
    const local = openStore({ dir: join(dir, 'a'), pruneIntervalMs: 0 });
    local.queryLog.insertMany(Array.from({ length: 100 }, (_, i) => entry(i)));
    prepareLocalLog(local.db);
    const source = new LocalLogSource(local.db);
    const s1 = await readMark(c1, 'gw-a');
    const s2 = await readMark(c2, 'gw-a');
    assert.deepEqual(s1, { mark: 0, known: false });

    const first = await shipBatch(source, c1, 'gw-a', s1, { now: T0, batch: 30 });
    assert.deepEqual(first, { shipped: 30, dropped: 0, more: true });
    // A second shipper under the same name, behind: ships nothing, and learns the mark.
    const stale = await shipBatch(source, c2, 'gw-a', s2, { now: T0, batch: 30 });
    assert.equal(stale.shipped, 0);
    assert.equal(s2.mark, 30);
    for (;;) if ((await shipBatch(source, c1, 'gw-a', s1, { now: T0, batch: 30 })).shipped === 0) break;
    assert.equal(s1.mark, 100);
    const reader = new PgQueryLogReader(c1);
    const minutes = await reader.queriesPerMinute(T0, T0 + 200 * 60_000);
    assert.equal(minutes.reduce((n, m) => n + m.total, 0), 100);
    assert.equal(minutes.reduce((n, m) => n + m.blocked, 0), 25);
    const byClient = await reader.blockedByClient(T0, T0 + 200 * 60_000);
    assert.equal(byClient.reduce((n, x) => n + x.count, 0), 25);
    // The rows span two UTC days: both partitions were made.
    const days = await listPartitions(c1);
    assert.ok(days.has(Date.UTC(2026, 10, 30)) && days.has(Date.UTC(2026, 11, 1)), [...days].join(','));

    // Rows 101..150 logged, 101..120 pruned locally before shipping: counted as dropped.
    local.queryLog.insertMany(Array.from({ length: 50 }, (_, i) => entry(100 + i)));
    local.db.prepare('DELETE FROM querylog WHERE id BETWEEN 101 AND 120').run();
    const resumed = await shipBatch(source, c1, 'gw-a', s1, { now: T0 });
    assert.deepEqual(resumed, { shipped: 30, dropped: 20, more: false });
    const total = await c1.query<{ n: number }>("SELECT count(*)::int AS n FROM querylog WHERE gateway = 'gw-a'");
    assert.equal(total.rows[0]?.n, 130);
    await local.close();

    // The gateway's data directory was replaced: its new log (ids from 1) is shipped from its start.
    const fresh = openStore({ dir: join(dir, 'b'), pruneIntervalMs: 0 });
    fresh.queryLog.insertMany([entry(0, 'baru.example.id'), entry(1, 'baru.example.id')]);
    prepareLocalLog(fresh.db);
    const again = await shipBatch(new LocalLogSource(fresh.db), c1, 'gw-a', s1, { now: T0 });
    assert.equal(again.shipped, 2);
    assert.equal(s1.mark, 2);
    const page = await reader.query({ name: 'baru', gateway: 'gw-a' });
    assert.equal(page.rows.length, 2);
    assert.ok(page.rows.every((r) => r.gateway === 'gw-a' && r.name === 'baru.example.id'));
    await fresh.close();

    // Retention: whole days before the cutoff go, with their aggregates.
    const dropped = await dropOldPartitions(c1, Date.UTC(2026, 11, 1));
    assert.deepEqual(dropped, ['querylog_d20261130']);
    const left = await c1.query<{ n: number }>('SELECT count(*)::int AS n FROM querylog');
    assert.ok(left.rows[0]!.n > 0 && left.rows[0]!.n < 132, String(left.rows[0]!.n));
    const oldMinutes = await c1.query<{ n: number }>('SELECT count(*)::int AS n FROM querylog_minute WHERE minute < $1', [Date.UTC(2026, 11, 1)]);
    assert.equal(oldMinutes.rows[0]?.n, 0);
    assert.equal((await listPartitions(c1)).has(Date.UTC(2026, 10, 30)), false);

    // Two gateways making the same days at once: each day once, no error.
    const from = Date.UTC(2027, 0, 1);
    const made = await Promise.all([ensurePartitions(c1, from, from + 3 * DAY_MS), ensurePartitions(c2, from, from + 3 * DAY_MS)]);
    assert.ok(made[0] + made[1] >= 4, made.join(','));
    const after = await listPartitions(c1);
    for (let d = 0; d < 4; d++) assert.ok(after.has(from + d * DAY_MS));
  } finally {
    await c1.end();
    await c2.end();
  }
});
