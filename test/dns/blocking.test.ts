import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RCODE, RR_TYPE } from '../../src/dns/index.js';
import { FakePolicy } from './fake-policy.js';
import { FakeUpstream, rr } from './fake-upstream.js';
import { dig, MON_0658, MON_0700, MON_1600, startGateway, testSettings, udpQuery, type Gateway } from './dns-test-kit.js';

let up: FakeUpstream;
const policy = new FakePolicy([
  { service: 'youtube', domains: ['youtube.com', 'googlevideo.com', 'ytimg.com'], from: MON_0700, to: MON_1600, rule: 'blokir-streaming-jam-kerja' },
  { service: 'vimeo', domains: ['vimeo.com', 'vimeocdn.com'], from: null, to: null, rule: 'always-vimeo' },
]);

before(async () => {
  up = await FakeUpstream.start();
  up.respond = (q) => {
    if (q.type === RR_TYPE.A) return { answers: [rr(q.name, RR_TYPE.A, 3600, '192.0.2.10')] };
    if (q.type === RR_TYPE.AAAA) return { answers: [rr(q.name, RR_TYPE.AAAA, 3600, '2001:db8::10')] };
    return { answers: [] };
  };
  // A harmless-looking name whose CNAME enters a blocked service.
  up.set('video.news.example', RR_TYPE.A, {
    answers: [
      rr('video.news.example', RR_TYPE.CNAME, 3600, 'cdn.news.example'),
      rr('cdn.news.example', RR_TYPE.CNAME, 3600, 'player.vimeocdn.com'),
      rr('player.vimeocdn.com', RR_TYPE.A, 3600, '192.0.2.77'),
    ],
  });
  // A chain into youtube, allowed before 07:00: TTLs must be clamped by the target's `until`.
  up.set('yt.news.example', RR_TYPE.A, {
    answers: [rr('yt.news.example', RR_TYPE.CNAME, 3600, 'www.youtube.com'), rr('www.youtube.com', RR_TYPE.A, 3600, '192.0.2.88')],
  });
});

after(async () => { await up.stop(); });

async function withGateway(over: Parameters<typeof testSettings>[1], fn: (gw: Gateway) => Promise<void>): Promise<void> {
  const gw = await startGateway(testSettings([up.spec()], over), policy);
  try { await fn(gw); } finally { await gw.stop(); }
}

const QTYPES = ['A', 'AAAA', 'HTTPS', 'SVCB', 'CNAME', 'MX', 'TXT', 'NS', 'SOA', 'SRV', 'PTR', 'CAA', 'DS', 'ANY', 'TYPE65280'];

test('a blocked name is NXDOMAIN for every query type, with a short SOA, over UDP and TCP', async () => {
  await withGateway({}, async (gw) => {
    gw.clock.now = MON_0700 + 60_000;
    const before = up.seen.length;
    for (const type of QTYPES) {
      for (const transport of ['+notcp', '+tcp']) {
        const d = await dig(gw.port, [transport, 'www.YouTube.com', type]);
        assert.equal(d.status, 'NXDOMAIN', `${type} ${transport}`);
        assert.equal(d.answer.length, 0);
        assert.equal(d.authority.length, 1, `${type} has an SOA`);
        const soa = d.authority[0]!;
        assert.equal(soa.type, 'SOA');
        assert.ok(soa.ttl <= 10);
        assert.match(soa.data, /rambu\.invalid\. .* 10$/, 'SOA minimum is the block TTL');
      }
    }
    assert.equal(up.seen.length, before, 'nothing blocked was forwarded');
    const entry = gw.log.find((e) => e.name === 'www.youtube.com')!;
    assert.deepEqual([entry.action, entry.service, entry.rule, entry.rcode], ['block', 'youtube', 'blokir-streaming-jam-kerja', 'NXDOMAIN']);
  });
});

test('blockResponse nullip: 0.0.0.0 and :: for A/AAAA, NODATA with SOA for others', async () => {
  await withGateway({ blockResponse: { kind: 'nullip' }, blockTtl: 5 }, async (gw) => {
    const a = await dig(gw.port, ['player.vimeo.com', 'A']);
    assert.equal(a.status, 'NOERROR');
    assert.deepEqual(a.answer.map((r) => [r.data, r.ttl]), [['0.0.0.0', 5]]);
    const aaaa = await dig(gw.port, ['player.vimeo.com', 'AAAA']);
    assert.deepEqual(aaaa.answer.map((r) => r.data), ['::']);
    const https = await dig(gw.port, ['player.vimeo.com', 'HTTPS']);
    assert.equal(https.status, 'NOERROR');
    assert.equal(https.answer.length, 0);
    assert.equal(https.authority[0]?.type, 'SOA');
    assert.equal(https.authority[0]?.ttl, 5);
  });
});

test('blockResponse refused answers REFUSED', async () => {
  await withGateway({ blockResponse: { kind: 'refused' } }, async (gw) => {
    const reply = await udpQuery(gw.port, 'vimeo.com', RR_TYPE.MX);
    assert.equal(reply.flags & 0xf, RCODE.REFUSED);
  });
});

test('blockResponse address: the block page for its family, NODATA for the other', async () => {
  await withGateway({ blockResponse: { kind: 'address', v4: '10.0.0.80', v6: null } }, async (gw) => {
    const a = await dig(gw.port, ['vimeo.com', 'A']);
    assert.deepEqual(a.answer.map((r) => r.data), ['10.0.0.80']);
    const aaaa = await dig(gw.port, ['vimeo.com', 'AAAA']);
    assert.equal(aaaa.status, 'NOERROR');
    assert.equal(aaaa.answer.length, 0);
    assert.equal(aaaa.authority[0]?.type, 'SOA');
  });
});

test('an allowed name whose CNAME chain enters a blocked service is blocked', async () => {
  await withGateway({}, async (gw) => {
    const d = await dig(gw.port, ['video.news.example', 'A']);
    assert.equal(d.status, 'NXDOMAIN');
    assert.equal(d.answer.length, 0);
    const entry = gw.log.at(-1)!;
    assert.deepEqual([entry.name, entry.action, entry.service, entry.rule], ['video.news.example', 'block', 'vimeo', 'always-vimeo']);
    // From the cache the second time: still blocked.
    const again = await dig(gw.port, ['video.news.example', 'A']);
    assert.equal(again.status, 'NXDOMAIN');
    assert.equal(up.count('video.news.example'), 1);
  });
});

test('at 06:58 a name blocked from 07:00 gets TTLs of at most 120 s, fresh and from the cache', async () => {
  await withGateway({}, async (gw) => {
    gw.clock.now = MON_0658;
    const d = await dig(gw.port, ['www.youtube.com', 'A']);
    assert.equal(d.status, 'NOERROR');
    assert.equal(d.answer[0]!.ttl, 120);
    gw.clock.now = MON_0658 + 30_500;
    const cached = await dig(gw.port, ['www.youtube.com', 'A']);
    assert.equal(cached.answer[0]!.ttl, 90, 'ceil((07:00 - 06:58:30.5) / 1 s)');
    assert.equal(gw.log.at(-1)!.cached, true);
    // A chain through youtube: the owner name is not blocked, but the target's `until` clamps.
    const chain = await dig(gw.port, ['yt.news.example', 'A']);
    assert.ok(chain.answer.length === 2 && chain.answer.every((r) => r.ttl <= 90), chain.raw);
    // An unrelated name keeps its TTL.
    const other = await dig(gw.port, ['intranet.example', 'A']);
    assert.equal(other.answer[0]!.ttl, 3600);
    // At 07:00 the cached answer is not served: the name is blocked.
    gw.clock.now = MON_0700;
    assert.equal((await dig(gw.port, ['www.youtube.com', 'A'])).status, 'NXDOMAIN');
    assert.equal((await dig(gw.port, ['yt.news.example', 'A'])).status, 'NXDOMAIN');
  });
});

test('at 16:00 the block ends at once: no block answer outlives 10 s', async () => {
  await withGateway({}, async (gw) => {
    gw.clock.now = MON_1600 - 5_000;
    const blocked = await dig(gw.port, ['i.ytimg.com', 'AAAA']);
    assert.equal(blocked.status, 'NXDOMAIN');
    assert.ok(blocked.authority[0]!.ttl <= 10);
    gw.clock.now = MON_1600;
    const open = await dig(gw.port, ['i.ytimg.com', 'AAAA']);
    assert.equal(open.status, 'NOERROR');
    assert.deepEqual(open.answer.map((r) => r.data), ['2001:db8::10']);
    assert.equal(open.answer[0]!.ttl, 3600, 'no later change: TTL unclamped');
  });
});

test('bypass signals are NXDOMAIN whatever the policy, logged as doh-bypass', async () => {
  await withGateway({}, async (gw) => {
    for (const name of ['use-application-dns.net', 'mask.icloud.com', 'mask-h2.icloud.com']) {
      const d = await dig(gw.port, [name, 'A']);
      assert.equal(d.status, 'NXDOMAIN', name);
      assert.equal(gw.log.at(-1)!.service, 'doh-bypass');
      assert.equal(gw.log.at(-1)!.action, 'block');
    }
    assert.equal(up.count('use-application-dns.net'), 0);
    assert.equal((await dig(gw.port, ['icloud.com', 'A'])).status, 'NOERROR');
  });
});

test('a policy reload takes effect on the next query', async () => {
  await withGateway({}, async (gw) => {
    assert.equal((await dig(gw.port, ['reload.example', 'A'])).status, 'NOERROR');
    gw.policy.current = new FakePolicy([{ service: 'custom', domains: ['reload.example'], from: null, to: null }]).asPolicy();
    assert.equal((await dig(gw.port, ['reload.example', 'A'])).status, 'NXDOMAIN');
  });
});

test('a block for one client leaves another client alone', async () => {
  const gw = await startGateway(testSettings([up.spec()]), new FakePolicy([
    { service: 'x', domains: ['per-client.example'], from: null, to: null, clients: ['10.9.9.9'] },
  ]));
  try {
    assert.equal((await dig(gw.port, ['per-client.example', 'A'])).status, 'NOERROR');
    assert.equal(gw.log.at(-1)!.client, '127.0.0.1');
  } finally { await gw.stop(); }
});
