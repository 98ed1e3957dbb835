import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError, hashPassword, verifyPassword } from '../../src/store/index.js';
import { T0, tempStore } from './temp-store.js';

describe('passwords', () => {
  it('hashes with scrypt N=2^15 and a random salt; verifies only the right password', async () => {
    const a = await hashPassword('rahasia-kantor-1');
    const b = await hashPassword('rahasia-kantor-1');
    assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('rahasia-kantor-1', a), true);
    assert.equal(await verifyPassword('rahasia-kantor-2', a), false);
    assert.equal(await verifyPassword('rahasia-kantor-1', 'plain'), false);
    assert.equal(await verifyPassword('x', 'scrypt$1099511627776$8$1$AAAA$AAAA'), false);
  });
});

describe('users', () => {
  it('creates, verifies, updates, disables and deletes', async () => {
    const clock = { now: T0 };
    const { store, cleanup } = tempStore({ now: () => clock.now });
    try {
      const u = await store.users.create({ username: 'sari', role: 'operator', password: 'sari-password-1' });
      assert.deepEqual(u, { username: 'sari', role: 'operator', disabled: false, createdAt: T0, updatedAt: T0 });
      await assert.rejects(store.users.create({ username: 'sari', role: 'viewer', password: 'x-password-2' }),
        (err: unknown) => err instanceof StoreError && err.code === 'USER_EXISTS');
      assert.equal((await store.users.verify('sari', 'sari-password-1'))?.username, 'sari');
      assert.equal(await store.users.verify('sari', 'wrong'), null);
      assert.equal(await store.users.verify('nobody', 'sari-password-1'), null);
      const raw = store.db.prepare('SELECT password_hash FROM users').get() as { password_hash: string };
      assert.doesNotMatch(raw.password_hash, /sari-password/);

      clock.now = T0 + 1000;
      const changed = await store.users.update('sari', { role: 'admin', password: 'sari-password-2' });
      assert.deepEqual(changed, { username: 'sari', role: 'admin', disabled: false, createdAt: T0, updatedAt: T0 + 1000 });
      assert.equal(await store.users.verify('sari', 'sari-password-1'), null);
      assert.ok(await store.users.verify('sari', 'sari-password-2'));
      assert.equal(await store.users.countAdmins(), 1);
      await store.users.update('sari', { disabled: true });
      assert.equal(await store.users.verify('sari', 'sari-password-2'), null);
      assert.equal(await store.users.countAdmins(), 0);
      assert.equal(await store.users.update('nobody', { role: 'viewer' }), null);
      assert.equal(await store.users.count(), 1);
      assert.equal(await store.users.delete('sari'), true);
      assert.equal(await store.users.delete('sari'), false);
      assert.deepEqual(await store.users.list(), []);
    } finally {
      await cleanup();
    }
  });
});

describe('sessions', () => {
  it('stores only a hash of the id, expires, and ends per user', async () => {
    const { store, cleanup } = tempStore();
    try {
      await store.users.create({ username: 'sari', role: 'viewer', password: 'sari-password-1' });
      await store.users.create({ username: 'budi', role: 'viewer', password: 'budi-password-1' });
      const a = await store.sessions.create('sari', T0 + 1000);
      const b = await store.sessions.create('sari', T0 + 1000);
      const c = await store.sessions.create('budi', T0 + 1000);
      assert.equal(Buffer.from(a.id, 'base64url').length, 32);
      assert.notEqual(a.session.csrfToken, b.session.csrfToken);
      const stored = store.db.prepare('SELECT id_hash, csrf_token FROM sessions').all() as { id_hash: string }[];
      assert.ok(stored.every((s) => s.id_hash !== a.id && s.id_hash !== b.id));
      assert.equal((await store.sessions.get(a.id, T0))?.username, 'sari');
      assert.equal(await store.sessions.get(a.id, T0 + 1000), null);
      assert.equal(await store.sessions.get('unknown', T0), null);
      await store.sessions.deleteForUser('sari', b.id);
      assert.ok(await store.sessions.get(b.id, T0));
      await store.sessions.deleteForUser('sari');
      assert.equal(await store.sessions.get(b.id, T0), null);
      await store.sessions.delete(c.id);
      assert.equal(await store.sessions.get(c.id, T0), null);
      const d = await store.sessions.create('budi', T0 + 10);
      assert.equal(await store.sessions.pruneExpired(T0 + 10), 1);
      assert.equal(await store.sessions.get(d.id, T0), null);
      // Deleting a user ends their sessions.
      const e = await store.sessions.create('budi', T0 + 1000);
      await store.users.delete('budi');
      assert.equal(await store.sessions.get(e.id, T0), null);
    } finally {
      await cleanup();
    }
  });
});
