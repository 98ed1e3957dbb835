/**
 * The shared store against a real PostgreSQL (Debian's server, started in a temp directory by the
 * test kit): the repositories behave as the SQLite ones do, migrations run once when two gateways
 * start together, a foreign or newer database is refused with nothing written, and a change on one
 * gateway's store is heard on the other's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { RambuError } from '../../src/errors.js';
import { openPostgresStore, SHARED_SCHEMA_VERSION, StoreError } from '../../src/store/index.js';
import type { ExemptionDraft, PostgresStore, PostgresStoreOptions, SharedChange } from '../../src/store/index.js';
import { PgQueryLogReader } from '../../src/store/postgres/index.js';
import { DAY_MS, ensurePartitions } from '../../src/store/postgres/query-log-partitions.js';
import { ensureAdmin } from '../../src/web/index.js';
import { PG_PASSWORD, startPostgres, type TestPostgres } from '../kit/postgres.js';
import { T0 } from './temp-store.js';

const HOUR = 3_600_000;
const draft = (over: Partial<ExemptionDraft> = {}): ExemptionDraft => ({
  name: 'siaran', groups: ['diskominfo-humas'], clients: [], allow: ['youtube'], from: null, until: T0 + 8 * HOUR,
  reason: 'Live broadcast', createdBy: 'operator', ...over,
});

let server: TestPostgres;
let databases = 0;
const open: PostgresStore[] = [];

async function freshStore(over: Partial<PostgresStoreOptions> = {}): Promise<{ store: PostgresStore; url: string; db: string }> {
  const db = `t${++databases}`;
  const url = await server.createDatabase(db);
  const store = await openPostgresStore({ url, gatewayName: 'gw-a', live: false, ...over });
  open.push(store);
  return { store, url, db };
}

async function openOn(url: string, over: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> {
  const store = await openPostgresStore({ url, gatewayName: 'gw-b', live: false, ...over });
  open.push(store);
  return store;
}

const rambuError = (code: string) => (err: unknown) => err instanceof RambuError && err.code === code;

before(async () => { server = await startPostgres(); });
after(async () => {
  await Promise.allSettled(open.map((s) => s.close()));
  await server?.destroy();
});

describe('postgres: repositories', () => {
  it('users: create, verify, update, disable, delete; a taken name is USER_EXISTS', async () => {
    const clock = { now: T0 };
    const { store } = await freshStore({ now: () => clock.now });
    const u = await store.users.create({ username: 'sari', role: 'operator', password: 'sari-password-1' });
    assert.deepEqual(u, { username: 'sari', role: 'operator', disabled: false, createdAt: T0, updatedAt: T0 });
    await assert.rejects(store.users.create({ username: 'sari', role: 'viewer', password: 'x-password-2' }),
      (err: unknown) => err instanceof StoreError && err.code === 'USER_EXISTS');
    assert.equal((await store.users.verify('sari', 'sari-password-1'))?.username, 'sari');
    assert.equal(await store.users.verify('sari', 'wrong'), null);
    assert.equal(await store.users.verify('nobody', 'sari-password-1'), null);
    clock.now = T0 + 1000;
    assert.deepEqual(await store.users.update('sari', { role: 'admin', password: 'sari-password-2' }),
      { username: 'sari', role: 'admin', disabled: false, createdAt: T0, updatedAt: T0 + 1000 });
    assert.equal(await store.users.verify('sari', 'sari-password-1'), null);
    assert.ok(await store.users.verify('sari', 'sari-password-2'));
    assert.equal(await store.users.countAdmins(), 1);
    await store.users.update('sari', { disabled: true });
    assert.equal(await store.users.verify('sari', 'sari-password-2'), null);
    assert.equal(await store.users.countAdmins(), 0);
    assert.equal((await store.users.get('sari'))?.role, 'admin');
    assert.equal(await store.users.update('nobody', { role: 'viewer' }), null);
    assert.equal(await store.users.count(), 1);
    assert.equal(await store.users.delete('sari'), true);
    assert.equal(await store.users.delete('sari'), false);
    assert.deepEqual(await store.users.list(), []);
  });

  it('sessions: only a hash of the id is stored; expiry, per-user logout, cascade on user delete', async () => {
    const { store, db } = await freshStore({ now: () => T0 });
    await store.users.create({ username: 'sari', role: 'viewer', password: 'sari-password-1' });
    await store.users.create({ username: 'budi', role: 'viewer', password: 'budi-password-1' });
    const a = await store.sessions.create('sari', T0 + 1000);
    const b = await store.sessions.create('sari', T0 + 5000);
    const c = await store.sessions.create('budi', T0 + 5000);
    assert.deepEqual(await store.sessions.get(a.id, T0), a.session);
    const stored = await server.sql(db, 'SELECT id_hash FROM sessions');
    assert.ok(stored.rows.every((r: { id_hash: string }) => r.id_hash !== a.id && r.id_hash !== b.id));
    assert.equal(await store.sessions.get(a.id, T0 + 1000), null);
    await store.sessions.deleteForUser('sari', b.id);
    assert.ok(await store.sessions.get(b.id, T0));
    await store.sessions.deleteForUser('sari');
    assert.equal(await store.sessions.get(b.id, T0), null);
    assert.equal(await store.sessions.pruneExpired(T0 + 5000), 1);
    const d = await store.sessions.create('budi', T0 + 9000);
    await store.users.delete('budi');
    assert.equal(await store.sessions.get(d.id, T0), null);
    assert.equal(await store.sessions.get(c.id, T0), null);
  });

  it('exemptions: created, listed by status, effective, revoked once', async () => {
    const { store } = await freshStore({ now: () => T0 });
    const active = await store.exemptions.create(draft());
    const pending = await store.exemptions.create(draft({ name: 'besok', from: T0 + 24 * HOUR, until: T0 + 30 * HOUR, clients: ['10.20.9.17'] }));
    const expired = await store.exemptions.create(draft({ name: 'kemarin', until: T0 - HOUR }));
    const revoked = await store.exemptions.create(draft({ name: 'batal' }));
    assert.deepEqual(await store.exemptions.get(pending.id), pending);
    const r = await store.exemptions.revoke(revoked.id, 'admin', T0 + 1);
    assert.equal(r?.revokedAt, T0 + 1);
    assert.equal((await store.exemptions.revoke(revoked.id, 'other', T0 + 2))?.revokedBy, 'admin');
    assert.equal(await store.exemptions.revoke(999, 'admin', T0), null);
    const ids = async (status?: 'active' | 'pending' | 'expired' | 'revoked') =>
      (await store.exemptions.list(status === undefined ? { now: T0 } : { now: T0, status })).map((e) => e.id);
    assert.deepEqual(await ids(), [revoked.id, expired.id, pending.id, active.id]);
    assert.deepEqual(await ids('active'), [active.id]);
    assert.deepEqual(await ids('pending'), [pending.id]);
    assert.deepEqual(await ids('expired'), [expired.id]);
    assert.deepEqual(await ids('revoked'), [revoked.id]);
    assert.deepEqual((await store.exemptions.effective(T0)).map((e) => e.id), [active.id, pending.id]);
    assert.deepEqual((await store.exemptions.effective(T0 + 8 * HOUR)).map((e) => e.id), [pending.id]);
  });

  it('audit: newest first, filtered, paged with cursors; each entry names its gateway', async () => {
    const { store, db } = await freshStore();
    for (let i = 0; i < 5; i++) {
      await store.audit.record({ time: T0 + i, user: i % 2 === 0 ? 'admin' : 'sari', action: i < 3 ? 'exemption.create' : 'user.update', target: `t${i}`, before: null, after: { i } });
    }
    const first = await store.audit.list({ limit: 2 });
    assert.deepEqual(first.entries.map((e) => e.target), ['t4', 't3']);
    assert.deepEqual(first.entries[0]?.after, { i: 4 });
    assert.equal(first.entries[0]?.before, null);
    const second = await store.audit.list({ limit: 2, cursor: first.nextCursor ?? '' });
    assert.deepEqual(second.entries.map((e) => e.target), ['t2', 't1']);
    assert.deepEqual((await store.audit.list({ user: 'admin', action: 'exemption.create' })).entries.map((e) => e.target), ['t2', 't0']);
    await assert.rejects(store.audit.list({ cursor: 'bogus' }), (err: unknown) => err instanceof StoreError && err.code === 'INVALID_CURSOR');
    const gateways = await server.sql(db, 'SELECT DISTINCT gateway FROM audit');
    assert.deepEqual(gateways.rows, [{ gateway: 'gw-a' }]);
  });
  it('query log: a client with a rare action pages through its own index, in full pages, on every partition', async () => {
    const { url } = await freshStore();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await ensurePartitions(c, T0, T0 + 2 * DAY_MS);
      // 3,000 rows a minute apart over three clients: every tenth blocked, every seventh else rate-limited.
      await c.query(`INSERT INTO querylog (time, gateway, client, name, type, action, rcode, latency_us, cached)
        SELECT $1::bigint + i * 60000, 'gw-a', '10.0.0.' || (i % 3), 'host' || i || '.example.id', 'A',
          CASE WHEN i % 10 = 0 THEN 1 WHEN i % 7 = 0 THEN 3 ELSE 0 END, 'NOERROR', 1000, false
        FROM generate_series(0, 2999) AS i`, [T0]);
      // A scan budget far below the client's 1,000 rows: were the action checked row by row, the pages would be partial.
      const reader = new PgQueryLogReader(c, { scanBudget: 50 });
      const seen: number[] = [];
      let cursor: string | undefined;
      for (let p = 0; p < 5; p++) {
        const page = await reader.query({ client: '10.0.0.1', action: 'block' }, { limit: 40, ...(cursor === undefined ? {} : { cursor }) });
        assert.equal(page.partial, false);
        assert.ok(page.rows.every((r) => r.client === '10.0.0.1' && r.action === 'block'));
        seen.push(...page.rows.map((r) => r.time));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      // i = 10, 40, 70, ... (i % 3 = 1 and i % 10 = 0): 100 rows, newest first.
      assert.deepEqual(seen, Array.from({ length: 100 }, (_, k) => T0 + (2980 - 30 * k) * 60000));
      const allowed = await reader.query({ client: '10.0.0.2', action: 'allow' }, { limit: 10 });
      assert.ok(allowed.rows.length === 10 && allowed.rows.every((r) => r.client === '10.0.0.2' && r.action === 'allow'));
      // The index is the parent's: every partition has it, one made later too.
      await ensurePartitions(c, T0 + 3 * DAY_MS, T0 + 3 * DAY_MS);
      const indexed = await c.query<{ partitions: number; with: number }>(`SELECT count(*)::int AS partitions,
        count(*) FILTER (WHERE EXISTS (SELECT 1 FROM pg_indexes x WHERE x.tablename = c.relname
          AND x.indexdef LIKE '%(client, action, "time", seq) WHERE (action <> 0)'))::int AS with
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'querylog'::regclass`);
      assert.ok(indexed.rows[0]!.partitions >= 4);
      assert.equal(indexed.rows[0]!.with, indexed.rows[0]!.partitions);
    } finally {
      await c.end();
    }
  });
});

describe('postgres: schema and connection', () => {
  it('two gateways opening a new database at once migrate it once', async () => {
    const url = await server.createDatabase('race');
    const [a, b] = await Promise.all([openOn(url, { gatewayName: 'gw-a' }), openOn(url, { gatewayName: 'gw-b' })]);
    await a.users.create({ username: 'sari', role: 'viewer', password: 'sari-password-1' });
    assert.equal((await b.users.get('sari'))?.username, 'sari');
    const meta = await server.sql('race', 'SELECT key, value FROM rambu_meta ORDER BY key');
    assert.deepEqual(meta.rows, [{ key: 'application', value: 'rambu' }, { key: 'schema_version', value: String(SHARED_SCHEMA_VERSION) }]);
  });

  it('two gateways starting on an empty store create one first admin between them', async () => {
    const url = await server.createDatabase('first_run');
    const [a, b] = await Promise.all([openOn(url, { gatewayName: 'gw-a' }), openOn(url, { gatewayName: 'gw-b' })]);
    const made = await Promise.all([ensureAdmin(a), ensureAdmin(b)]);
    assert.equal(made.filter((m) => m !== null).length, 1);
    assert.deepEqual((await a.users.list()).map((u) => u.username), ['admin']);
  });

  it('a newer schema is refused with RAMBU_STORAGE_SCHEMA_NEWER and nothing written', async () => {
    const { url, db } = await freshStore();
    await server.sql(db, "UPDATE rambu_meta SET value = '99' WHERE key = 'schema_version'");
    await assert.rejects(openOn(url, { live: true, gatewayName: 'gw-new' }), rambuError('RAMBU_STORAGE_SCHEMA_NEWER'));
    assert.equal((await server.sql(db, 'SELECT count(*)::int AS n FROM gateways')).rows[0].n, 0);
  });

  it('a gateway running when a newer rambu upgrades the schema refuses changes (STORE_SCHEMA_NEWER) and keeps reading', async () => {
    const { url, db } = await freshStore();
    const old = await openOn(url, { gatewayName: 'gw-old', live: true, heartbeatMs: 50 });
    await old.users.create({ username: 'sari', role: 'viewer', password: 'sari-password-1' });
    await server.sql(db, "UPDATE rambu_meta SET value = '99' WHERE key = 'schema_version'");
    const end = Date.now() + 5_000;
    let refused: unknown = null;
    while (refused === null && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
      refused = await old.exemptions.create(draft()).then(() => null, (err: unknown) => err);
    }
    assert.ok(refused instanceof StoreError && refused.code === 'STORE_SCHEMA_NEWER', String(refused));
    assert.match((refused as Error).message, /version 99, newer than this rambu/);
    assert.equal((await old.users.get('sari'))?.username, 'sari');
    await server.sql(db, `UPDATE rambu_meta SET value = '${SHARED_SCHEMA_VERSION}' WHERE key = 'schema_version'`);
  });

  it('a database of another application is refused with RAMBU_STORAGE_FOREIGN and nothing written', async () => {
    await server.createDatabase('billing');
    await server.sql('billing', 'CREATE TABLE invoices (id int PRIMARY KEY)');
    await assert.rejects(openOn(server.url('billing')), rambuError('RAMBU_STORAGE_FOREIGN'));
    const tables = await server.sql('billing', "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    assert.deepEqual(tables.rows, [{ table_name: 'invoices' }]);
  });

  it('a wrong password or database is RAMBU_STORAGE_FAILED naming the problem, never the password; a password file works', async () => {
    const { db } = await freshStore();
    const wrong = 'not-the-secret-42';
    await assert.rejects(openOn(server.url(db, wrong)), (err: unknown) => {
      assert.ok(err instanceof RambuError && err.code === 'RAMBU_STORAGE_FAILED');
      assert.match(err.message, /password authentication failed/);
      assert.doesNotMatch(err.message, new RegExp(wrong));
      return true;
    });
    await assert.rejects(openOn(server.url('no_such_db')), (err: unknown) =>
      err instanceof RambuError && err.code === 'RAMBU_STORAGE_FAILED' && /no_such_db/.test(err.message) && !err.message.includes(PG_PASSWORD));
    const dir = mkdtempSync(join(tmpdir(), 'rambu-pgpass-'));
    try {
      writeFileSync(join(dir, 'pass'), `${PG_PASSWORD}\n`, { mode: 0o600 });
      const store = await openOn(`postgres://postgres@127.0.0.1:${server.port}/${db}`, { passwordFile: join(dir, 'pass') });
      assert.equal(await store.users.count(), 0);
      await assert.rejects(openOn(`postgres://postgres@127.0.0.1:${server.port}/${db}`, { passwordFile: join(dir, 'missing') }), rambuError('RAMBU_STORAGE_FAILED'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('postgres: gateways and changes', () => {
  it('registers each gateway and tells every store of a change within a second', async () => {
    const url = await server.createDatabase('live');
    const a = await openOn(url, { gatewayName: 'gw-a', live: true, address: '127.0.0.1:8080', version: '0.1.0' });
    const b = await openOn(url, { gatewayName: 'gw-b', live: true, address: '127.0.0.2:8080', version: '0.1.0' });
    assert.deepEqual((await a.gateways.list()).map((g) => [g.name, g.address, g.version]),
      [['gw-a', '127.0.0.1:8080', '0.1.0'], ['gw-b', '127.0.0.2:8080', '0.1.0']]);
    // The feed connects in the background: wait until a change is heard at all.
    const heard: SharedChange[] = [];
    b.onChange((c) => heard.push(c));
    const until = async (pred: () => boolean, ms: number): Promise<boolean> => {
      const end = Date.now() + ms;
      while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      return pred();
    };
    await a.users.create({ username: 'warm', role: 'viewer', password: 'warm-password-1' });
    assert.ok(await until(() => heard.includes('users'), 5_000), 'the change feed never delivered');
    const start = Date.now();
    const e = await a.exemptions.create(draft());
    assert.ok(await until(() => heard.includes('exemptions'), 1_000), `no exemption change within 1 s: ${heard.join(',')}`);
    assert.equal((await b.exemptions.effective(T0))[0]?.id, e.id);
    assert.ok(Date.now() - start < 1_000);
  });

  it('the change feed reconnects after the server restarts and asks for a re-read', async () => {
    const url = await server.createDatabase('restart');
    const a = await openOn(url, { gatewayName: 'gw-a', live: true });
    const heard: SharedChange[] = [];
    a.onChange((c) => heard.push(c));
    await new Promise((r) => setTimeout(r, 300));
    await server.stop();
    await server.start();
    const end = Date.now() + 15_000;
    while (!heard.includes('resync') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.ok(heard.includes('resync'), 'no resync after the restart');
    // The pool dropped its dead connections and works again.
    await a.users.create({ username: 'after', role: 'viewer', password: 'after-password-1' });
    assert.equal(await a.users.count(), 1);
  });
});
