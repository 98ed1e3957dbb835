import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { QueryLogEntry } from '../../src/store/index.js';
import { createTestApp, MONDAY_0800 } from './test-app.js';
import type { TestApp } from './test-app.js';

function entry(over: Partial<QueryLogEntry>): QueryLogEntry {
  return {
    time: MONDAY_0800, client: '10.20.1.1', name: 'www.tiktok.com', type: 'A', action: 'monitor', service: 'tiktok', rule: 'uji-tiktok',
    exemption: null, rcode: 'NOERROR', latencyMs: 2.5, upstream: 'udp://1.1.1.1:53', cached: false, ...over,
  };
}

describe('rules on trial in the query log and the overview', () => {
  let t: TestApp;
  let cookie: string;
  before(async () => {
    t = await createTestApp();
    cookie = (await t.login('viewer')).cookie;
    t.store.queryLog.append(entry({ time: MONDAY_0800 - 60_000 }));
    t.store.queryLog.append(entry({ time: MONDAY_0800 - 30_000, client: '10.20.1.2' }));
    t.store.queryLog.append(entry({ time: MONDAY_0800 - 20_000, name: 'www.netflix.com', service: 'netflix' }));
    t.store.queryLog.append(entry({ time: MONDAY_0800 - 10_000, action: 'block', name: 'www.youtube.com', service: 'youtube', rule: 'blokir', rcode: 'NXDOMAIN', upstream: null }));
    // Yesterday: not counted today.
    t.store.queryLog.append(entry({ time: MONDAY_0800 - 86_400_000 }));
    await t.store.queryLog.flush();
  });
  after(async () => { await t.close(); });

  const get = async (url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });

  it('keeps would-block rows apart from blocks', async () => {
    const monitor = (await get('/api/queries?action=monitor')).json() as { items: { action: string; rule: string }[] };
    assert.equal(monitor.items.length, 4);
    assert.ok(monitor.items.every((r) => r.action === 'monitor' && r.rule === 'uji-tiktok'));
    const blocked = (await get('/api/queries?action=block')).json() as { items: { name: string }[] };
    assert.deepEqual(blocked.items.map((r) => r.name), ['www.youtube.com']);
  });

  it('the overview counts them today, by service, and not as blocked', async () => {
    const o = (await get('/api/overview')).json() as { totals: { queries: number; blocked: number; wouldBlock: number }; wouldBlockByService: { service: string; count: number }[] };
    assert.deepEqual(o.totals, { queries: 4, blocked: 1, wouldBlock: 3 });
    assert.deepEqual(o.wouldBlockByService, [{ service: 'tiktok', count: 2 }, { service: 'netflix', count: 1 }]);
  });
});
