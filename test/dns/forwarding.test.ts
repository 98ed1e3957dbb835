import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ERROR_CODES } from '../../src/errors.js';
import { createDnsServer, parseResolvConf, RCODE, RR_TYPE } from '../../src/dns/index.js';
import { FakePolicy } from './fake-policy.js';
import { FakeUpstream, rr, SPOOF_ADDRESS } from './fake-upstream.js';
import { dig, silentLogger, startGateway, testSettings, udpQuery, type Gateway } from './dns-test-kit.js';

let up: FakeUpstream;
let up2: FakeUpstream;

before(async () => {
  up = await FakeUpstream.start();
  up2 = await FakeUpstream.start();
  for (const u of [up, up2]) {
    u.respond = (q) => ({ answers: [rr(q.name, RR_TYPE.A, 300, u === up ? '192.0.2.1' : '192.0.2.2')] });
  }
});

after(async () => {
  await up.stop();
  await up2.stop();
});

async function withGateway(upstreams: FakeUpstream[], timeoutMs: number, fn: (gw: Gateway) => Promise<void>): Promise<void> {
  const gw = await startGateway(testSettings(upstreams.map((u) => u.spec()), { timeoutMs }), new FakePolicy());
  try { await fn(gw); } finally { await gw.stop(); }
}

test('a silent upstream gives SERVFAIL within the timeout, not a hang', async () => {
  up.set('dead.example', RR_TYPE.A, { silent: true });
  await withGateway([up], 600, async (gw) => {
    const t0 = Date.now();
    const reply = await udpQuery(gw.port, 'dead.example', RR_TYPE.A);
    const took = Date.now() - t0;
    assert.equal(reply.flags & 0xf, RCODE.SERVFAIL);
    const entry = gw.log.at(-1)!;
    assert.equal(entry.action, 'error');
    // The gateway's own clock says within the timeout; the client's allows for scheduling noise.
    assert.ok(entry.latencyMs < 600 && entry.latencyMs > 300, `SERVFAIL after ${entry.latencyMs} ms`);
    assert.ok(took < 900, `client waited ${took} ms`);
    assert.equal(gw.server.stats.upstreamFailures, 1);
  });
});

test('an upstream port with nobody listening fails over to the next upstream', async () => {
  const closed = await FakeUpstream.start();
  const spec = closed.spec();
  await closed.stop();
  const gw = await startGateway(testSettings([spec, up2.spec()], { timeoutMs: 1000 }), new FakePolicy());
  try {
    const t0 = Date.now();
    const d = await dig(gw.port, ['failover.example', 'A']);
    assert.deepEqual(d.answer.map((r) => r.data), ['192.0.2.2']);
    assert.ok(Date.now() - t0 < 900);
    assert.equal(gw.log.at(-1)!.upstream, up2.spec().label);
    const health = gw.server.upstreamHealth();
    assert.equal(health.find((h) => h.label === spec.label)?.failures, 1);
    // The failed upstream is now tried after the healthy one.
    await dig(gw.port, ['failover2.example', 'A']);
    assert.equal(gw.server.upstreamHealth().find((h) => h.label === spec.label)?.queries, 1);
  } finally { await gw.stop(); }
});

test('a silent first upstream fails over to the second within the timeout', async () => {
  up.set('half.example', RR_TYPE.A, { silent: true });
  await withGateway([up, up2], 1500, async (gw) => {
    const d = await dig(gw.port, ['half.example', 'A']);
    assert.deepEqual(d.answer.map((r) => r.data), ['192.0.2.2']);
  });
});

test('SERVFAIL from one upstream is retried at the next', async () => {
  up.set('sf.example', RR_TYPE.A, { rcode: RCODE.SERVFAIL });
  await withGateway([up, up2], 1500, async (gw) => {
    const d = await dig(gw.port, ['sf.example', 'A']);
    assert.deepEqual(d.answer.map((r) => r.data), ['192.0.2.2']);
  });
});

test('a truncated UDP answer from upstream is fetched again over TCP', async () => {
  const records = Array.from({ length: 30 }, (_, i) => rr('tc.example', RR_TYPE.A, 300, `192.0.2.${i + 1}`));
  up.set('tc.example', RR_TYPE.A, { truncateUdp: true, answers: records });
  await withGateway([up], 1500, async (gw) => {
    const d = await dig(gw.port, ['+tcp', 'tc.example', 'A']);
    assert.equal(d.answer.length, 30);
    const seen = up.seen.filter((s) => s.name === 'tc.example').map((s) => s.transport);
    assert.deepEqual(seen, ['udp', 'tcp']);
  });
});

test('a TCP upstream is used over TCP', async () => {
  const gw = await startGateway(testSettings([up2.spec('tcp')]), new FakePolicy());
  try {
    const d = await dig(gw.port, ['tcp-up.example', 'A']);
    assert.deepEqual(d.answer.map((r) => r.data), ['192.0.2.2']);
    assert.equal(up2.seen.at(-1)!.transport, 'tcp');
  } finally { await gw.stop(); }
});

test('replies with a wrong ID, a wrong question or from another port are ignored', async () => {
  up.set('spoof1.example', RR_TYPE.A, { wrongIdFirst: true, answers: [rr('spoof1.example', RR_TYPE.A, 300, '192.0.2.51')] });
  up.set('spoof2.example', RR_TYPE.A, { otherPortFirst: true, answers: [rr('spoof2.example', RR_TYPE.A, 300, '192.0.2.52')] });
  up.set('spoof3.example', RR_TYPE.A, { wrongQuestionFirst: true, answers: [rr('spoof3.example', RR_TYPE.A, 300, '192.0.2.53')] });
  await withGateway([up], 1500, async (gw) => {
    for (const [name, want] of [['spoof1.example', '192.0.2.51'], ['spoof2.example', '192.0.2.52'], ['spoof3.example', '192.0.2.53']] as const) {
      const reply = await udpQuery(gw.port, name, RR_TYPE.A);
      assert.deepEqual(reply.answers.map((r) => r.data), [want], name);
      assert.ok(!reply.answers.some((r) => r.data === SPOOF_ADDRESS));
    }
    assert.ok(gw.server.stats.upstreamMismatches >= 2, `mismatches ${gw.server.stats.upstreamMismatches}`);
  });
});

test('every upstream query has a fresh random ID and source port', async () => {
  await withGateway([up], 1000, async (gw) => {
    const start = up.seen.length;
    for (let i = 0; i < 20; i++) await udpQuery(gw.port, `rand${i}.example`, RR_TYPE.A);
    const seen = up.seen.slice(start);
    assert.equal(seen.length, 20);
    assert.ok(new Set(seen.map((s) => s.id)).size >= 19, 'IDs differ');
    assert.ok(new Set(seen.map((s) => s.port)).size >= 19, 'ports differ');
  });
});

test('identical queries in flight are sent upstream once', async () => {
  up.set('coalesce.example', RR_TYPE.A, { delayMs: 200, answers: [rr('coalesce.example', RR_TYPE.A, 300, '192.0.2.60')] });
  await withGateway([up], 1500, async (gw) => {
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => udpQuery(gw.port, 'coalesce.example', RR_TYPE.A, { id: 100 + i })));
    assert.equal(up.count('coalesce.example'), 1);
    replies.forEach((r, i) => {
      assert.equal(r.id, 100 + i);
      assert.equal(r.answers[0]!.data, '192.0.2.60');
    });
  });
});

test('the faster healthy upstream is preferred', async () => {
  up.respond = (q) => ({ delayMs: 80, answers: [rr(q.name, RR_TYPE.A, 300, '192.0.2.1')] });
  try {
    await withGateway([up, up2], 2000, async (gw) => {
      for (let i = 0; i < 6; i++) await udpQuery(gw.port, `pref${i}.example`, RR_TYPE.A);
      const last = gw.log.slice(-3).map((e) => e.upstream);
      assert.deepEqual(last, [up2.spec().label, up2.spec().label, up2.spec().label]);
    });
  } finally {
    up.respond = (q) => ({ answers: [rr(q.name, RR_TYPE.A, 300, '192.0.2.1')] });
  }
});

test('resolv.conf nameservers are used when no upstream is configured', async () => {
  const listen = [{ host: '0.0.0.0', port: 53 }];
  const text = '# comment\nsearch example\nnameserver 127.0.0.1\nnameserver 192.0.2.53\nnameserver ::1\nnameserver 2001:db8::53\nnameserver junk\noptions edns0\n';
  assert.deepEqual(parseResolvConf(text, listen, []).map((u) => u.label), ['udp://192.0.2.53:53', 'udp://[::1]:53', 'udp://[2001:db8::53]:53']);
  assert.deepEqual(parseResolvConf(text, [...listen, { host: '::', port: 53 }], []).map((u) => u.label), ['udp://192.0.2.53:53', 'udp://[2001:db8::53]:53']);
  assert.deepEqual(parseResolvConf(text, [{ host: '127.0.0.1', port: 1053 }], []).length, 4);
});

test('with no upstream anywhere, start() fails with NO_UPSTREAM and a clear message', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rambu-dns-'));
  const path = join(dir, 'resolv.conf');
  await writeFile(path, 'nameserver 127.0.0.1\n');
  const server = createDnsServer({
    settings: testSettings([], { listen: [{ host: '127.0.0.1', port: 53 }] }),
    getPolicy: () => new FakePolicy().asPolicy(),
    logger: silentLogger,
    resolvConfPath: path,
  });
  await assert.rejects(server.start(), (err: Error & { code?: string }) => {
    assert.equal(err.code, ERROR_CODES.NO_UPSTREAM);
    assert.match(err.message, /dns\.upstreams/);
    return true;
  });
  const missing = createDnsServer({
    settings: testSettings([]), getPolicy: () => new FakePolicy().asPolicy(), logger: silentLogger, resolvConfPath: join(dir, 'nope'),
  });
  await assert.rejects(missing.start(), { code: ERROR_CODES.NO_UPSTREAM });
});

test('a resolv.conf upstream answers queries', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rambu-dns-'));
  const path = join(dir, 'resolv.conf');
  await writeFile(path, 'nameserver 127.0.0.1\n');
  // The fake upstream is not on port 53, so check only that start() accepts the file.
  const server = createDnsServer({
    settings: testSettings([]), getPolicy: () => new FakePolicy().asPolicy(), logger: silentLogger, resolvConfPath: path,
  });
  await server.start();
  assert.deepEqual(server.upstreamHealth().map((h) => h.label), ['udp://127.0.0.1:53']);
  await server.stop();
});
