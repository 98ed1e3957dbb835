/** GET /api/traffic, /api/traffic/series and /api/probes over a real store. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp, MONDAY_0800 } from './test-app.js';

test('traffic totals, series and probe summaries for signed-in users only', async () => {
  const t = await createTestApp({ withTraffic: true });
  try {
    const m = MONDAY_0800;
    await t.store.flows.add([
      { minute: m, client: '10.20.5.7', group: 'bappeda', service: 'youtube', bytes: 9000, packets: 9, flows: 2 },
      { minute: m + 60_000, client: '10.20.5.7', group: 'bappeda', service: 'other', bytes: 500, packets: 5, flows: 1 },
      { minute: m + 3_600_000, client: '10.30.0.1', group: 'dinkes', service: 'youtube', bytes: 1000, packets: 1, flows: 1 },
    ], []);
    for (const [ok, total] of [[true, 80], [true, 120], [false, null]] as const) {
      await t.store.probes.add({ time: m, name: 'sijaja', ok, status: ok ? 200 : null, dnsMs: 1, connectMs: 2, tlsMs: null, firstByteMs: 5, totalMs: total, error: ok ? null : 'ECONNREFUSED' });
    }
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/traffic?by=service' })).statusCode, 401);
    const { cookie } = await t.login('viewer');
    const get = async (url: string) => { const r = await t.app.inject({ method: 'GET', url, headers: { cookie } }); return { status: r.statusCode, body: r.json() as unknown }; };
    assert.deepEqual((await get('/api/traffic?by=service')).body, { rows: [{ key: 'youtube', bytes: 10000, packets: 10, flows: 3 }, { key: 'other', bytes: 500, packets: 5, flows: 1 }], streamingBytes: 10000 });
    assert.deepEqual((await get(`/api/traffic?by=group&to=${encodeURIComponent(new Date(m + 3_600_000).toISOString())}`)).body, { rows: [{ key: 'bappeda', bytes: 9500, packets: 14, flows: 3 }], streamingBytes: 9000 });
    assert.deepEqual((await get('/api/traffic/series?by=service&bucket=hour')).body, { points: [
      { time: new Date(m).toISOString(), key: 'youtube', bytes: 9000 },
      { time: new Date(m).toISOString(), key: 'other', bytes: 500 },
      { time: new Date(m + 3_600_000).toISOString(), key: 'youtube', bytes: 1000 },
    ] });
    assert.deepEqual((await get('/api/probes')).body, { rows: [{ key: 'sijaja', probes: 3, available: 2, availability: 0.6667, p50Ms: 80, p95Ms: 120 }] });
    assert.equal((await get('/api/traffic?by=department')).status, 400);
    assert.equal((await get('/api/traffic?by=service&from=yesterday')).status, 400);
  } finally {
    await t.close();
  }
});

test('GET /api/traffic/compare: streaming share and probe latency in the work hours of working days on each side of a date', async () => {
  const t = await createTestApp({ withTraffic: true });
  try {
    const m = MONDAY_0800; // Monday 2026-05-04 08:00 Jakarta
    const at = (iso: string): number => Date.parse(iso);
    await t.store.flows.add([
      // Friday 1 May, 10:00 and 17:00 (after hours), Saturday 2 May (weekend): only the first counts before.
      { minute: at('2026-05-01T10:00:00+07:00'), client: '10.20.5.7', group: 'bappeda', service: 'youtube', bytes: 3000, packets: 3, flows: 1 },
      { minute: at('2026-05-01T10:00:00+07:00'), client: '10.20.5.7', group: 'bappeda', service: 'other', bytes: 1000, packets: 1, flows: 1 },
      { minute: at('2026-05-01T17:00:00+07:00'), client: '10.20.5.7', group: 'bappeda', service: 'youtube', bytes: 5555, packets: 5, flows: 1 },
      { minute: at('2026-05-02T10:00:00+07:00'), client: '10.20.5.7', group: 'bappeda', service: 'youtube', bytes: 99_999, packets: 99, flows: 1 },
      // Monday from 08:00, up to now (10:00).
      { minute: m, client: '10.20.5.7', group: 'bappeda', service: 'youtube', bytes: 1000, packets: 1, flows: 1 },
      { minute: m + 3_600_000, client: '10.30.0.1', group: 'dinkes', service: 'other', bytes: 3000, packets: 3, flows: 1 },
      { minute: m + 2 * 3_600_000, client: '10.30.0.1', group: 'dinkes', service: 'vidio', bytes: 7777, packets: 7, flows: 1 },
    ], []);
    await t.store.probes.add({ time: at('2026-05-01T09:00:00+07:00'), name: 'sijaja', ok: true, status: 200, dnsMs: 1, connectMs: 2, tlsMs: null, firstByteMs: 5, totalMs: 400, error: null });
    await t.store.probes.add({ time: at('2026-05-01T20:00:00+07:00'), name: 'sijaja', ok: true, status: 200, dnsMs: 1, connectMs: 2, tlsMs: null, firstByteMs: 5, totalMs: 9000, error: null });
    await t.store.probes.add({ time: m + 60_000, name: 'sijaja', ok: true, status: 200, dnsMs: 1, connectMs: 2, tlsMs: null, firstByteMs: 5, totalMs: 40, error: null });
    t.clock.now = m + 2 * 3_600_000;
    const { cookie } = await t.login('viewer');
    const get = async (url: string) => { const r = await t.app.inject({ method: 'GET', url, headers: { cookie } }); return { status: r.statusCode, body: r.json() as unknown }; };
    const probe = (ms: number) => [{ key: 'sijaja', probes: 1, available: 1, availability: 1, p50Ms: ms, p95Ms: ms }];
    assert.deepEqual((await get('/api/traffic/compare?date=2026-05-04&days=1')).body, {
      date: '2026-05-04', days: 1, timezone: 'Asia/Jakarta', workHours: { from: '07:00', to: '16:00' },
      before: { dates: ['2026-05-01'], bytes: 4000, streamingBytes: 3000, streamingShare: 0.75, probes: probe(400) },
      after: { dates: ['2026-05-04'], bytes: 4000, streamingBytes: 1000, streamingShare: 0.25, probes: probe(40) },
    });
    const wide = (await get('/api/traffic/compare?date=2026-05-04')).body as { days: number; before: { dates: string[] } };
    assert.equal(wide.days, 5);
    assert.deepEqual(wide.before.dates, ['2026-04-27', '2026-04-28', '2026-04-29', '2026-04-30', '2026-05-01']);
    assert.equal((await get('/api/traffic/compare?date=4-5-2026')).status, 400);
    assert.equal((await get('/api/traffic/compare?date=2026-05-04&days=0')).status, 400);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/traffic/compare?date=2026-05-04' })).statusCode, 401);
  } finally {
    await t.close();
  }
});
