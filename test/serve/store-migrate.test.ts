/**
 * `rambu store migrate --from sqlite --to postgres`: a SQLite gateway's data directory (users,
 * sessions, exemptions, audit, query log, written through the store as `rambu serve` writes them) is
 * copied into a test PostgreSQL; a second run copies nothing more; a database with data of its own is
 * refused unless --force; and a `rambu serve` on the shared store then logs the migrated user in,
 * keeps the browser that was logged in before the move logged in, and shows the migrated queries
 * with the gateway's name.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openStore, type QueryLogEntry } from '../../src/store/index.js';
import { ROOT, startProduct, type Product } from '../e2e/kit/product.js';
import { startPostgres, type TestPostgres } from '../kit/postgres.js';

const PASSWORD = 'kata-sandi-lama-sekali';
const BIN = join(ROOT, 'bin', 'rambu.js');

let pg: TestPostgres;
let dir: string;
const products: Product[] = [];
before(async () => {
  pg = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'rambu-migrate-'));
});
after(async () => {
  await Promise.allSettled(products.map((p) => p.stop()));
  await pg?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function entry(i: number, now: number): QueryLogEntry {
  return {
    time: now - 3_600_000 + i * 1000, client: `10.0.0.${i % 5}`, name: i % 10 === 0 ? 'www.youtube.com' : `host${i}.example.id`, type: 'A',
    action: i % 10 === 0 ? 'block' : 'allow', service: i % 10 === 0 ? 'youtube' : null, rule: i % 10 === 0 ? 'blokir' : null, exemption: null,
    rcode: i % 10 === 0 ? 'NXDOMAIN' : 'NOERROR', latencyMs: 1.5, upstream: i % 10 === 0 ? null : 'udp://127.0.0.1:53', cached: false,
  };
}

function migrate(config: string, ...extra: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, 'store', 'migrate', '--from', 'sqlite', '--to', 'postgres', '--config', config, ...extra], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('a SQLite gateway moves into the shared store once, and its serve goes on from there', async () => {
  const data = join(dir, 'data');
  const now = Date.now();
  const local = openStore({ dir: data, pruneIntervalMs: 0 });
  await local.users.create({ username: 'admin', role: 'admin', password: PASSWORD });
  await local.users.create({ username: 'budi', role: 'viewer', password: 'kata-sandi-budi-1' });
  // Sessions: two that are still valid, one that has expired (not copied).
  const kept = await local.sessions.create('admin', now + 3_600_000);
  await local.sessions.create('budi', now + 3_600_000);
  await local.sessions.create('admin', now - 1000);
  const ex = await local.exemptions.create({ name: 'rapat', groups: [], clients: ['10.0.0.9'], allow: ['youtube'], from: null, until: now + 86_400_000, reason: 'Rapat daring', createdBy: 'admin' });
  await local.audit.record({ time: now - 1000, user: 'admin', action: 'exemption.create', target: `exemption ${ex.id}`, before: null, after: { reason: 'Rapat daring' } });
  local.queryLog.insertMany(Array.from({ length: 1200 }, (_, i) => entry(i, now)));
  await local.close();

  const url = await pg.createDatabase('pindah');
  const config = join(dir, 'rambu.yaml');
  writeFileSync(config, `storage:\n  path: ${JSON.stringify(data)}\n  backend: postgres\n  url: ${JSON.stringify(url)}\n  gatewayName: gw-lama\n`);
  const first = migrate(config);
  assert.equal(first.status, 0, first.out);
  assert.match(first.out, /users: 2 copied/);
  assert.match(first.out, /query log: 1200 rows copied/);
  assert.doesNotMatch(first.out, /rambu-test-secret/, 'the password is never printed');
  const counts = async (db: string) => (await pg.sql(db, `SELECT (SELECT count(*) FROM users)::int AS users,
    (SELECT count(*) FROM sessions)::int AS sessions, (SELECT count(*) FROM exemptions)::int AS exemptions,
    (SELECT count(*) FROM audit)::int AS audit, (SELECT count(*) FROM querylog WHERE gateway = 'gw-lama')::int AS rows,
    (SELECT sum(blocked)::int FROM querylog_minute) AS blocked`)).rows[0] as Record<string, number>;
  assert.deepEqual(await counts('pindah'), { users: 2, sessions: 2, exemptions: 1, audit: 1, rows: 1200, blocked: 120 });

  // Again: nothing more.
  const second = migrate(config);
  assert.equal(second.status, 0, second.out);
  assert.match(second.out, /users: 0 copied, 2 already there/);
  assert.match(second.out, /query log: 0 rows copied, 1200 already there/);
  assert.deepEqual(await counts('pindah'), { users: 2, sessions: 2, exemptions: 1, audit: 1, rows: 1200, blocked: 120 });

  // A database with data of its own: refused, nothing written; --force merges, keeping its account.
  const other = await pg.createDatabase('lain');
  const otherConfig = join(dir, 'lain.yaml');
  writeFileSync(otherConfig, `storage:\n  path: ${JSON.stringify(data)}\n  backend: postgres\n  url: ${JSON.stringify(other)}\n  gatewayName: gw-lama\n`);
  const seed = spawnSync(process.execPath, [BIN, 'user', 'add', 'budi', '--role', 'admin', '--password-stdin', '--config', otherConfig], { input: 'kata-sandi-lain-1\n', encoding: 'utf8' });
  assert.equal(seed.status, 0, seed.stderr);
  const refused = migrate(otherConfig);
  assert.equal(refused.status, 2, refused.out);
  assert.match(refused.out, /already holds 1 users.*--force/);
  assert.deepEqual(await counts('lain'), { users: 1, sessions: 0, exemptions: 0, audit: 1, rows: 0, blocked: null }, 'nothing written');
  const forced = migrate(otherConfig, '--force');
  assert.equal(forced.status, 0, forced.out);
  assert.match(forced.out, /users: 1 copied, 1 already there/);
  const budi = await pg.sql('lain', "SELECT role FROM users WHERE username = 'budi'");
  assert.equal(budi.rows[0].role, 'admin', 'the shared account stays as it was');
  const sessions = await pg.sql('lain', 'SELECT username FROM sessions ORDER BY username');
  assert.deepEqual(sessions.rows.map((r) => r.username), ['admin'], "budi's old session does not open the shared account of that name");

  // Wrong arguments.
  const wrong = spawnSync(process.execPath, [BIN, 'store', 'migrate', '--from', 'postgres', '--to', 'sqlite', '--config', config], { encoding: 'utf8' });
  assert.equal(wrong.status, 1);

  // The gateway now runs on the shared store: the migrated admin logs in and sees the migrated queries.
  const gw = await startProduct({ adminPassword: PASSWORD, policy: '', addAdmin: false, storage: { backend: 'postgres', url, gatewayName: 'gw-lama' } });
  products.push(gw);
  // The browser logged in before the move is still logged in.
  const before = await fetch(new URL('api/exemptions?status=active', gw.url), { headers: { cookie: `rambu_session=${kept.id}` } });
  assert.equal(before.status, 200);
  const stranger = await fetch(new URL('api/exemptions?status=active', gw.url), { headers: { cookie: 'rambu_session=tidak-ada' } });
  assert.equal(stranger.status, 401);
  const login = await fetch(new URL('api/session', gw.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
  assert.equal(login.status, 200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = await (await fetch(new URL('api/queries?name=youtube&limit=500', gw.url), { headers: { cookie } })).json() as { items: { gateway: string; name: string }[] };
  assert.equal(page.items.length, 120);
  assert.ok(page.items.every((r) => r.gateway === 'gw-lama'));
  const exemptions = await (await fetch(new URL('api/exemptions?status=active', gw.url), { headers: { cookie } })).json() as { exemptions: { reason: string }[] };
  assert.deepEqual(exemptions.exemptions.map((e) => e.reason), ['Rapat daring']);
});
