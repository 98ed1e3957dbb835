/**
 * The batched UDP reader (native/udp-batch.c through src/dns/udp-batch.ts): it is built, a burst of
 * queries is answered in full with the right IDs, an answer that waits for an upstream is still
 * right after later batches reused its memory, the sender's address reaches the policy and the log
 * (IPv4, IPv6, IPv4 on a dual-stack socket), oversize datagrams are counted and dropped, and
 * `dns.udpBatch: false` answers through node:dgram.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { decodeMessage, RCODE, rcodeOf, RR_TYPE } from '../../src/dns/index.js';
import { loadUdpBatch, UDP_BATCH_PATH } from '../../src/dns/udp-batch.js';
import { FakePolicy } from './fake-policy.js';
import { FakeUpstream, rr } from './fake-upstream.js';
import { buildQuery, dig, sleep, startGateway, testSettings, udpExchange, udpQuery } from './dns-test-kit.js';

let up: FakeUpstream;

const blockVideo = (): FakePolicy => new FakePolicy([{ service: 'video', domains: ['video.example'], from: null, to: null }]);

before(async () => {
  up = await FakeUpstream.start();
  up.set('slow.example', RR_TYPE.A, { answers: [rr('slow.example', RR_TYPE.A, 300, '192.0.2.77')], delayMs: 150 });
  up.respond = (q) => ({ answers: [rr(q.name, RR_TYPE.A, 300, '192.0.2.1')] });
});

after(async () => { await up.stop(); });

/**
 * Sends every packet at once from one socket; resolves with the replies by ID. Keep a burst under
 * about 250 datagrams: beyond that the kernel's default socket buffers drop them on either side.
 */
function burst(port: number, packets: Buffer[], host = '127.0.0.1', timeoutMs = 3000): Promise<Map<number, Buffer>> {
  return new Promise((resolve) => {
    const sock: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const replies = new Map<number, Buffer>();
    const done = (): void => { clearTimeout(timer); sock.close(); resolve(replies); };
    const timer = setTimeout(done, timeoutMs);
    sock.on('message', (msg) => {
      replies.set(msg.readUInt16BE(0), msg);
      if (replies.size === packets.length) done();
    });
    sock.bind(0, host, () => { for (const p of packets) sock.send(p, port, host); });
  });
}

test('the batched UDP reader is built and loads', () => {
  const { binding, reason } = loadUdpBatch();
  assert.ok(existsSync(UDP_BATCH_PATH), `${UDP_BATCH_PATH} is missing: npm run build compiles it (needs gcc)`);
  assert.equal(reason, null);
  assert.notEqual(binding, null);
});

test('a burst of 240 queries (four batches) is answered in full, each with its own ID and question', async () => {
  const gw = await startGateway(testSettings([up.spec()]), blockVideo());
  try {
    const packets: Buffer[] = [];
    for (let id = 0; id < 240; id++) {
      const name = id % 3 === 0 ? `s${id}.video.example` : `host${id % 40}.example`;
      packets.push(buildQuery(name, RR_TYPE.A, { id }));
    }
    // The allowed names go to the cache first, so the burst is answered within its batches.
    for (let i = 0; i < 40; i++) await udpQuery(gw.port, `host${i}.example`, RR_TYPE.A);
    const replies = await burst(gw.port, packets);
    assert.equal(replies.size, 240);
    for (let id = 0; id < 240; id++) {
      const msg = decodeMessage(replies.get(id)!);
      const blocked = id % 3 === 0;
      assert.equal(msg.questions[0]!.name, blocked ? `s${id}.video.example` : `host${id % 40}.example`);
      assert.equal(rcodeOf(msg.flags), blocked ? RCODE.NXDOMAIN : RCODE.NOERROR, `query ${id}`);
    }
    assert.equal(gw.server.udpBatched(), true);
    assert.equal(gw.server.stats.udpQueries, 280);
    assert.equal(gw.server.stats.udpDropped, 0);
  } finally {
    await gw.stop();
  }
});

test('an answer that waits for the upstream is right after later batches reused the memory', async () => {
  const gw = await startGateway(testSettings([up.spec()]), blockVideo());
  try {
    const slow = udpExchange(gw.port, buildQuery('slow.example', RR_TYPE.A, { id: 4242 }));
    await sleep(20);
    // Blocked names answered at once overwrite the slot the slow query was read into.
    const others = await burst(gw.port, Array.from({ length: 200 }, (_, id) => buildQuery(`x${id}.video.example`, RR_TYPE.A, { id })));
    assert.equal(others.size, 200);
    const reply = await slow;
    assert.ok(reply !== null, 'the slow answer arrives');
    const msg = decodeMessage(reply);
    assert.equal(msg.id, 4242);
    assert.equal(msg.questions[0]!.name, 'slow.example');
    assert.deepEqual(msg.answers.map((a) => a.data), ['192.0.2.77']);
  } finally {
    await gw.stop();
  }
});

test('the sender reaches the policy and the log: IPv4, IPv6, and IPv4 on a dual-stack socket', async (t) => {
  const v4 = await startGateway(testSettings([up.spec()]), blockVideo());
  try {
    await udpQuery(v4.port, 'host1.example', RR_TYPE.A);
    assert.equal(v4.log.at(-1)!.client, '127.0.0.1');
  } finally {
    await v4.stop();
  }
  const v6 = await startGateway(testSettings([up.spec()], { listen: [{ host: '::1', port: 0 }] }), blockVideo()).catch(() => null);
  if (v6 === null) {
    t.diagnostic('no IPv6 loopback here: IPv6 senders not checked');
    return;
  }
  try {
    const d = await dig(v6.port, ['@::1', 'host2.example', 'A']);
    assert.equal(d.status, 'NOERROR');
    assert.equal(v6.log.at(-1)!.client, '::1');
  } finally {
    await v6.stop();
  }
  const dual = await startGateway(testSettings([up.spec()], { listen: [{ host: '::', port: 0 }] }), blockVideo());
  try {
    await udpQuery(dual.port, 's1.video.example', RR_TYPE.A);
    assert.equal(dual.log.at(-1)!.client, '127.0.0.1', 'the mapped address is logged as IPv4');
    assert.equal(dual.log.at(-1)!.action, 'block');
  } finally {
    await dual.stop();
  }
});

test('a datagram longer than a slot is counted and dropped, and the socket keeps answering', async () => {
  const gw = await startGateway(testSettings([up.spec()]), blockVideo());
  try {
    const huge = Buffer.concat([buildQuery('host1.example', RR_TYPE.A, { id: 7 }), Buffer.alloc(5000)]);
    assert.equal(await udpExchange(gw.port, huge, 300), null);
    assert.equal(gw.server.stats.udpOversize, 1);
    const msg = await udpQuery(gw.port, 's2.video.example', RR_TYPE.A);
    assert.equal(rcodeOf(msg.flags), RCODE.NXDOMAIN);
  } finally {
    await gw.stop();
  }
});

test('stopped, the gateway answers nothing, and it starts again on the same port', async () => {
  const settings = testSettings([up.spec()]);
  const gw = await startGateway(settings, blockVideo());
  const port = gw.port;
  await gw.stop();
  assert.equal(await udpExchange(port, buildQuery('host1.example', RR_TYPE.A), 300), null);
  for (let round = 0; round < 3; round++) {
    const again = await startGateway(testSettings([up.spec()], { listen: [{ host: '127.0.0.1', port }] }), blockVideo());
    try {
      assert.equal(rcodeOf((await udpQuery(port, `s${round}.video.example`, RR_TYPE.A)).flags), RCODE.NXDOMAIN);
    } finally {
      await again.stop();
    }
  }
});

test('with dns.udpBatch false the same answers come through node:dgram', async () => {
  const gw = await startGateway(testSettings([up.spec()], { udpBatch: false }), blockVideo());
  try {
    assert.equal(gw.server.udpBatched(), false);
    const replies = await burst(gw.port, Array.from({ length: 100 }, (_, id) => buildQuery(id % 2 === 0 ? `n${id}.video.example` : 'host3.example', RR_TYPE.A, { id })));
    assert.equal(replies.size, 100);
    for (let id = 0; id < 100; id++) assert.equal(rcodeOf(decodeMessage(replies.get(id)!).flags), id % 2 === 0 ? RCODE.NXDOMAIN : RCODE.NOERROR);
    assert.equal(gw.log.at(-1)!.client, '127.0.0.1');
    assert.equal(gw.server.stats.udpOversize, 0);
  } finally {
    await gw.stop();
  }
});
