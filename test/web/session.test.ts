import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, PASSWORDS } from './test-app.js';
import type { TestApp } from './test-app.js';

const errorCode = (body: string): string => (JSON.parse(body) as { error: { code: string } }).error.code;

describe('session', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  it('logs in, sets a strict HttpOnly cookie and returns the user and a CSRF token', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'operator', password: PASSWORDS.operator } });
    assert.equal(res.statusCode, 200);
    const body = res.json() as { user: { username: string; role: string }; csrfToken: string };
    assert.deepEqual(body.user, { username: 'operator', role: 'operator' });
    assert.ok(body.csrfToken.length >= 32);
    const setCookie = String(res.headers['set-cookie']);
    assert.match(setCookie, /^rambu_session=[A-Za-z0-9_-]{43};/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\//);
    assert.doesNotMatch(setCookie, /Secure/);
  });

  it('GET /api/session answers 401 without a cookie and the user with one', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/api/session' });
    assert.equal(none.statusCode, 401);
    assert.equal(errorCode(none.body), 'UNAUTHENTICATED');
    const s = await t.login('viewer');
    const res = await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: s.cookie } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { user: { username: 'viewer', role: 'viewer' }, csrfToken: s.csrf });
    const forged = await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: 'rambu_session=forged' } });
    assert.equal(forged.statusCode, 401);
  });

  it('rejects a wrong password and an unknown user alike', async () => {
    for (const payload of [{ username: 'viewer', password: 'wrong-password' }, { username: 'nobody', password: 'wrong-password' }]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/session', payload, remoteAddress: '192.0.2.50' });
      assert.equal(res.statusCode, 401);
      assert.equal(errorCode(res.body), 'INVALID_CREDENTIALS');
    }
  });

  it('validates the login body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'viewer' } });
    assert.equal(res.statusCode, 400);
    assert.equal(errorCode(res.body), 'VALIDATION_FAILED');
    const notJson = await t.app.inject({ method: 'POST', url: '/api/session', payload: '<x/>', headers: { 'content-type': 'application/xml' } });
    assert.equal(notJson.statusCode, 415);
    assert.equal(errorCode(notJson.body), 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('logout needs the CSRF token, then the session is gone', async () => {
    const s = await t.login('viewer');
    const noToken = await t.app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie: s.cookie } });
    assert.equal(noToken.statusCode, 403);
    assert.equal(errorCode(noToken.body), 'CSRF_INVALID');
    const wrong = await t.app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie: s.cookie, 'x-csrf-token': `${s.csrf.slice(1)}x` } });
    assert.equal(wrong.statusCode, 403);
    const ok = await t.app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    assert.equal(ok.statusCode, 204);
    assert.match(String(ok.headers['set-cookie']), /rambu_session=;/);
    const after = await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: s.cookie } });
    assert.equal(after.statusCode, 401);
  });

  it('sessions expire after sessionHours', async () => {
    const s = await t.login('viewer');
    const start = t.clock.now;
    try {
      t.clock.now = start + 12 * 3_600_000 - 1;
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: s.cookie } })).statusCode, 200);
      t.clock.now = start + 12 * 3_600_000;
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: s.cookie } })).statusCode, 401);
    } finally {
      t.clock.now = start;
    }
  });

  it('never logs passwords, cookies or CSRF tokens', async () => {
    const s = await t.login('admin');
    await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: s.cookie } });
    await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'admin', password: 'a-wrong-secret-9' } });
    const text = t.logs.join('');
    assert.ok(t.logs.length > 0);
    assert.ok(!text.includes(PASSWORDS.admin));
    assert.ok(!text.includes('a-wrong-secret-9'));
    assert.ok(!text.includes(s.cookie.split('=')[1] ?? 'x'));
    assert.ok(!text.includes(s.csrf));
  });
});

describe('login throttling', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  it('refuses a username after 5 failures to the addresses that failed; the right password from a clean address gets in', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'viewer', password: `wrong-${i}-xx` }, remoteAddress: `192.0.2.${i + 1}` });
      assert.equal(res.statusCode, 401);
    }
    // An address that failed gets 429, even with the right password.
    const blocked = await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'viewer', password: PASSWORDS.viewer }, remoteAddress: '192.0.2.1' });
    assert.equal(blocked.statusCode, 429);
    assert.equal(errorCode(blocked.body), 'RATE_LIMITED');
    const retry = Number(blocked.headers['retry-after']);
    assert.ok(retry > 0 && retry <= 900, `retry-after ${retry}`);
    // Other users are not affected.
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'operator', password: PASSWORDS.operator }, remoteAddress: '192.0.2.99' })).statusCode, 200);
    // The owner, from an address that has not failed, gets in: the guesser cannot hold the lock.
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'viewer', password: PASSWORDS.viewer }, remoteAddress: '192.0.2.99' })).statusCode, 200);
  });

  it('a lock-out held from one address: 5 wrong passwords for admin, the right one from elsewhere logs in at once', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'admin', password: `wrong-${i}-xx` }, remoteAddress: '203.0.113.66' });
      assert.equal(res.statusCode, 401);
    }
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'admin', password: PASSWORDS.admin }, remoteAddress: '203.0.113.66' })).statusCode, 429);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'admin', password: PASSWORDS.admin }, remoteAddress: '203.0.113.10' })).statusCode, 200);
    // The owner's login does not reset the guesser's count: its address stays refused for the window.
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'admin', password: 'again-wrong-1' }, remoteAddress: '203.0.113.66' })).statusCode, 429);
    t.clock.now += 15 * 60_000 + 1000;
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'admin', password: PASSWORDS.admin }, remoteAddress: '203.0.113.66' })).statusCode, 200);
  });

  it('refuses an address after 10 failures whatever the usernames', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: `guess${i}`, password: 'wrong-password' }, remoteAddress: '198.51.100.7' });
      assert.equal(res.statusCode, 401);
    }
    const blocked = await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'admin', password: PASSWORDS.admin }, remoteAddress: '198.51.100.7' });
    assert.equal(blocked.statusCode, 429);
    assert.ok(blocked.headers['retry-after'] !== undefined);
    const elsewhere = await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'admin', password: PASSWORDS.admin }, remoteAddress: '198.51.100.8' });
    assert.equal(elsewhere.statusCode, 200);
  });
});

describe('secure cookies', () => {
  it('marks the cookie Secure and sends HSTS when secureCookies is on', async () => {
    const t = await createTestApp({ secureCookies: true });
    try {
      const res = await t.app.inject({ method: 'POST', url: '/api/session', payload: { username: 'viewer', password: PASSWORDS.viewer } });
      assert.match(String(res.headers['set-cookie']), /; Secure/);
      assert.ok(res.headers['strict-transport-security'] !== undefined);
    } finally {
      await t.close();
    }
  });
});
