import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { RambuError } from '../../src/errors.js';
import { DATABASE_FILE, SCHEMA_VERSION, openStore } from '../../src/store/index.js';
import type { QueryLogRow } from '../../src/store/index.js';
import { migrate } from '../../src/store/migrations.js';
import { entry, T0, tempStore } from './temp-store.js';

it('creates rambu.db in WAL mode at the current schema version, and reopens it unchanged', async () => {
  const { store, dir, cleanup } = tempStore();
  assert.equal(store.file, join(dir, DATABASE_FILE));
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  await store.users.create({ username: 'admin', role: 'admin', password: 'admin-password-1' });
  await store.close();
  const again = openStore({ dir, pruneIntervalMs: 0 });
  try {
    assert.equal(await again.users.count(), 1);
  } finally {
    await again.close();
    await cleanup();
  }
});

it('refuses a database written by a newer rambu, and a file that is not a database', async () => {
  const { store, dir, cleanup } = tempStore();
  await store.close();
  const db = new BetterSqlite3(join(dir, DATABASE_FILE));
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => openStore({ dir, pruneIntervalMs: 0 }), (err: unknown) => err instanceof RambuError && err.code === 'RAMBU_STORAGE_FAILED');
  writeFileSync(join(dir, DATABASE_FILE), 'this is not sqlite, just text that is long enough to be a header.....');
  for (const suffix of ['-wal', '-shm']) writeFileSync(join(dir, DATABASE_FILE + suffix), '');
  assert.throws(() => openStore({ dir, pruneIntervalMs: 0 }), (err: unknown) => err instanceof RambuError && err.code === 'RAMBU_STORAGE_FAILED');
  await cleanup().catch(() => {});
});

it('migrates a version 1 query log to the compact one: same rows, ids, cursors and aggregates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-store-'));
  try {
    const v1 = new BetterSqlite3(join(dir, DATABASE_FILE));
    v1.pragma('journal_mode = WAL');
    migrate(v1, 1);
    assert.equal(v1.pragma('user_version', { simple: true }), 1);
    const insert = v1.prepare(`INSERT INTO querylog (id, time, client, name, type, action, service, rule, exemption, rcode,
      latency_ms, upstream, cached) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const rows = [
      [1, T0, '10.20.5.7', 'www.youtube.com', 'A', 'block', 'youtube', 'blokir-streaming', null, 'NXDOMAIN', 0.25, null, 0],
      [2, T0 + 1000, '10.20.5.8', 'portal.pasuruankota.go.id', 'AAAA', 'allow', null, null, null, 'NOERROR', 12.5, 'udp://1.1.1.1:53', 1],
      [5, T0 + 1000, '10.20.5.7', 'm.youtube.com', 'HTTPS', 'allow', 'youtube', null, 'rapat', 'NOERROR', 3, 'udp://1.1.1.1:53', 0],
      [7, T0 + 2000, 'fe80::1', '', 'TYPE65534', 'ratelimited', null, null, null, 'REFUSED', 0, null, 0],
    ] as const;
    for (const r of rows) insert.run(...r);
    v1.prepare('INSERT INTO querylog_minute (minute, total, blocked) VALUES (?, 4, 1)').run(T0);
    v1.prepare("INSERT INTO querylog_blocked_minute (minute, client, service, count) VALUES (?, '10.20.5.7', 'youtube', 1)").run(T0);
    v1.close();

    const store = openStore({ dir, pruneIntervalMs: 0, retentionDays: 3650 });
    try {
      assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const expected: QueryLogRow[] = rows.map(([id, time, client, name, type, action, service, rule, exemption, rcode, latencyMs, upstream, cached]) =>
        ({ id, time, client, name, type, action, service, rule, exemption, rcode, latencyMs, upstream, cached: cached === 1 }));
      assert.deepEqual((await store.queryLog.query({})).rows, [...expected].reverse());
      // A cursor handed out before the upgrade still continues where it left off.
      const cursor = Buffer.from(`${T0 + 1000}.5`, 'utf8').toString('base64url');
      assert.deepEqual((await store.queryLog.query({}, { cursor })).rows.map((r) => r.id), [2, 1]);
      assert.deepEqual((await store.queryLog.query({ client: '10.20.5.7' })).rows.map((r) => r.id), [5, 1]);
      assert.deepEqual((await store.queryLog.query({ service: 'youtube', action: 'block' })).rows.map((r) => r.id), [1]);
      assert.deepEqual((await store.queryLog.query({ action: 'ratelimited' })).rows.map((r) => r.id), [7]);
      assert.deepEqual(await store.queryLog.queriesPerMinute(T0, T0 + 60_000), [{ minute: T0, total: 4, blocked: 1 }]);
      assert.deepEqual(await store.queryLog.blockedByClient(T0, T0 + 60_000), [{ client: '10.20.5.7', count: 1 }]);
      // New rows continue the ids.
      store.queryLog.append(entry({ time: T0 + 3000 }));
      await store.queryLog.flush();
      assert.equal((await store.queryLog.query({}, { limit: 1 })).rows[0]?.id, 8);
      assert.equal(store.db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'querylog_v1'").pluck().get(), 0);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
