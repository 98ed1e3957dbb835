import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { RambuError } from '../../src/errors.js';
import { DATABASE_FILE, SCHEMA_VERSION, openStore } from '../../src/store/index.js';
import { tempStore } from './temp-store.js';

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
