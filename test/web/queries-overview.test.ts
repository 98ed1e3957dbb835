import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { QueryLogEntry } from '../../src/store/index.js';
import { authed, createTestApp, MONDAY_0800 } from './test-app.js';
import type { TestApp } from './test-app.js';

interface Row { id: number; time: string; client: string; name: string; action: string; service: string | null; cached: boolean }
interface Page { items: Row[]; nextCursor: string | null; partial: boolean }
const errorCode = (body: string): string => (JSON.parse(body) as { error: { code: string } }).error.code;
const MIN = 60_000;

function entry(over: Partial<QueryLogEntry>): QueryLogEntry {
  return {
    time: MONDAY_0800, client: '10.20.1.1', name: 'portal.pasuruankota.go.id', type: 'A', action: 'allow', service: null, rule: null,
    exemption: null, rcode: 'NOERROR', latencyMs: 2.5, upstream: 'udp://1.1.1.1:53', cached: false, ...over,
  };
}

describe('query log, audit, overview and explain API', () => {
  let t: TestApp;
  let viewer: { cookie: string; csrf: string };
  before(async () => {
    t = await createTestApp();
    viewer = await t.login('viewer');
    const block = (client: string, service: string, name: string, time: number) =>
      entry({ time, client, name, action: 'block', service, rule: 'blokir-streaming-jam-kerja', rcode: 'NXDOMAIN', upstream: null });
    // Yesterday (before local midnight): counted per minute but not "today".
    t.store.queryLog.append(block('10.20.5.7', 'youtube', 'www.youtube.com', Date.parse('2026-05-03T23:30:00+07:00')));
    for (let i = 0; i < 6; i++) t.store.queryLog.append(block('10.20.5.7', 'youtube', `r${i}.googlevideo.com`, MONDAY_0800 - 30 * MIN + i * MIN));
    for (let i = 0; i < 3; i++) t.store.queryLog.append(block('10.20.9.17', 'vidio', 'www.vidio.com', MONDAY_0800 - 20 * MIN + i));
    t.store.queryLog.append(block('10.30.0.1', 'youtube', 'm.youtube.com', MONDAY_0800 - 10 * MIN));
    t.store.queryLog.append(block('172.16.0.1', 'youtube', 'm.youtube.com', MONDAY_0800 - 10 * MIN));
    for (let i = 0; i < 20; i++) t.store.queryLog.append(entry({ time: MONDAY_0800 - 40 * MIN + i * MIN, client: `10.20.5.${i % 4}`, cached: i % 2 === 0 }));
    await t.store.queryLog.flush();
  });
  after(async () => { await t.close(); });

  const get = async (url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: viewer.cookie } });

  it('needs a session', async () => {
    for (const url of ['/api/queries', '/api/audit', '/api/overview', '/api/explain?client=10.0.0.1&name=a.b', '/api/policy']) {
      const res = await t.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 401, url);
      assert.equal(errorCode(res.body), 'UNAUTHENTICATED');
    }
  });

  it('filters the query log and pages through it with a cursor, newest first', async () => {
    let res = await get('/api/queries?action=block&client=10.20.5.7');
    assert.equal(res.statusCode, 200);
    let page = res.json() as Page;
    assert.equal(page.items.length, 7);
    assert.ok(page.items.every((r) => r.action === 'block' && r.client === '10.20.5.7'));
    res = await get('/api/queries?service=vidio');
    assert.equal((res.json() as Page).items.length, 3);
    res = await get('/api/queries?name=GOOGLEVIDEO');
    page = res.json() as Page;
    assert.equal(page.items.length, 6);
    assert.equal(page.items[0]?.name, 'r5.googlevideo.com');
    res = await get(`/api/queries?since=${encodeURIComponent('2026-05-04T07:45:00+07:00')}&until=${encodeURIComponent('2026-05-04T07:50:00+07:00')}`);
    page = res.json() as Page;
    assert.deepEqual(page.items.map((r) => r.time), []);
    res = await get(`/api/queries?since=${encodeURIComponent('2026-05-04T07:45:00+07:00')}&until=${encodeURIComponent('2026-05-04T07:55:00+07:00')}`);
    page = res.json() as Page;
    assert.deepEqual(page.items.map((r) => r.client), ['10.30.0.1', '172.16.0.1'].reverse());

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r = await get(`/api/queries?limit=4${cursor === null ? '' : `&cursor=${cursor}`}`);
      const p = r.json() as Page;
      seen.push(...p.items.map((i) => i.id));
      cursor = p.nextCursor;
    } while (cursor !== null);
    assert.equal(seen.length, 32);
    assert.equal(new Set(seen).size, 32);
    const all = ((await get('/api/queries?limit=500')).json() as Page).items;
    assert.deepEqual(seen, all.map((i) => i.id));
    const times = all.map((i) => Date.parse(i.time));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
  });

  it('rejects bad query strings', async () => {
    assert.equal(errorCode((await get('/api/queries?cursor=bm9wZQ')).body), 'INVALID_CURSOR');
    assert.equal(errorCode((await get('/api/queries?since=yesterday')).body), 'VALIDATION_FAILED');
    assert.equal(errorCode((await get('/api/queries?action=maybe')).body), 'VALIDATION_FAILED');
    assert.equal(errorCode((await get('/api/queries?limit=0')).body), 'VALIDATION_FAILED');
    assert.equal((await get('/api/queries?limit=501')).statusCode, 400);
  });

  it('summarises today: by service, by most specific group, top clients, per minute', async () => {
    const res = await get('/api/overview');
    assert.equal(res.statusCode, 200);
    const o = res.json() as {
      day: { from: string }; totals: { queries: number; blocked: number };
      blockedByService: { service: string; count: number }[]; blockedByGroup: { group: string | null; count: number }[];
      topBlockedClients: { client: string; count: number; group: string | null }[]; queriesPerMinute: { minute: string; total: number; blocked: number }[];
    };
    assert.equal(o.day.from, '2026-05-03T17:00:00.000Z');
    assert.deepEqual(o.totals, { queries: 31, blocked: 11, wouldBlock: 0 });
    assert.deepEqual(o.blockedByService, [{ service: 'youtube', count: 8 }, { service: 'vidio', count: 3 }]);
    assert.deepEqual(o.blockedByGroup, [
      { group: 'diskominfo-humas', count: 6 }, { group: 'ruang-rapat-walikota', count: 3 }, { group: 'semua', count: 2 },
    ]);
    assert.deepEqual(o.topBlockedClients[0], { client: '10.20.5.7', count: 6, group: 'diskominfo-humas' });
    const perMinute = o.queriesPerMinute.reduce((n, m) => n + m.total, 0);
    assert.equal(perMinute, 32);
    assert.equal(o.queriesPerMinute.reduce((n, m) => n + m.blocked, 0), 12);
  });

  it('explains a decision', async () => {
    let res = await get('/api/explain?client=10.20.5.7&name=WWW.YouTube.com.');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      client: '10.20.5.7', name: 'www.youtube.com', at: '2026-05-04T01:00:00.000Z', action: 'block', service: 'youtube',
      rule: 'blokir-streaming-jam-kerja', exemption: null, until: '2026-05-04T09:00:00.000Z',
    });
    res = await get(`/api/explain?client=10.20.5.7&name=www.youtube.com&at=${encodeURIComponent('2026-05-04T17:00:00+07:00')}`);
    assert.equal((res.json() as { action: string }).action, 'allow');
    assert.equal(errorCode((await get('/api/explain?client=not-an-ip&name=youtube.com')).body), 'VALIDATION_FAILED');
    assert.equal(errorCode((await get('/api/explain?client=10.0.0.1&name=youtube.com&at=soon')).body), 'VALIDATION_FAILED');
    assert.equal((await get('/api/explain?client=10.0.0.1')).statusCode, 400);
  });

  it('lists the audit log newest first with a cursor', async () => {
    const admin = await t.login('admin');
    for (let i = 0; i < 3; i++) {
      await t.app.inject({ method: 'POST', url: '/api/users', headers: authed(admin), payload: { username: `u${i}`, role: 'viewer', password: 'password-long-1' } });
    }
    let res = await get('/api/audit?limit=2');
    assert.equal(res.statusCode, 200);
    const first = res.json() as { items: { target: string; action: string; user: string; time: string }[]; nextCursor: string };
    assert.deepEqual(first.items.map((i) => i.target), ['user:u2', 'user:u1']);
    assert.equal(first.items[0]?.user, 'admin');
    assert.equal(first.items[0]?.time, '2026-05-04T01:00:00.000Z');
    res = await get(`/api/audit?limit=2&cursor=${first.nextCursor}`);
    assert.deepEqual((res.json() as { items: { target: string }[] }).items.map((i) => i.target), ['user:u0']);
    res = await get('/api/audit?action=exemption.create');
    assert.deepEqual((res.json() as { items: unknown[] }).items, []);
    assert.equal(errorCode((await get('/api/audit?cursor=%21%21')).body), 'INVALID_CURSOR');
  });
});
