import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

it("refuses another program's SQLite database, named, without writing to it", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-store-'));
  try {
    const file = join(dir, DATABASE_FILE);
    const other = new BetterSqlite3(file);
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (12.5)');
    other.close();
    const before = readFileSync(file);
    assert.throws(() => openStore({ dir, pruneIntervalMs: 0 }), (err: unknown) => err instanceof RambuError && err.code === 'RAMBU_STORAGE_FAILED' && err.message.includes(file) && err.message.includes('invoices'));
    assert.deepEqual(readFileSync(file), before);
    assert.equal(existsSync(`${file}-wal`), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

it('keeps a version 2 query log, whose names are all word ids, reading the same beside names logged inline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-store-'));
  try {
    const v2 = new BetterSqlite3(join(dir, DATABASE_FILE));
    v2.pragma('journal_mode = WAL');
    migrate(v2, 2);
    const word = v2.prepare('INSERT INTO querylog_text (text, last_time) VALUES (?, ?) RETURNING id').pluck();
    const [client, name, numeric, type, rcode] = ['10.20.5.7', 'www.youtube.com', '123', 'A', 'NOERROR'].map((w) => word.get(w, T0 + 1000) as number);
    const insert = v2.prepare(`INSERT INTO querylog (time, id, client, name, type, action, service, rule, exemption, rcode, latency_us,
      upstream, cached) VALUES (?, ?, ?, ?, ?, 0, NULL, NULL, NULL, ?, 250, NULL, 0)`);
    insert.run(T0, 1, client, name, type, rcode);
    insert.run(T0 + 1000, 2, client, numeric, type, rcode);
    v2.prepare("UPDATE querylog_state SET value = 3 WHERE key = 'next_id'").run();
    v2.close();

    const store = openStore({ dir, pruneIntervalMs: 0, retentionDays: 3650 });
    try {
      // Past 2: a rambu that knows only version 2 would read inline names as empty, and refuses it.
      assert.ok(SCHEMA_VERSION > 2);
      assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const old = (await store.queryLog.query({})).rows;
      assert.deepEqual(old.map((r) => [r.id, r.time, r.client, r.name, r.type, r.rcode, r.latencyMs]),
        [[2, T0 + 1000, '10.20.5.7', '123', 'A', 'NOERROR', 0.25], [1, T0, '10.20.5.7', 'www.youtube.com', 'A', 'NOERROR', 0.25]]);
      // The same names again, met for the first time by this writer: inline, found with the old rows.
      store.queryLog.append(entry({ time: T0 + 2000, client: '10.20.5.7', name: 'www.youtube.com' }));
      store.queryLog.append(entry({ time: T0 + 3000, client: '10.20.5.7', name: '123' }));
      await store.queryLog.flush();
      const forms = store.db.prepare('SELECT typeof(name) FROM querylog ORDER BY id').pluck().all();
      assert.deepEqual(forms, ['integer', 'integer', 'blob', 'blob']);
      assert.deepEqual((await store.queryLog.query({ name: 'YouTube' })).rows.map((r) => [r.id, r.name]), [[3, 'www.youtube.com'], [1, 'www.youtube.com']]);
      assert.deepEqual((await store.queryLog.query({ name: '12' })).rows.map((r) => [r.id, r.name]), [[4, '123'], [2, '123']]);
      assert.deepEqual((await store.queryLog.query({ client: '10.20.5.7' }, { limit: 2 })).rows.map((r) => r.id), [4, 3]);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
