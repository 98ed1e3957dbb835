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
