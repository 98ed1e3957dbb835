import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { RCODE, RR_TYPE } from '../../src/dns/index.js';
import { FakePolicy } from './fake-policy.js';
import { FakeUpstream, rr } from './fake-upstream.js';
import { buildQuery, dig, startGateway, testSettings, udpExchange, udpQuery } from './dns-test-kit.js';

let up: FakeUpstream;

before(async () => {
  up = await FakeUpstream.start();
  up.respond = (q) => ({ answers: [rr(q.name, RR_TYPE.A, 300, '192.0.2.1')] });
});

after(async () => { await up.stop(); });

test('a client outside allowFrom gets REFUSED and nothing is forwarded', async () => {
  const gw = await startGateway(testSettings([up.spec()], { allowFrom: ['10.0.0.0/8', 'fc00::/7'] }), new FakePolicy());
  try {
    const before = up.seen.length;
    const d = await dig(gw.port, ['open-resolver.example', 'A']);
    assert.equal(d.status, 'REFUSED');
    const t = await dig(gw.port, ['+tcp', 'open-resolver.example', 'A']);
    assert.equal(t.status, 'REFUSED');
    assert.equal(up.seen.length, before);
    assert.equal(gw.server.stats.refused, 2);
    assert.equal(gw.log.at(-1)!.action, 'refused');
    // Garbage from a client that may not ask is not even answered FORMERR.
    assert.equal(await udpExchange(gw.port, Buffer.from('abcd01000001000000000000c00c00010001', 'hex'), 300), null);
    assert.equal(gw.server.stats.malformed, 1);
  } finally { await gw.stop(); }
});

test('the rate limit refuses a client past its burst and refills with the clock', async () => {
  const gw = await startGateway(testSettings([up.spec()], { rateLimit: { qps: 2, burst: 5, action: 'refused' } }), new FakePolicy());
  try {
    const rcodes: number[] = [];
    for (let i = 0; i < 8; i++) rcodes.push((await udpQuery(gw.port, 'rl.example', RR_TYPE.A)).flags & 0xf);
    assert.deepEqual(rcodes, [0, 0, 0, 0, 0, 5, 5, 5]);
    assert.equal(gw.server.stats.rateLimited, 3);
    assert.equal(gw.log.at(-1)!.action, 'ratelimited');
    gw.clock.now += 1000; // two more tokens
    const after = [];
    for (let i = 0; i < 3; i++) after.push((await udpQuery(gw.port, 'rl.example', RR_TYPE.A)).flags & 0xf);
    assert.deepEqual(after, [0, 0, 5]);
  } finally { await gw.stop(); }
});

test('the rate limit can drop instead of refusing', async () => {
  const gw = await startGateway(testSettings([up.spec()], { rateLimit: { qps: 1, burst: 1, action: 'drop' } }), new FakePolicy());
  try {
    assert.notEqual(await udpExchange(gw.port, buildQuery('d.example', RR_TYPE.A)), null);
    assert.equal(await udpExchange(gw.port, buildQuery('d.example', RR_TYPE.A), 300), null);
  } finally { await gw.stop(); }
});

test('qps 0 disables the rate limit', async () => {
  const gw = await startGateway(testSettings([up.spec()], { rateLimit: { qps: 0, burst: 1, action: 'refused' } }), new FakePolicy());
  try {
    for (let i = 0; i < 20; i++) assert.equal((await udpQuery(gw.port, 'many.example', RR_TYPE.A)).flags & 0xf, RCODE.NOERROR);
  } finally { await gw.stop(); }
});

test('stats count queries, blocks, cache hits and latency, and prom-client exposes them', async () => {
  const registry = new Registry();
  const policy = new FakePolicy([{ service: 'vimeo', domains: ['vimeo.com'], from: null, to: null }]);
  const gw = await startGateway(testSettings([up.spec()]), policy, { registry });
  try {
    await udpQuery(gw.port, 'm.example', RR_TYPE.A);
    await udpQuery(gw.port, 'm.example', RR_TYPE.A);
    await udpQuery(gw.port, 'vimeo.com', RR_TYPE.A);
    const s = gw.server.stats;
    assert.deepEqual([s.queries, s.blocked, s.cacheHits, s.cacheMisses, s.upstreamLatency.count], [3, 1, 1, 1, 1]);
    assert.ok(s.upstreamLatency.quantile(0.5)! >= 0);
    const text = await registry.metrics();
    assert.match(text, /rambu_dns_queries_total 3/);
    assert.match(text, /rambu_dns_blocked_total 1/);
    assert.match(text, /rambu_dns_upstream_latency_seconds_count\{upstream="udp:\/\/127\.0\.0\.1:\d+"\} 1/);
  } finally { await gw.stop(); }
});

test('the gateway answers on IPv6 loopback too', async (t) => {
  let gw;
  try {
    gw = await startGateway(testSettings([up.spec()], { listen: [{ host: '::1', port: 0 }] }), new FakePolicy());
  } catch {
    t.skip('no IPv6 loopback here');
    return;
  }
  try {
    const reply = await udpExchange(gw.port, buildQuery('v6.example', RR_TYPE.A), 2000, '::1');
    assert.ok(reply !== null);
    assert.equal(gw.log.at(-1)!.client, '::1');
  } finally { await gw.stop(); }
});
