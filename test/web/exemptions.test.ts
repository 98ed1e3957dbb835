import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toPolicyExemptions } from '../../src/web/index.js';
import { FakePolicy } from './fake-policy.js';
import { authed, createTestApp } from './test-app.js';
import type { TestApp } from './test-app.js';

interface ExemptionJson { id: number; name: string; status: string; until: string; from: string | null; createdBy: string; revokedBy: string | null }
const errorCode = (body: string): string => (JSON.parse(body) as { error: { code: string } }).error.code;
const UNTIL = '2026-05-04T16:00:00+07:00';

describe('exemptions API', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  const post = async (who: string, payload: object, headers?: Record<string, string>) => {
    const s = await t.login(who);
    return t.app.inject({ method: 'POST', url: '/api/exemptions', payload, headers: headers ?? authed(s) });
  };

  it('needs a session, the CSRF token and the operator role', async () => {
    const body = { groups: ['diskominfo-humas'], allow: ['youtube'], until: UNTIL, reason: 'Siaran langsung' };
    const anon = await t.app.inject({ method: 'POST', url: '/api/exemptions', payload: body });
    assert.equal(anon.statusCode, 401);
    assert.equal(errorCode(anon.body), 'UNAUTHENTICATED');
    const s = await t.login('operator');
    const noCsrf = await t.app.inject({ method: 'POST', url: '/api/exemptions', payload: body, headers: { cookie: s.cookie } });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(errorCode(noCsrf.body), 'CSRF_INVALID');
    const viewer = await post('viewer', body);
    assert.equal(viewer.statusCode, 403);
    assert.equal(errorCode(viewer.body), 'FORBIDDEN');
    const anonList = await t.app.inject({ method: 'GET', url: '/api/exemptions' });
    assert.equal(anonList.statusCode, 401);
  });

  it('creates an exemption, audits it and tells the server to rebuild the policy', async () => {
    const changes = t.exemptionChanges.count;
    const res = await post('operator', { name: 'siaran-rapat', groups: ['diskominfo-humas'], clients: ['10.20.9.17'], allow: ['youtube'], until: UNTIL, reason: ' Live broadcast ' });
    assert.equal(res.statusCode, 201, res.body);
    const { exemption } = res.json() as { exemption: ExemptionJson & { reason: string; clients: string[] } };
    assert.equal(exemption.name, 'siaran-rapat');
    assert.equal(exemption.status, 'active');
    assert.equal(exemption.until, '2026-05-04T09:00:00.000Z');
    assert.equal(exemption.reason, 'Live broadcast');
    assert.equal(exemption.createdBy, 'operator');
    assert.deepEqual(exemption.clients, ['10.20.9.17']);
    assert.equal(t.exemptionChanges.count, changes + 1);
    const audit = await t.store.audit.list({ action: 'exemption.create' });
    assert.equal(audit.entries[0]?.user, 'operator');
    assert.equal(audit.entries[0]?.target, `exemption:${exemption.id}`);
    assert.equal((audit.entries[0]?.after as { name: string }).name, 'siaran-rapat');
    // What the serve command does with it: the policy now allows YouTube for that client.
    t.policy.current = new FakePolicy().withConsoleExemptions(toPolicyExemptions(await t.store.exemptions.effective(t.clock.now)));
    const s = await t.login('viewer');
    const explain = await t.app.inject({ method: 'GET', url: '/api/explain?client=10.20.9.17&name=www.youtube.com', headers: { cookie: s.cookie } });
    assert.equal((explain.json() as { action: string; exemption: string }).exemption, 'siaran-rapat');
    t.policy.current = new FakePolicy();
  });

  it('generates a name when none is given', async () => {
    const res = await post('admin', { clients: ['10.20.5.0/24'], allow: ['vidio'], until: UNTIL, reason: 'Rapat' });
    assert.equal(res.statusCode, 201, res.body);
    assert.match((res.json() as { exemption: ExemptionJson }).exemption.name, /^exemption-20260504-[0-9a-f]{4}$/);
  });

  it('rejects bad bodies with stable codes', async () => {
    const base = { groups: ['diskominfo-humas'], allow: ['youtube'], until: UNTIL, reason: 'x' };
    const cases: [object, number, string][] = [
      [{ ...base, groups: [] }, 400, 'VALIDATION_FAILED'],
      [{ ...base, allow: [] }, 400, 'VALIDATION_FAILED'],
      [{ ...base, reason: '' }, 400, 'VALIDATION_FAILED'],
      [{ ...base, reason: '   ' }, 400, 'VALIDATION_FAILED'],
      [{ ...base, until: 'tomorrow' }, 400, 'VALIDATION_FAILED'],
      [{ ...base, until: '2026-05-04T07:59:00+07:00' }, 400, 'VALIDATION_FAILED'],
      [{ ...base, from: '2026-05-04T17:00:00+07:00' }, 400, 'VALIDATION_FAILED'],
      [{ ...base, clients: ['not-an-ip'] }, 400, 'VALIDATION_FAILED'],
      [{ ...base, name: 'Bad Name' }, 400, 'VALIDATION_FAILED'],
      [{ ...base, groups: ['no-such-group'] }, 400, 'UNKNOWN_GROUP'],
      [{ ...base, allow: ['youtube', 'netflux'] }, 400, 'UNKNOWN_SERVICE'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await post('operator', payload);
      assert.equal(res.statusCode, status, `${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(errorCode(res.body), code, JSON.stringify(payload));
    }
  });

  it('refuses a name already in force', async () => {
    const body = { name: 'dupe', groups: ['diskominfo-humas'], allow: ['youtube'], until: UNTIL, reason: 'x' };
    assert.equal((await post('operator', body)).statusCode, 201);
    const again = await post('operator', body);
    assert.equal(again.statusCode, 409);
    assert.equal(errorCode(again.body), 'EXEMPTION_NAME_TAKEN');
  });

  it('revokes once, then 409; unknown ids 404; the list shows statuses', async () => {
    const created = (await post('operator', { name: 'to-revoke', groups: ['diskominfo-humas'], allow: ['vimeo'], until: UNTIL, reason: 'x' })).json() as { exemption: ExemptionJson };
    const id = created.exemption.id;
    const s = await t.login('operator');
    const changes = t.exemptionChanges.count;
    const res = await t.app.inject({ method: 'DELETE', url: `/api/exemptions/${id}`, headers: authed(s) });
    assert.equal(res.statusCode, 200);
    const revoked = (res.json() as { exemption: ExemptionJson }).exemption;
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.revokedBy, 'operator');
    assert.equal(t.exemptionChanges.count, changes + 1);
    const again = await t.app.inject({ method: 'DELETE', url: `/api/exemptions/${id}`, headers: authed(s) });
    assert.equal(again.statusCode, 409);
    assert.equal(errorCode(again.body), 'ALREADY_REVOKED');
    const missing = await t.app.inject({ method: 'DELETE', url: '/api/exemptions/99999', headers: authed(s) });
    assert.equal(missing.statusCode, 404);
    assert.equal(errorCode(missing.body), 'NOT_FOUND');
    const badId = await t.app.inject({ method: 'DELETE', url: '/api/exemptions/abc', headers: authed(s) });
    assert.equal(badId.statusCode, 400);
    const audit = await t.store.audit.list({ action: 'exemption.revoke' });
    assert.equal((audit.entries[0]?.before as ExemptionJson).status, 'active');
    assert.equal((audit.entries[0]?.after as ExemptionJson).status, 'revoked');

    const v = await t.login('viewer');
    const list = async (status: string) => ((await t.app.inject({ method: 'GET', url: `/api/exemptions?status=${status}`, headers: { cookie: v.cookie } })).json() as { exemptions: ExemptionJson[] }).exemptions;
    assert.deepEqual((await list('revoked')).map((e) => e.id), [id]);
    assert.ok((await list('active')).every((e) => e.status === 'active'));
    assert.ok((await list('all')).length >= 4);
    // At 16:00 every exemption above has expired by itself.
    t.clock.now = Date.parse(UNTIL);
    try {
      assert.deepEqual(await list('active'), []);
      assert.ok((await list('expired')).length >= 3);
    } finally {
      t.clock.now = Date.parse('2026-05-04T08:00:00+07:00');
    }
    const bad = await t.app.inject({ method: 'GET', url: '/api/exemptions?status=bogus', headers: { cookie: v.cookie } });
    assert.equal(bad.statusCode, 400);
  });
});
