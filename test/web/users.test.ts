import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authed, createTestApp } from './test-app.js';
import type { TestApp } from './test-app.js';

interface UserJson { username: string; role: string; disabled: boolean; createdAt: string; updatedAt: string }
const errorCode = (body: string): string => (JSON.parse(body) as { error: { code: string } }).error.code;

describe('users API', () => {
  let t: TestApp;
  let admin: { cookie: string; csrf: string };
  before(async () => {
    t = await createTestApp();
    admin = await t.login('admin');
  });
  after(async () => { await t.close(); });

  it('is for admins only', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/users' })).statusCode, 401);
    for (const who of ['viewer', 'operator']) {
      const s = await t.login(who);
      const res = await t.app.inject({ method: 'GET', url: '/api/users', headers: { cookie: s.cookie } });
      assert.equal(res.statusCode, 403);
      assert.equal(errorCode(res.body), 'FORBIDDEN');
      const post = await t.app.inject({ method: 'POST', url: '/api/users', headers: authed(s), payload: { username: 'x', role: 'admin', password: 'long-enough-1' } });
      assert.equal(post.statusCode, 403);
    }
  });

  it('lists users without password hashes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/users', headers: { cookie: admin.cookie } });
    assert.equal(res.statusCode, 200);
    const { users } = res.json() as { users: UserJson[] };
    assert.deepEqual(users.map((u) => [u.username, u.role]), [['admin', 'admin'], ['operator', 'operator'], ['viewer', 'viewer']]);
    assert.doesNotMatch(res.body, /scrypt|hash|password/i);
  });

  it('creates a user who can then log in; duplicates and bad bodies are refused', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/users', headers: authed(admin), payload: { username: 'budi.s', role: 'operator', password: 'budi-password-1' } });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal((res.json() as { user: UserJson }).user.role, 'operator');
    await t.login('budi.s', 'budi-password-1');
    const dupe = await t.app.inject({ method: 'POST', url: '/api/users', headers: authed(admin), payload: { username: 'budi.s', role: 'viewer', password: 'another-pass-1' } });
    assert.equal(dupe.statusCode, 409);
    assert.equal(errorCode(dupe.body), 'USER_EXISTS');
    for (const payload of [
      { username: 'short', role: 'viewer', password: 'short' },
      { username: 'Has Space', role: 'viewer', password: 'long-enough-1' },
      { username: 'ok', role: 'superuser', password: 'long-enough-1' },
    ]) {
      const bad = await t.app.inject({ method: 'POST', url: '/api/users', headers: authed(admin), payload });
      assert.equal(bad.statusCode, 400, JSON.stringify(payload));
      assert.equal(errorCode(bad.body), 'VALIDATION_FAILED');
    }
    const audit = await t.store.audit.list({ action: 'user.create' });
    assert.deepEqual(audit.entries[0]?.after, { username: 'budi.s', role: 'operator', disabled: false });
  });

  it('changes role and password; a new password ends the user\'s sessions', async () => {
    const budi = await t.login('budi.s', 'budi-password-1');
    const res = await t.app.inject({ method: 'PATCH', url: '/api/users/budi.s', headers: authed(admin), payload: { role: 'viewer', password: 'budi-password-2' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((res.json() as { user: UserJson }).user.role, 'viewer');
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: budi.cookie } })).statusCode, 401);
    await t.login('budi.s', 'budi-password-2');
    const audit = await t.store.audit.list({ action: 'user.update' });
    assert.deepEqual(audit.entries[0]?.before, { username: 'budi.s', role: 'operator', disabled: false });
    assert.deepEqual(audit.entries[0]?.after, { username: 'budi.s', role: 'viewer', disabled: false, passwordChanged: true });
    assert.doesNotMatch(JSON.stringify(audit.entries), /budi-password/);
    const empty = await t.app.inject({ method: 'PATCH', url: '/api/users/budi.s', headers: authed(admin), payload: {} });
    assert.equal(empty.statusCode, 400);
    const missing = await t.app.inject({ method: 'PATCH', url: '/api/users/nobody', headers: authed(admin), payload: { role: 'viewer' } });
    assert.equal(missing.statusCode, 404);
  });

  it('a disabled user cannot log in and loses their sessions', async () => {
    const v = await t.login('viewer');
    const res = await t.app.inject({ method: 'PATCH', url: '/api/users/viewer', headers: authed(admin), payload: { disabled: true } });
    assert.equal(res.statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: v.cookie } })).statusCode, 401);
    const login = await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'viewer', password: 'viewer-password-1' }, remoteAddress: '203.0.113.9' });
    assert.equal(login.statusCode, 401);
    await t.app.inject({ method: 'PATCH', url: '/api/users/viewer', headers: authed(admin), payload: { disabled: false } });
    await t.login('viewer');
  });

  it('keeps at least one enabled admin', async () => {
    for (const payload of [{ role: 'operator' }, { disabled: true }]) {
      const res = await t.app.inject({ method: 'PATCH', url: '/api/users/admin', headers: authed(admin), payload });
      assert.equal(res.statusCode, 409, JSON.stringify(payload));
      assert.equal(errorCode(res.body), 'LAST_ADMIN');
    }
    const del = await t.app.inject({ method: 'DELETE', url: '/api/users/admin', headers: authed(admin) });
    assert.equal(del.statusCode, 409);
    assert.equal(errorCode(del.body), 'LAST_ADMIN');
    // With a second admin, the first may step down.
    await t.app.inject({ method: 'PATCH', url: '/api/users/operator', headers: authed(admin), payload: { role: 'admin' } });
    const demote = await t.app.inject({ method: 'PATCH', url: '/api/users/operator', headers: authed(admin), payload: { role: 'operator' } });
    assert.equal(demote.statusCode, 200);
  });

  it('deletes a user and their sessions', async () => {
    const budi = await t.login('budi.s', 'budi-password-2');
    const noCsrf = await t.app.inject({ method: 'DELETE', url: '/api/users/budi.s', headers: { cookie: admin.cookie } });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(errorCode(noCsrf.body), 'CSRF_INVALID');
    const res = await t.app.inject({ method: 'DELETE', url: '/api/users/budi.s', headers: authed(admin) });
    assert.equal(res.statusCode, 204);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: budi.cookie } })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/users/budi.s', headers: authed(admin) })).statusCode, 404);
    const audit = await t.store.audit.list({ action: 'user.delete' });
    assert.equal(audit.entries[0]?.target, 'user:budi.s');
    assert.equal(audit.entries[0]?.user, 'admin');
  });
});
