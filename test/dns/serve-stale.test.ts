import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import type { DnsSettings } from '../../src/config/index.js';
import { FLAG, RCODE, RR_TYPE } from '../../src/dns/index.js';
import { FakePolicy, type FakeBlock } from './fake-policy.js';
import { FakeUpstream, rr } from './fake-upstream.js';
import { dig, MON_0700, startGateway, testSettings, udpQuery, type Gateway } from './dns-test-kit.js';

const DAY = 86_400_000;

let up: FakeUpstream;

before(async () => { up = await FakeUpstream.start(); });
after(async () => { await up.stop(); });

interface Setup {
  cache?: Partial<DnsSettings['cache']>;
  timeoutMs?: number;
  blocks?: FakeBlock[];
  registry?: Registry;
}

async function withGateway(setup: Setup, fn: (gw: Gateway) => Promise<void>): Promise<void> {
  const base = testSettings([up.spec()], { timeoutMs: setup.timeoutMs ?? 400 });
  const gw = await startGateway({ ...base, cache: { ...base.cache, ...setup.cache } }, new FakePolicy(setup.blocks ?? []),
    setup.registry === undefined ? {} : { registry: setup.registry });
  try { await fn(gw); } finally { await gw.stop(); }
}

/** `name` answers one A record with a 1 s TTL. */
function answering(name: string, address: string): void {
  up.set(name, RR_TYPE.A, { answers: [rr(name, RR_TYPE.A, 1, address)] });
}

function failing(name: string): void {
  up.set(name, RR_TYPE.A, { rcode: RCODE.SERVFAIL });
}

test('an expired answer is served stale with TTL 30 while the upstreams fail, until the window ends', async () => {
  const registry = new Registry();
  answering('stale.example', '192.0.2.10');
  await withGateway({ registry }, async (gw) => {
    const t0 = gw.clock.now;
    const first = await udpQuery(gw.port, 'stale.example', RR_TYPE.A);
    assert.deepEqual(first.answers.map((r) => [r.data, r.ttl]), [['192.0.2.10', 1]]);
    failing('stale.example');

    gw.clock.now = t0 + 5_000;
    const stale = await udpQuery(gw.port, 'stale.example', RR_TYPE.A);
    assert.equal(stale.flags & 0xf, RCODE.NOERROR);
    assert.deepEqual(stale.answers.map((r) => [r.data, r.ttl]), [['192.0.2.10', 30]]);
    assert.equal(up.count('stale.example'), 3, 'the expired answer was refetched first (two passes at the one upstream)');
    const entry = gw.log.at(-1)!;
    assert.deepEqual([entry.action, entry.rcode, entry.upstream, entry.cached], ['allow', 'NOERROR', 'stale', true]);
    assert.equal(gw.server.stats.staleAnswers, 1);
    assert.equal(gw.server.stats.servfail, 0);

    // The stale answer was not cached anew: the next query tries the upstream again.
    gw.clock.now = t0 + 6_000;
    assert.equal((await udpQuery(gw.port, 'stale.example', RR_TYPE.A)).answers[0]!.ttl, 30);
    assert.equal(up.count('stale.example'), 5);

    // Through the full pipeline (dig sends EDNS and a cookie), on the last second of the window.
    gw.clock.now = t0 + 1_000 + DAY - 1_000;
    const late = await dig(gw.port, ['stale.example', 'A']);
    assert.equal(late.status, 'NOERROR');
    assert.deepEqual(late.answer.map((r) => [r.data, r.ttl]), [['192.0.2.10', 30]]);
    assert.equal(gw.server.stats.staleAnswers, 3);

    gw.clock.now = t0 + 1_000 + DAY;
    const gone = await udpQuery(gw.port, 'stale.example', RR_TYPE.A);
    assert.equal(gone.flags & 0xf, RCODE.SERVFAIL);
    assert.equal(gw.log.at(-1)!.action, 'error');
    assert.equal(gw.server.stats.staleAnswers, 3);
    assert.equal(gw.server.stats.servfail, 1);
    assert.match(await registry.metrics(), /^rambu_dns_stale_answers_total 3$/m);
  });
});

test('a silent upstream: the stale answer comes when the forwarder gives up, and a fresh one once it is back', async () => {
  answering('quiet.example', '192.0.2.20');
  await withGateway({ timeoutMs: 500 }, async (gw) => {
    const t0 = gw.clock.now;
    await udpQuery(gw.port, 'quiet.example', RR_TYPE.A);
    up.set('quiet.example', RR_TYPE.A, { silent: true });
    gw.clock.now = t0 + 2_000;
    const stale = await udpQuery(gw.port, 'quiet.example', RR_TYPE.A);
    assert.deepEqual(stale.answers.map((r) => [r.data, r.ttl]), [['192.0.2.20', 30]]);
    const entry = gw.log.at(-1)!;
    assert.equal(entry.upstream, 'stale');
    assert.ok(entry.latencyMs > 200 && entry.latencyMs < 500, `stale answer after ${entry.latencyMs} ms`);

    answering('quiet.example', '192.0.2.21');
    const fresh = await udpQuery(gw.port, 'quiet.example', RR_TYPE.A);
    assert.deepEqual(fresh.answers.map((r) => [r.data, r.ttl]), [['192.0.2.21', 1]]);
    assert.deepEqual([gw.log.at(-1)!.upstream, gw.log.at(-1)!.cached], [up.spec().label, false]);
    assert.equal(gw.server.stats.staleAnswers, 1);
  });
});

test('serveStale 0: an expired answer is dropped and a failing upstream gives SERVFAIL', async () => {
  answering('nostale.example', '192.0.2.30');
  await withGateway({ cache: { serveStale: 0 } }, async (gw) => {
    const t0 = gw.clock.now;
    await udpQuery(gw.port, 'nostale.example', RR_TYPE.A);
    failing('nostale.example');
    gw.clock.now = t0 + 5_000;
    const reply = await udpQuery(gw.port, 'nostale.example', RR_TYPE.A);
    assert.equal(reply.flags & 0xf, RCODE.SERVFAIL);
    assert.equal(reply.answers.length, 0);
    assert.equal(gw.server.stats.staleAnswers, 0);
    assert.equal(gw.server.stats.servfail, 1);
  });
});

test('a query with CD set is never answered stale', async () => {
  answering('cd.example', '192.0.2.40');
  await withGateway({}, async (gw) => {
    const t0 = gw.clock.now;
    await udpQuery(gw.port, 'cd.example', RR_TYPE.A);
    failing('cd.example');
    gw.clock.now = t0 + 5_000;
    const cd = await udpQuery(gw.port, 'cd.example', RR_TYPE.A, { flags: FLAG.RD | FLAG.CD });
    assert.equal(cd.flags & 0xf, RCODE.SERVFAIL);
    assert.equal(gw.server.stats.staleAnswers, 0);
    // The stale answer is there for the same query without CD.
    const plain = await udpQuery(gw.port, 'cd.example', RR_TYPE.A);
    assert.deepEqual(plain.answers.map((r) => r.data), ['192.0.2.40']);
    assert.equal(gw.server.stats.staleAnswers, 1);
  });
});

test('a name the policy blocks is blocked, never served stale, and so is an answer through a blocked CNAME target', async () => {
  answering('video.example', '192.0.2.50');
  up.set('alias.example', RR_TYPE.A, {
    answers: [rr('alias.example', RR_TYPE.CNAME, 1, 'cdn.tracker.example'), rr('cdn.tracker.example', RR_TYPE.A, 1, '192.0.2.51')],
  });
  const blocks: FakeBlock[] = [{ service: 'video', domains: ['video.example', 'tracker.example'], from: MON_0700, to: null }];
  await withGateway({ blocks }, async (gw) => {
    assert.equal((await udpQuery(gw.port, 'video.example', RR_TYPE.A)).answers[0]!.data, '192.0.2.50');
    assert.equal((await udpQuery(gw.port, 'alias.example', RR_TYPE.A)).answers.length, 2);
    failing('video.example');
    failing('alias.example');
    const asked = up.count('video.example');
    gw.clock.now = MON_0700 + 5_000;

    const video = await udpQuery(gw.port, 'video.example', RR_TYPE.A);
    assert.equal(video.flags & 0xf, RCODE.NXDOMAIN);
    assert.deepEqual([gw.log.at(-1)!.action, gw.log.at(-1)!.service], ['block', 'video']);
    assert.equal(up.count('video.example'), asked, 'blocked before any upstream is asked');

    const aliasAsked = up.count('alias.example');
    const alias = await udpQuery(gw.port, 'alias.example', RR_TYPE.A);
    assert.equal(alias.flags & 0xf, RCODE.NXDOMAIN);
    assert.equal(alias.answers.length, 0);
    assert.deepEqual([gw.log.at(-1)!.action, gw.log.at(-1)!.service], ['block', 'video']);
    assert.ok(up.count('alias.example') > aliasAsked, 'the upstream was tried, then the stale answer checked');
    assert.equal(gw.server.stats.staleAnswers, 0);
  });
});

test('a stale answer does not outlive the next schedule change: its TTL is capped below 30 s', async () => {
  answering('capped.example', '192.0.2.60');
  const blocks: FakeBlock[] = [{ service: 'video', domains: ['capped.example'], from: MON_0700, to: null }];
  await withGateway({ blocks }, async (gw) => {
    await udpQuery(gw.port, 'capped.example', RR_TYPE.A);
    failing('capped.example');
    gw.clock.now = MON_0700 - 60_000;
    assert.deepEqual((await udpQuery(gw.port, 'capped.example', RR_TYPE.A)).answers.map((r) => [r.data, r.ttl]), [['192.0.2.60', 30]]);
    gw.clock.now = MON_0700 - 10_000;
    assert.deepEqual((await udpQuery(gw.port, 'capped.example', RR_TYPE.A)).answers.map((r) => [r.data, r.ttl]), [['192.0.2.60', 10]]);
    const d = await dig(gw.port, ['capped.example', 'A']);
    assert.equal(d.answer[0]!.ttl, 10);
    assert.equal(gw.server.stats.staleAnswers, 3);
  });
});
