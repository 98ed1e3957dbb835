import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DnsSettings } from '../../src/config/index.js';
import { RCODE, RR_TYPE } from '../../src/dns/index.js';
import { FakePolicy } from './fake-policy.js';
import { FakeUpstream, rr, soa } from './fake-upstream.js';
import { dig, startGateway, testSettings, udpQuery, type Gateway } from './dns-test-kit.js';

let up: FakeUpstream;

before(async () => {
  up = await FakeUpstream.start();
  up.set('ttl.example', RR_TYPE.A, { answers: [rr('ttl.example', RR_TYPE.A, 300, '192.0.2.1')] });
  up.set('ttl.example', RR_TYPE.AAAA, { answers: [rr('ttl.example', RR_TYPE.AAAA, 300, '2001:db8::1')] });
  up.set('short.example', RR_TYPE.A, { answers: [rr('short.example', RR_TYPE.A, 2, '192.0.2.2')] });
  up.set('long.example', RR_TYPE.A, { answers: [rr('long.example', RR_TYPE.A, 999999, '192.0.2.3')] });
  up.set('zero.example', RR_TYPE.A, { answers: [rr('zero.example', RR_TYPE.A, 0, '192.0.2.4')] });
  up.set('gone.example', RR_TYPE.A, { rcode: RCODE.NXDOMAIN, authorities: [soa('example', 3600, 120)] });
  up.set('nodata.example', RR_TYPE.AAAA, { authorities: [soa('example', 30, 900)] });
  up.set('nosoa.example', RR_TYPE.A, { rcode: RCODE.NXDOMAIN });
  up.set('neglong.example', RR_TYPE.A, { rcode: RCODE.NXDOMAIN, authorities: [soa('example', 86400, 86400)] });
});

after(async () => { await up.stop(); });

async function withGateway(cache: Partial<DnsSettings['cache']>, fn: (gw: Gateway) => Promise<void>): Promise<void> {
  const base = testSettings([up.spec()]);
  const gw = await startGateway({ ...base, cache: { ...base.cache, ...cache } }, new FakePolicy());
  try { await fn(gw); } finally { await gw.stop(); }
}

test('cached TTLs count down with the clock and the entry expires', async () => {
  await withGateway({}, async (gw) => {
    const t0 = gw.clock.now;
    assert.equal((await dig(gw.port, ['ttl.example', 'A'])).answer[0]!.ttl, 300);
    gw.clock.now = t0 + 100_000;
    const d = await dig(gw.port, ['TTL.example', 'A']);
    assert.equal(d.answer[0]!.ttl, 200);
    assert.equal(up.count('ttl.example', RR_TYPE.A), 1);
    assert.equal(gw.server.stats.cacheHits, 1);
    gw.clock.now = t0 + 300_000;
    assert.equal((await dig(gw.port, ['ttl.example', 'A'])).answer[0]!.ttl, 300);
    assert.equal(up.count('ttl.example', RR_TYPE.A), 2, 'refetched after expiry');
  });
});

test('the cache is keyed by type', async () => {
  await withGateway({}, async (gw) => {
    await dig(gw.port, ['ttl.example', 'A']);
    const d = await dig(gw.port, ['ttl.example', 'AAAA']);
    assert.deepEqual(d.answer.map((r) => r.data), ['2001:db8::1']);
  });
});

test('minTtl and maxTtl bound the TTLs kept', async () => {
  await withGateway({ minTtl: 60, maxTtl: 3600 }, async (gw) => {
    assert.equal((await dig(gw.port, ['short.example', 'A'])).answer[0]!.ttl, 60);
    assert.equal((await dig(gw.port, ['long.example', 'A'])).answer[0]!.ttl, 3600);
  });
});

test('a TTL of 0 is passed on and not cached', async () => {
  await withGateway({}, async (gw) => {
    await dig(gw.port, ['zero.example', 'A']);
    const d = await dig(gw.port, ['zero.example', 'A']);
    assert.equal(d.answer[0]!.ttl, 0);
    assert.equal(up.count('zero.example'), 2);
  });
});

test('NXDOMAIN is cached for the SOA minimum, NODATA for the SOA TTL, both bounded', async () => {
  await withGateway({ negativeMaxTtl: 600 }, async (gw) => {
    const t0 = gw.clock.now;
    const first = await dig(gw.port, ['gone.example', 'A']);
    assert.equal(first.status, 'NXDOMAIN');
    assert.equal(first.authority[0]!.ttl, 120);
    gw.clock.now = t0 + 119_000;
    const cached = await dig(gw.port, ['gone.example', 'A']);
    assert.equal(cached.status, 'NXDOMAIN');
    assert.equal(cached.authority[0]!.ttl, 1);
    assert.equal(up.count('gone.example'), 1);
    gw.clock.now = t0 + 120_000;
    await dig(gw.port, ['gone.example', 'A']);
    assert.equal(up.count('gone.example'), 2);

    const nodata = await dig(gw.port, ['nodata.example', 'AAAA']);
    assert.equal(nodata.status, 'NOERROR');
    assert.equal(nodata.authority[0]!.ttl, 30);

    assert.equal((await dig(gw.port, ['neglong.example', 'A'])).authority[0]!.ttl, 600);

    await dig(gw.port, ['nosoa.example', 'A']);
    await dig(gw.port, ['nosoa.example', 'A']);
    assert.equal(up.count('nosoa.example'), 2, 'no SOA: not cached');
  });
});

test('the cache holds at most `size` entries, evicting the least recently used', async () => {
  up.respond = (q) => ({ answers: [rr(q.name, RR_TYPE.A, 300, '192.0.2.9')] });
  await withGateway({ size: 3 }, async (gw) => {
    for (const n of ['l1', 'l2', 'l3']) await udpQuery(gw.port, `${n}.example`, RR_TYPE.A);
    await udpQuery(gw.port, 'l1.example', RR_TYPE.A); // l1 is now the most recent
    await udpQuery(gw.port, 'l4.example', RR_TYPE.A); // evicts l2
    await udpQuery(gw.port, 'l1.example', RR_TYPE.A);
    await udpQuery(gw.port, 'l2.example', RR_TYPE.A);
    assert.equal(up.count('l1.example'), 1);
    assert.equal(up.count('l2.example'), 2);
  });
});

test('size 0 disables the cache', async () => {
  await withGateway({ size: 0 }, async (gw) => {
    await udpQuery(gw.port, 'ttl.example', RR_TYPE.AAAA);
    const before = up.count('ttl.example', RR_TYPE.AAAA);
    await udpQuery(gw.port, 'ttl.example', RR_TYPE.AAAA);
    assert.equal(up.count('ttl.example', RR_TYPE.AAAA), before + 1);
  });
});
