/**
 * Console hardening through inject(): exemption limits by role, the login throttle behind a proxy
 * and under a flood of junk usernames, encoded API paths, usernames, static-file refusals.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { authed, createTestApp, PASSWORDS } from './test-app.js';
import type { TestApp } from './test-app.js';

const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string; details?: { path: string; message: string }[] } }).error;
const DAY = 86_400_000;

describe('console exemptions: who may switch the policy off, and for how long', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ maxExemptionDays: 7 }); });
  after(async () => { await t.close(); });

  const post = async (who: string, payload: object) => {
    const s = await t.login(who);
    return t.app.inject({ method: 'POST', url: '/api/exemptions', payload, headers: authed(s) });
  };
  const until = (days: number) => new Date(t.clock.now + days * DAY).toISOString();
  const body = (extra: object) => ({ allow: ['youtube'], until: until(1), reason: 'Siaran langsung', ...extra });

  it('operators cannot cover every client: /0 clients, a catch-all group, halves that add up', async () => {
    for (const extra of [{ clients: ['0.0.0.0/0'] }, { clients: ['::/0'] }, { groups: ['semua'] }, { clients: ['0.0.0.0/1', '128.0.0.0/1'] }]) {
      const res = await post('operator', body(extra));
      assert.equal(res.statusCode, 403, JSON.stringify(extra));
      assert.equal(errorOf(res.body).code, 'FORBIDDEN');
    }
    assert.equal((await post('operator', body({ clients: ['0.0.0.0/1'] }))).statusCode, 201, 'half of the addresses is not every client');
  });

  it('refuses a network with host bits set, naming the network it probably meant', async () => {
    for (const [given, meant] of [['1.2.3.4/0', '0.0.0.0/0'], ['10.20.5.17/24', '10.20.5.0/24'], ['2001:db8::1/32', '2001:db8::/32']]) {
      const res = await post('admin', body({ clients: [given] }));
      assert.equal(res.statusCode, 400, given);
      assert.equal(errorOf(res.body).code, 'VALIDATION_FAILED');
      assert.ok(errorOf(res.body).details?.some((d) => d.path === 'clients' && d.message.includes(`did you mean ${meant}?`)), res.body);
    }
  });

  it('admins can cover every client only with the confirmation', async () => {
    const unconfirmed = await post('admin', body({ groups: ['semua'], name: 'semua-boleh' }));
    assert.equal(unconfirmed.statusCode, 400);
    assert.equal(errorOf(unconfirmed.body).details?.[0]?.path, 'confirmAllClients');
    const confirmed = await post('admin', body({ groups: ['semua'], name: 'semua-boleh', confirmAllClients: true }));
    assert.equal(confirmed.statusCode, 201, confirmed.body);
  });

  it('operators: at most web.maxExemptionDays; admins are not bound', async () => {
    const long = await post('operator', body({ clients: ['10.20.5.17'], until: until(7.5) }));
    assert.equal(long.statusCode, 400);
    assert.equal(errorOf(long.body).details?.[0]?.path, 'until');
    assert.match(errorOf(long.body).message, /at most 7 days/);
    const forever = await post('operator', body({ clients: ['10.20.5.17'], until: '9999-12-31T00:00:00+07:00' }));
    assert.equal(forever.statusCode, 400);
    assert.equal((await post('operator', body({ clients: ['10.20.5.17'], until: until(6.9) }))).statusCode, 201);
    assert.equal((await post('admin', body({ clients: ['10.20.5.18'], until: until(60) }))).statusCode, 201);
  });
});

describe('login throttle behind a proxy and under junk', () => {
  it('web.trustProxy: true is refused with what to write; a list is taken', () => {
    assert.throws(() => parseConfigText('web:\n  trustProxy: true\n', '/tmp/rambu.yaml'), (err: unknown) =>
      err instanceof ConfigError && err.issues.some((i) => i.path.join('.') === 'web.trustProxy' && i.line === 2 && /list the reverse proxy's addresses/.test(i.message)));
    assert.deepEqual(parseConfigText('web:\n  trustProxy: ["127.0.0.1", "10.20.0.4/30"]\n', '/tmp/rambu.yaml').settings.web.trustProxy, ['127.0.0.1', '10.20.0.4/30']);
    assert.throws(() => parseConfigText('web:\n  trustProxy: ["proxy.local"]\n', '/tmp/rambu.yaml'), /invalid proxy address "proxy.local"/);
  });

  it('the client address is the first untrusted hop from the right: a forged leftmost X-Forwarded-For changes nothing', async () => {
    // As rambu serve does: the config's list, through the settings, to the app.
    const { trustProxy } = parseConfigText('web:\n  trustProxy: ["127.0.0.1"]\n', '/tmp/rambu.yaml').settings.web;
    const t = await createTestApp({ trustProxy });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 15; i++) {
        // The client wrote the first value; the proxy on 127.0.0.1 appended the address it saw.
        const res = await t.app.inject({
          method: 'POST', url: '/api/session', remoteAddress: '127.0.0.1',
          headers: { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.9` },
          payload: { username: `guess-${i}`, password: 'wrong-password' },
        });
        codes.push(res.statusCode);
      }
      assert.deepEqual(codes, [...Array<number>(10).fill(401), ...Array<number>(5).fill(429)]);
      // Another client behind the same proxy is not affected.
      const other = await t.app.inject({
        method: 'POST', url: '/api/session', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.10' },
        payload: { username: 'viewer', password: PASSWORDS.viewer },
      });
      assert.equal(other.statusCode, 200);
    } finally {
      await t.close();
    }
  });

  it('a flood of junk usernames does not make the throttle forget a key that is limiting', async () => {
    const t = await createTestApp({ loginThrottle: { maxKeys: 50 } });
    try {
      const login = (username: string, password: string, remoteAddress: string) =>
        t.app.inject({ method: 'POST', url: '/api/session', payload: { username, password }, remoteAddress });
      for (let i = 0; i < 5; i++) assert.equal((await login('viewer', `wrong-${i}-xx`, '192.0.2.50')).statusCode, 401);
      for (let i = 0; i < 200; i++) await login(`junk-${i}`, 'wrong-password', `198.18.${i >> 8}.${i & 255}`);
      assert.equal((await login('viewer', PASSWORDS.viewer, '192.0.2.50')).statusCode, 429, 'still limited after the flood');
    } finally {
      await t.close();
    }
  });
});

describe('paths, names and refusals', () => {
  let t: TestApp;
  let ui: string;
  before(async () => {
    ui = mkdtempSync(join(tmpdir(), 'rambu-ui-'));
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>rambu</title>');
    t = await createTestApp({ staticDir: ui });
  });
  after(async () => {
    await t.close();
    rmSync(ui, { recursive: true, force: true });
  });

  it('encoded API paths are API paths: no-store, and a JSON 404 for unknown ones', async () => {
    const s = await t.login('viewer');
    const session = await t.app.inject({ method: 'GET', url: '/%61pi/session', headers: { cookie: s.cookie } });
    assert.equal(session.statusCode, 200);
    assert.equal(session.headers['cache-control'], 'no-store');
    const unknown = await t.app.inject({ method: 'GET', url: '/%61pi/nothing-here' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(errorOf(unknown.body).code, 'NOT_FOUND');
    assert.equal(unknown.headers['cache-control'], 'no-store');
    // A client-side route still gets the page.
    assert.match((await t.app.inject({ method: 'GET', url: '/status' })).body, /<title>rambu/);
  });

  it('usernames start with a letter or a digit', async () => {
    const s = await t.login('admin');
    for (const username of ['.', '..', '-x', '_x', '.hidden']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/users', payload: { username, role: 'viewer', password: 'password-12345' }, headers: authed(s) });
      assert.equal(res.statusCode, 400, username);
      assert.equal(errorOf(res.body).code, 'VALIDATION_FAILED');
    }
    const ok = await t.app.inject({ method: 'POST', url: '/api/users', payload: { username: 'a.b-c_d', role: 'viewer', password: 'password-12345' }, headers: authed(s) });
    assert.equal(ok.statusCode, 201);
  });

  it('a static-file refusal is 403 FORBIDDEN', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/%00' });
    assert.equal(res.statusCode, 403);
    assert.equal(errorOf(res.body).code, 'FORBIDDEN');
  });
});
