import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { encodeMessage, FLAG, makeOpt, RR_CLASS, RR_TYPE } from '../../src/dns/index.js';
import { FakePolicy } from './fake-policy.js';
import { FakeUpstream, rr } from './fake-upstream.js';
import { buildQuery, dig, sleep, startGateway, testSettings, type Gateway } from './dns-test-kit.js';

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.RAMBU_FUZZ_SEED ?? 20260601);
const rand = prng(SEED);
const int = (n: number): number => Math.floor(rand() * n);

const SEEDS: Buffer[] = [
  buildQuery('www.youtube.com', RR_TYPE.A, { edns: 1232, dnssecOk: true }),
  buildQuery('a.b.c.example', RR_TYPE.AAAA),
  buildQuery('example', RR_TYPE.HTTPS, { edns: 4096 }),
  encodeMessage({
    id: 1, flags: FLAG.RD, questions: [{ name: 'x.example', type: RR_TYPE.A, class: RR_CLASS.IN }],
    answers: [rr('x.example', RR_TYPE.CNAME, 1, 'y.x.example'), rr('y.x.example', RR_TYPE.MX, 1, { preference: 1, exchange: 'm.x.example' })],
    authorities: [rr('example', RR_TYPE.SOA, 1, { mname: 'ns.example', rname: 'h.example', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 })],
    additionals: [makeOpt(1232, false)],
  }),
];

/** A random packet, a mutated valid one, or a hand-made nasty (pointer loops, lying counts). */
function packet(): Buffer {
  const kind = int(10);
  if (kind < 3) {
    const b = Buffer.alloc(int(kind === 0 ? 12 : 600));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    return b;
  }
  const b = Buffer.from(SEEDS[int(SEEDS.length)]!);
  if (kind === 9) {
    // A compression pointer somewhere, often at or after itself.
    const at = 12 + int(Math.max(1, b.length - 13));
    b[at] = 0xc0 | int(4);
    b[at + 1] = int(256);
    return b;
  }
  if (kind === 8) {
    b.writeUInt16BE(int(65536), 4 + 2 * int(4));
    return b;
  }
  const flips = 1 + int(6);
  for (let i = 0; i < flips; i++) b[int(b.length)] = int(256);
  b[2] = b[2]! & 0x7f; // keep it a query most of the time, so the full decoder runs
  if (kind === 7) return b.subarray(0, int(b.length));
  return b;
}

let up: FakeUpstream;
let gw: Gateway;

before(async () => {
  up = await FakeUpstream.start();
  up.respond = (q) => ({ answers: q.type === RR_TYPE.A ? [rr(q.name, RR_TYPE.A, 60, '192.0.2.1')] : [] });
  up.set('after-fuzz.example', RR_TYPE.A, { answers: [rr('after-fuzz.example', RR_TYPE.A, 60, '192.0.2.200')] });
  gw = await startGateway(testSettings([up.spec()], { timeoutMs: 500 }), new FakePolicy([
    { service: 'youtube', domains: ['youtube.com'], from: null, to: null },
  ]), { tcpIdleMs: 500 });
});

after(async () => {
  await gw.stop();
  await up.stop();
});

test(`20,000 random and mutated packets over UDP and TCP do not break the server (seed ${SEED})`, async () => {
  const sock = createSocket('udp4');
  sock.on('message', () => undefined);
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  for (let i = 0; i < 16_000; i++) {
    sock.send(packet(), gw.port, '127.0.0.1');
    // Pace the sender so the kernel's socket buffer does not drop most of the packets.
    if (i % 20 === 0) await sleep(1);
  }
  // TCP: well-framed mutated messages on several connections, then raw garbage streams.
  for (let c = 0; c < 20; c++) {
    const frames: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const p = packet();
      const len = Buffer.alloc(2);
      len.writeUInt16BE(p.length);
      frames.push(len, p);
    }
    const conn = connect(gw.port, '127.0.0.1');
    conn.on('error', () => undefined);
    conn.on('data', () => undefined);
    conn.end(Buffer.concat(frames));
  }
  for (let c = 0; c < 20; c++) {
    const conn = connect(gw.port, '127.0.0.1');
    conn.on('error', () => undefined);
    const junk = Buffer.alloc(1 + int(3000));
    for (let i = 0; i < junk.length; i++) junk[i] = int(256);
    conn.write(junk);
    setTimeout(() => conn.destroy(), 100 + int(200));
  }
  await sleep(1200);
  sock.close();

  const s = gw.server.stats;
  if (process.env.RAMBU_FUZZ_VERBOSE !== undefined) console.log(JSON.stringify({ ...s, upstreamLatency: s.upstreamLatency.count }));
  assert.ok(s.malformed > 1000, `malformed counted: ${s.malformed}`);
  assert.ok(s.malformed + s.queries > 15_000, `packets that reached the handler: ${s.malformed + s.queries}`);
  assert.ok(s.queries > 1000, `well-formed mutants answered: ${s.queries}`);

  const udp = await dig(gw.port, ['after-fuzz.example', 'A']);
  assert.deepEqual(udp.answer.map((r) => r.data), ['192.0.2.200']);
  const tcp = await dig(gw.port, ['+tcp', 'after-fuzz.example', 'A']);
  assert.deepEqual(tcp.answer.map((r) => r.data), ['192.0.2.200']);
  assert.equal((await dig(gw.port, ['www.youtube.com', 'AAAA'])).status, 'NXDOMAIN');
});
