import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { after, afterEach, test } from 'node:test';
import { ERROR_CODES } from '../../src/errors.js';
import { decodeMessage, encodeMessage, FLAG, readEdns, RR_CLASS, RR_TYPE, type DecodedMessage } from '../../src/dns/index.js';
import { createDnsStats } from '../../src/dns/dns-stats.js';
import { Forwarder } from '../../src/dns/forwarder.js';
import { STREAM_MAX_CONNECTIONS, STREAM_MAX_IN_FLIGHT, StreamUpstream, type StreamUpstreamOptions } from '../../src/dns/upstream-stream.js';
import { FakePolicy } from './fake-policy.js';
import { silentLogger, sleep, startGateway, testSettings, udpQuery } from './dns-test-kit.js';
import { addressFor, answerTo, OTHER_CA, paddingOf, StreamServer, TEST_CERT, type StreamQuery } from './stream-server.js';

const servers: StreamServer[] = [];
const pools: StreamUpstream[] = [];

after(async () => {
  for (const p of pools) p.close();
  await Promise.all(servers.map((s) => s.stop()));
});

// Whatever a test is about, every query over TLS is padded and none over TCP is.
afterEach(() => {
  assert.deepEqual(servers.flatMap((s) => s.paddingErrors.splice(0)), [], 'queries padded wrongly for their transport');
});

async function server(tls: boolean): Promise<StreamServer> {
  const s = await StreamServer.start(tls);
  servers.push(s);
  return s;
}

function pool(s: StreamServer, over: Partial<StreamUpstreamOptions> & { extraCa?: string[]; serverName?: string } = {}): { pool: StreamUpstream; mismatches: () => number } {
  let mismatches = 0;
  const { extraCa, serverName, ...options } = over;
  const spec = s.spec({ ...(extraCa === undefined ? {} : { extraCa }), ...(serverName === undefined ? {} : { serverName }) });
  const p = new StreamUpstream(spec, { onMismatch: () => { mismatches++; }, ...options });
  pools.push(p);
  return { pool: p, mismatches: () => mismatches };
}

function ask(p: StreamUpstream, name: string, timeoutMs = 2000): Promise<DecodedMessage> {
  const question = { name, type: RR_TYPE.A, class: RR_CLASS.IN };
  const query = encodeMessage({ id: 0, flags: FLAG.RD, questions: [question], answers: [], authorities: [], additionals: [] });
  return p.exchange(question, query, timeoutMs);
}

function addressOf(msg: DecodedMessage): unknown {
  return msg.answers[0]?.data;
}

/** Hold every query until `count` have come, then answer them newest first. */
function answerReversedAfter(s: StreamServer, count: number): void {
  const held: StreamQuery[] = [];
  s.onQuery = (q) => {
    held.push(q);
    if (held.length === count) for (const h of held.reverse()) s.answer(h);
  };
}

async function fiftyAtOnce(tls: boolean): Promise<void> {
  const s = await server(tls);
  answerReversedAfter(s, 50);
  const { pool: p, mismatches } = pool(s, tls ? { extraCa: [TEST_CERT] } : {});
  const names = Array.from({ length: 50 }, (_, i) => `q${i}.example`);
  const replies = await Promise.all(names.map((n) => ask(p, n)));
  replies.forEach((r, i) => assert.equal(addressOf(r), addressFor(names[i]!), names[i]));
  assert.equal(s.seen.length, 50);
  assert.ok(s.accepted <= STREAM_MAX_CONNECTIONS, `${s.accepted} connections for 50 queries`);
  assert.equal(s.accepted, Math.ceil(50 / STREAM_MAX_IN_FLIGHT));
  assert.ok(s.maxOutstanding > 1 && s.maxOutstanding <= STREAM_MAX_IN_FLIGHT, `outstanding ${s.maxOutstanding}`);
  for (let c = 1; c <= s.served; c++) {
    const ids = s.seen.filter((q) => q.conn === c).map((q) => q.id);
    assert.equal(new Set(ids).size, ids.length, `IDs on connection ${c} are unique`);
  }
  // Unpadded, these queries are 28 (q0..q9) or 29 bytes.
  assert.deepEqual(new Set(s.seen.map((q) => q.length)), tls ? new Set([128]) : new Set([28, 29]));
  assert.ok(s.seen.every((q) => (q.padding !== null) === tls), tls ? 'padded over TLS' : 'not padded over TCP');
  assert.equal(mismatches(), 0);
  // The connections stay for the next queries.
  s.onQuery = (q) => s.answer(q);
  assert.equal(addressOf(await ask(p, 'q50.example')), addressFor('q50.example'));
  assert.equal(s.accepted, Math.ceil(50 / STREAM_MAX_IN_FLIGHT));
}

test('50 queries at once over tcp:// share one or two connections and each gets its own answer, answered out of order', () => fiftyAtOnce(false));

test('50 queries at once over tls:// share one or two connections and each gets its own answer, answered out of order', () => fiftyAtOnce(true));

test('tls:// answers through the gateway when its certificate is trusted with dns.upstreamCaFile', async () => {
  const s = await server(true);
  for (const serverName of [null, 'dns.test']) {
    const before = s.seen.length;
    const gw = await startGateway(testSettings([s.spec({ serverName, extraCa: [TEST_CERT] })]), new FakePolicy());
    try {
      const replies = await Promise.all([1, 2, 3].map((i) => udpQuery(gw.port, `q${i}.example`, RR_TYPE.A)));
      replies.forEach((r, i) => assert.deepEqual(r.answers.map((a) => a.data), [addressFor(`q${i + 1}.example`)]));
      assert.equal(s.seen.length - before, 3);
      assert.ok(s.seen.slice(before).every((q) => q.length === 128 && q.padding !== null), 'padded to 128 bytes');
    } finally { await gw.stop(); }
  }
});

/** Client query names from 10 to 202 characters; `q<N>.` first for {@link addressFor}. */
const VARIED_NAMES = [
  ...Array.from({ length: 8 }, (_, i) => `q${i + 1}.${'x'.repeat(i * 8 + 1)}.example`),
  `q9.${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.example`,
];

test('queries to a tls:// upstream are padded to 128-byte blocks, keeping their EDNS flags; tcp:// ones are not', async () => {
  for (const tls of [true, false]) {
    const s = await server(tls);
    const got: DecodedMessage[] = [];
    s.onQuery = (q) => { got.push(q.query); s.answer(q); };
    const gw = await startGateway(testSettings([s.spec(tls ? { extraCa: [TEST_CERT] } : {})]), new FakePolicy());
    try {
      for (const [i, name] of VARIED_NAMES.entries()) {
        const dnssecOk = i % 2 === 0;
        const reply = await udpQuery(gw.port, name, RR_TYPE.A, { edns: 1232, dnssecOk });
        assert.deepEqual(reply.answers.map((a) => a.data), [addressFor(name)], name);
        // The upstream pads its answers to padded queries; the client gets our own, bare OPT.
        assert.equal(paddingOf(reply), null, `${name}: no padding passed on to the client`);
        assert.deepEqual(reply.additionals.map((rr) => rr.data), [Buffer.alloc(0)]);
        assert.equal(readEdns(got[i]!)?.dnssecOk, dnssecOk, `${name}: DO bit kept`);
      }
    } finally { await gw.stop(); }
    const lengths = s.seen.map((q) => q.length);
    assert.equal(lengths.length, VARIED_NAMES.length);
    if (tls) {
      assert.ok(lengths.every((n) => n % 128 === 0), `lengths ${lengths.join(', ')}`);
      assert.deepEqual([...new Set(lengths)].sort((a, b) => a - b), [128, 256], 'names of different lengths look alike');
      assert.ok(s.seen.every((q) => q.padding !== null));
    } else {
      assert.equal(new Set(lengths).size, VARIED_NAMES.length, 'unpadded: every length differs');
      assert.ok(s.seen.every((q) => q.padding === null));
    }
  }
});

test('a padded answer from a tls:// upstream is used as is', async () => {
  const s = await server(true);
  const { pool: p } = pool(s, { extraCa: [TEST_CERT] });
  const reply = await ask(p, 'q1.example');
  assert.equal(addressOf(reply), addressFor('q1.example'));
  assert.ok(paddingOf(reply) !== null, 'the answer carried a Padding option');
  assert.equal(s.seen[0]!.padding, 128 - 28 - 11 - 4, 'a query without OPT gets one, padded');
});

test('a UDP query retried over TCP after a truncated answer is not padded', async () => {
  const s = await server(false);
  const udp = createSocket('udp4');
  await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(s.port, '127.0.0.1', () => resolve()); });
  let truncated = 0;
  udp.on('message', (msg, from) => {
    const q = decodeMessage(msg);
    truncated++;
    udp.send(encodeMessage({ id: q.id, flags: FLAG.QR | FLAG.RA | FLAG.RD | FLAG.TC, questions: q.questions, answers: [], authorities: [], additionals: [] }), from.port, from.address);
  });
  const fwd = new Forwarder({ upstreams: [{ ...s.spec(), protocol: 'udp', label: `udp://127.0.0.1:${s.port}` }], timeoutMs: 2000, udpSize: 1232, stats: createDnsStats(), logger: silentLogger });
  try {
    const { response } = await fwd.resolve({ name: 'q1.example', type: RR_TYPE.A, class: RR_CLASS.IN }, true, false);
    assert.equal(addressOf(response), addressFor('q1.example'));
  } finally {
    fwd.close();
    udp.close();
  }
  assert.equal(truncated, 1);
  assert.deepEqual(s.seen.map((q) => [q.name, q.padding]), [['q1.example', null]]);
});

test('tls:// refuses a certificate that does not name the server', async () => {
  const s = await server(true);
  const { pool: p } = pool(s, { extraCa: [TEST_CERT], serverName: 'other.test' });
  await assert.rejects(ask(p, 'q1.example'), (err: Error & { code?: string }) => {
    assert.equal(err.code, ERROR_CODES.UPSTREAM_FAILED);
    assert.match(err.message, /other\.test/);
    return true;
  });
  assert.equal(s.accepted, 1);
  assert.equal(s.seen.length, 0, 'no query was sent');
});

test('tls:// refuses a certificate that no trusted CA signed', async () => {
  const s = await server(true);
  for (const extraCa of [undefined, [OTHER_CA]]) {
    const { pool: p } = pool(s, extraCa === undefined ? {} : { extraCa });
    const t0 = Date.now();
    await assert.rejects(ask(p, 'q1.example'), (err: Error & { code?: string }) => {
      assert.equal(err.code, ERROR_CODES.UPSTREAM_FAILED);
      assert.match(err.message, /self[- ]signed|unable to verify|certificate/i);
      return true;
    });
    assert.ok(Date.now() - t0 < 1500, 'fails at once, not at the timeout');
  }
  assert.equal(s.seen.length, 0, 'no query was sent');
  // A refused handshake is not retried: one connection per attempt.
  assert.equal(s.accepted, 2);
});

test('a connection the server closes moves its unanswered queries once to a fresh connection; others are untouched', async () => {
  const s = await server(false);
  const held: StreamQuery[] = [];
  s.onQuery = (q) => {
    if (q.conn === 1) {
      held.push(q);
      // The first connection answers one query of three, then goes away.
      if (held.length === 3) { s.answer(held[0]!); setTimeout(() => q.socket.destroy(), 20); }
    } else if (q.conn === 2) {
      setTimeout(() => s.answer(q), 200);
    } else {
      s.answer(q);
    }
  };
  const { pool: p } = pool(s, { maxInFlight: 3 });
  const names = Array.from({ length: 6 }, (_, i) => `q${i}.example`);
  const replies = await Promise.all(names.map((n) => ask(p, n)));
  replies.forEach((r, i) => assert.equal(addressOf(r), addressFor(names[i]!)));
  assert.equal(s.accepted, 3);
  const sentOn = (name: string): number[] => s.seen.filter((q) => q.name === name).map((q) => q.conn);
  assert.deepEqual(sentOn('q0.example'), [1], 'answered before the close: sent once');
  assert.deepEqual(sentOn('q1.example'), [1, 3]);
  assert.deepEqual(sentOn('q2.example'), [1, 3]);
  for (const n of ['q3.example', 'q4.example', 'q5.example']) assert.deepEqual(sentOn(n), [2], `${n} on the healthy connection`);
  const [first, retry] = s.seen.filter((q) => q.name === 'q1.example');
  assert.notEqual(first!.id, retry!.id, 'the retry has a fresh ID');
});

test('queries fail, promptly and after one retry, when every connection is closed on them', async () => {
  const s = await server(false);
  s.onQuery = (q) => q.socket.destroy();
  const { pool: p } = pool(s);
  const t0 = Date.now();
  const results = await Promise.allSettled(['q1.example', 'q2.example'].map((n) => ask(p, n, 3000)));
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.equal((r.reason as { code?: string }).code, ERROR_CODES.UPSTREAM_FAILED);
  }
  assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
  assert.equal(s.count('q1.example'), 2, 'sent, then retried once');
  assert.equal(s.accepted, 2);
});

test('a port nobody listens on fails at once, without a retry', async () => {
  const s = await server(false);
  const spec = s.spec();
  await s.stop();
  servers.splice(servers.indexOf(s), 1);
  const p = new StreamUpstream(spec, { onMismatch: () => undefined });
  pools.push(p);
  const t0 = Date.now();
  await assert.rejects(ask(p, 'q1.example', 3000), (err: Error & { code?: string }) => err.code === ERROR_CODES.UPSTREAM_FAILED && /ECONNREFUSED/.test(err.message));
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(p.connections, 0);
});

test('an idle connection is closed after the idle timeout, and a busy one is not', async () => {
  const s = await server(true);
  const { pool: p } = pool(s, { extraCa: [TEST_CERT], idleMs: 500 });
  await ask(p, 'q1.example');
  for (let i = 2; i < 6; i++) {
    await sleep(100);
    await ask(p, `q${i}.example`);
  }
  assert.equal(s.accepted, 1, 'queries closer together than the timeout keep one connection');
  assert.deepEqual(s.closed, []);
  assert.equal(p.connections, 1);
  await sleep(1000);
  assert.deepEqual(s.closed, [1], 'closed by the client once idle');
  assert.equal(p.connections, 0);
  assert.equal(addressOf(await ask(p, 'q7.example')), addressFor('q7.example'));
  assert.equal(s.accepted, 2, 'a new connection after the idle close');
  assert.equal(s.resumed, 1, 'the new connection resumed the TLS session');
});

test('garbage, wrong-ID and wrong-question frames are counted and do not end the query', async () => {
  const s = await server(false);
  s.onQuery = (q) => {
    s.send(q.socket, randomBytes(40));
    s.send(q.socket, Buffer.alloc(0));
    s.send(q.socket, answerTo(q.query, { id: (q.query.id + 1) & 0xffff, address: '6.6.6.6' }));
    s.send(q.socket, answerTo(q.query, { name: `evil.${q.name}`, address: '6.6.6.6' }));
    s.send(q.socket, Buffer.from(q.query.id.toString(16).padStart(4, '0'), 'hex'));
    setTimeout(() => s.answer(q), 50);
  };
  const { pool: p, mismatches } = pool(s);
  const replies = await Promise.all(['q1.example', 'q2.example'].map((n) => ask(p, n)));
  assert.deepEqual(replies.map(addressOf), [addressFor('q1.example'), addressFor('q2.example')]);
  assert.equal(mismatches(), 10);
  assert.equal(s.accepted, 1, 'junk does not cost the connection');
});

test('no connection carries more than its limit; the rest wait, and past the waiting limit fail at once', async () => {
  const s = await server(false);
  s.onQuery = (q) => setTimeout(() => s.answer(q), 20);
  const { pool: p } = pool(s, { maxInFlight: 4, maxConnections: 1 });
  const names = Array.from({ length: 12 }, (_, i) => `q${i}.example`);
  const replies = await Promise.all(names.map((n) => ask(p, n)));
  replies.forEach((r, i) => assert.equal(addressOf(r), addressFor(names[i]!)));
  assert.equal(s.maxOutstanding, 4);
  assert.equal(s.accepted, 1);

  const s2 = await server(false);
  s2.onQuery = (q) => setTimeout(() => s2.answer(q), 100);
  const { pool: small } = pool(s2, { maxInFlight: 1, maxConnections: 1, maxWaiting: 2 });
  const results = await Promise.allSettled(['q1.example', 'q2.example', 'q3.example', 'q4.example'].map((n) => ask(small, n)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
  const refused = results[3] as PromiseRejectedResult;
  assert.equal((refused.reason as { code?: string }).code, ERROR_CODES.UPSTREAM_FAILED);
  assert.match((refused.reason as Error).message, /2 queries already waiting/);
});

test('a query times out as before; a connection that stayed silent is replaced', async () => {
  const s = await server(false);
  s.onQuery = (q) => { if (q.name !== 'q0.example') s.answer(q); };
  const { pool: p } = pool(s);
  const t0 = Date.now();
  await assert.rejects(ask(p, 'q0.example', 300), (err: Error & { code?: string }) => err.code === ERROR_CODES.UPSTREAM_FAILED && /no answer within 300 ms/.test(err.message));
  const took = Date.now() - t0;
  assert.ok(took >= 290 && took < 800, `timed out after ${took} ms`);
  assert.equal(addressOf(await ask(p, 'q1.example')), addressFor('q1.example'));
  assert.equal(s.accepted, 2, 'the silent connection was not reused');
});

test('closing the forwarder closes its pooled connections and fails what waits on them', async () => {
  const s = await server(false);
  s.onQuery = (q) => { if (q.name !== 'q9.example') s.answer(q); };
  const stats = createDnsStats();
  const fwd = new Forwarder({ upstreams: [s.spec()], timeoutMs: 2000, udpSize: 1232, stats, logger: silentLogger });
  const question = { name: 'q1.example', type: RR_TYPE.A, class: RR_CLASS.IN };
  const first = await fwd.resolve(question, false, false);
  assert.equal(addressOf(first.response), addressFor('q1.example'));
  const waiting = fwd.resolve({ ...question, name: 'q9.example' }, false, false);
  await sleep(50);
  assert.equal(s.accepted, 1);
  assert.deepEqual(s.closed, []);
  fwd.close();
  await assert.rejects(waiting, { code: ERROR_CODES.UPSTREAM_FAILED });
  await sleep(50);
  assert.deepEqual(s.closed, [1]);
});
