import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { createTestApp } from './test-app.js';
import type { TestApp } from './test-app.js';

interface Status {
  timezone: string; now: string; streamingBlocked: boolean; nextChange: string | null; holidaysToday: boolean;
  today: { date: string; weekday: string; holiday: boolean; holidayName: string | null };
  rules: { name: string; active: boolean; until: string | null; services: string[] }[];
}

describe('health, metrics, status', () => {
  let t: TestApp;
  let registry: Registry;
  before(async () => {
    registry = new Registry();
    new Counter({ name: 'rambu_dns_queries_total', help: 'DNS queries answered', registers: [registry] }).inc(3);
    t = await createTestApp({ metrics: registry });
  });
  after(async () => { await t.close(); });

  it('GET /healthz', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  it('GET /metrics serves the registry as Prometheus text', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/plain/);
    assert.match(res.body, /^rambu_dns_queries_total 3$/m);
  });

  it('GET /api/status in work hours: streaming blocked until 16:00', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/status' });
    assert.equal(res.statusCode, 200);
    const s = res.json() as Status;
    assert.equal(s.timezone, 'Asia/Jakarta');
    assert.equal(s.now, '2026-05-04T01:00:00.000Z');
    assert.deepEqual(s.today, { date: '2026-05-04', weekday: 'mon', holiday: false, holidayName: null });
    assert.equal(s.streamingBlocked, true);
    assert.equal(s.nextChange, '2026-05-04T09:00:00.000Z');
    assert.equal(s.rules[0]?.active, true);
    assert.equal(s.rules[0]?.until, '2026-05-04T09:00:00.000Z');
    assert.deepEqual(s.rules[0]?.services, ['youtube', 'vidio', 'vimeo']);
  });

  it('GET /api/status at 16:00 and on Saturday: not blocked, next change on the next working morning', async () => {
    const saved = t.clock.now;
    try {
      t.clock.now = Date.parse('2026-05-04T16:00:00+07:00');
      let s = (await t.app.inject({ method: 'GET', url: '/api/status' })).json() as Status;
      assert.equal(s.streamingBlocked, false);
      assert.equal(s.nextChange, '2026-05-05T00:00:00.000Z');
      t.clock.now = Date.parse('2026-05-09T10:00:00+07:00');
      s = (await t.app.inject({ method: 'GET', url: '/api/status' })).json() as Status;
      assert.equal(s.today.weekday, 'sat');
      assert.equal(s.streamingBlocked, false);
      assert.equal(s.nextChange, '2026-05-11T00:00:00.000Z');
      t.clock.now = Date.parse('2026-12-25T10:00:00+07:00');
      s = (await t.app.inject({ method: 'GET', url: '/api/status' })).json() as Status;
      assert.equal(s.holidaysToday, true);
      assert.equal(s.today.holidayName, 'Hari Raya Natal');
    } finally {
      t.clock.now = saved;
    }
  });

  it('sends a strict Content-Security-Policy and no-store on API answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/status' });
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.doesNotMatch(csp, /upgrade-insecure-requests/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['strict-transport-security'], undefined);
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nope' });
    assert.equal(res.statusCode, 404);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'NOT_FOUND');
  });
});

describe('without metrics or UI', () => {
  it('GET /metrics is 404 and other paths too', async () => {
    const t = await createTestApp({ users: false });
    try {
      assert.equal((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
      assert.equal((await t.app.inject({ method: 'GET', url: '/overview' })).statusCode, 404);
    } finally {
      await t.close();
    }
  });
});

describe('static UI', () => {
  let t: TestApp;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rambu-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>rambu</title><script type="module" src="/assets/main-ABCD1234.js"></script>');
    writeFileSync(join(dir, 'assets', 'main-ABCD1234.js'), 'console.log(1)');
    t = await createTestApp({ staticDir: dir, users: false });
  });
  after(async () => { await t.close(); rmSync(dir, { recursive: true, force: true }); });

  it('serves hashed assets as immutable and index.html as no-cache', async () => {
    const asset = await t.app.inject({ method: 'GET', url: '/assets/main-ABCD1234.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const index = await t.app.inject({ method: 'GET', url: '/' });
    assert.equal(index.statusCode, 200);
    assert.match(index.body, /<title>rambu<\/title>/);
    assert.equal(index.headers['cache-control'], 'no-cache');
  });

  it('falls back to index.html for client-side routes, not for /api', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/pengecualian?x=1' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<title>rambu<\/title>/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    const api = await t.app.inject({ method: 'GET', url: '/api/unknown' });
    assert.equal(api.statusCode, 404);
    assert.equal((api.json() as { error: { code: string } }).error.code, 'NOT_FOUND');
    const missingAsset = await t.app.inject({ method: 'POST', url: '/assets/x.js' });
    assert.equal(missingAsset.statusCode, 404);
  });
});

describe('enforcement in GET /api/status', () => {
  it('is null without an enforce section, and the enforcer\'s status with one', async () => {
    const none = await createTestApp({ users: false });
    try {
      assert.equal(((await none.app.inject({ method: 'GET', url: '/api/status' })).json() as { enforcement: unknown }).enforcement, null);
    } finally {
      await none.close();
    }
    const t = await createTestApp({
      users: false,
      enforcement: () => ({
        backend: 'nftables', running: false, addresses: { youtube: 3 }, sharedAddresses: 2, lastBoundary: Date.parse('2026-05-04T00:00:00Z'),
        lastCutMs: 41.6, connectionsCut: 7, nextBoundary: null, lastError: 'nft failed with exit code 1: Operation not permitted', evaluations: 4, failures: 1,
      }),
    });
    try {
      assert.deepEqual(((await t.app.inject({ method: 'GET', url: '/api/status' })).json() as { enforcement: unknown }).enforcement, {
        backend: 'nftables', running: false, addresses: { youtube: 3 }, sharedAddresses: 2, lastBoundary: '2026-05-04T00:00:00.000Z',
        lastCutMs: 42, connectionsCut: 7, nextBoundary: null, lastError: 'nft failed with exit code 1: Operation not permitted',
      });
    } finally {
      await t.close();
    }
  });
});
