import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from 'node:net';
import { decodeMessage, FLAG, RCODE, readEdns, RR_TYPE } from '../../src/dns/index.js';
import { FakePolicy } from './fake-policy.js';
import { FakeUpstream, rr } from './fake-upstream.js';
import { buildQuery, dig, sleep, startGateway, tcpExchange, testSettings, udpExchange, udpQuery, type Gateway } from './dns-test-kit.js';

let up: FakeUpstream;
let gw: Gateway;

// Forty AAAA records: about 1.2 kB, more than 512 bytes but less than 1232.
const many = Array.from({ length: 40 }, (_, i) => rr('big.example', RR_TYPE.AAAA, 300, `2001:db8::${i + 1}`));
// A hundred: more than 1232 bytes, so only TCP can carry it.
const huge = Array.from({ length: 100 }, (_, i) => rr('huge.example', RR_TYPE.AAAA, 300, `2001:db8::${i + 1}`));

before(async () => {
  up = await FakeUpstream.start();
  up.set('www.example', RR_TYPE.A, { answers: [rr('www.example', RR_TYPE.A, 300, '192.0.2.1')] });
  up.set('www.example', RR_TYPE.AAAA, { answers: [rr('www.example', RR_TYPE.AAAA, 300, '2001:db8::1')] });
  up.set('big.example', RR_TYPE.AAAA, { answers: many });
  up.set('huge.example', RR_TYPE.AAAA, { answers: huge });
  up.set('slow.example', RR_TYPE.A, { delayMs: 300, answers: [rr('slow.example', RR_TYPE.A, 300, '192.0.2.9')] });
  up.set('signed.example', RR_TYPE.A, {
    flags: FLAG.AD,
    answers: [rr('signed.example', RR_TYPE.A, 300, '192.0.2.5'), rr('signed.example', RR_TYPE.RRSIG, 300, Buffer.from('0001080200000e10', 'hex'))],
  });
  gw = await startGateway(testSettings([up.spec()]), new FakePolicy(), { tcpIdleMs: 300, maxTcpConnections: 5 });
});

after(async () => {
  await gw.stop();
  await up.stop();
});

test('dig gets an A and an AAAA answer over UDP and over TCP', async () => {
  const a = await dig(gw.port, ['www.example', 'A']);
  assert.equal(a.status, 'NOERROR');
  assert.deepEqual(a.answer.map((r) => r.data), ['192.0.2.1']);
  const aaaa = await dig(gw.port, ['+tcp', 'www.example', 'AAAA']);
  assert.equal(aaaa.status, 'NOERROR');
  assert.deepEqual(aaaa.answer.map((r) => r.data), ['2001:db8::1']);
  assert.ok(gw.server.stats.tcpQueries >= 1);
});

test('the answer echoes the ID and the letter case of the question', async () => {
  const reply = await udpQuery(gw.port, 'WwW.ExAmPlE', RR_TYPE.A, { id: 4242 });
  assert.equal(reply.id, 4242);
  assert.equal(reply.questions[0]!.name, 'WwW.ExAmPlE');
  assert.equal(reply.answers[0]!.data, '192.0.2.1');
});

test('a client without EDNS gets TC for an answer over 512 bytes, and dig retries over TCP', async () => {
  const plain = await udpQuery(gw.port, 'big.example', RR_TYPE.AAAA);
  assert.ok((plain.flags & FLAG.TC) !== 0, 'TC set');
  assert.equal(plain.answers.length, 0);
  const withEdns = await udpQuery(gw.port, 'big.example', RR_TYPE.AAAA, { edns: 4096 });
  assert.equal(withEdns.flags & FLAG.TC, 0);
  assert.equal(withEdns.answers.length, 40);
  assert.equal(readEdns(withEdns)?.udpSize, 1232);
  const d = await dig(gw.port, ['+noedns', 'big.example', 'AAAA']);
  assert.match(d.raw, /Truncated, retrying in TCP mode/);
  assert.equal(d.answer.length, 40);
});

test('an EDNS size above the cap is held to 1232 bytes', async () => {
  const reply = await udpExchange(gw.port, buildQuery('huge.example', RR_TYPE.AAAA, { edns: 65000 }));
  assert.ok(reply !== null && reply.length <= 1232);
  assert.ok((decodeMessage(reply).flags & FLAG.TC) !== 0);
  const d = await dig(gw.port, ['+bufsize=4096', 'huge.example', 'AAAA']);
  assert.equal(d.answer.length, 100);
});

test('the DO bit goes upstream, DNSSEC records come back, and the cache keeps DO apart', async () => {
  const before = up.count('signed.example');
  const plain = await udpQuery(gw.port, 'signed.example', RR_TYPE.A, { edns: 1232 });
  const secure = await udpQuery(gw.port, 'signed.example', RR_TYPE.A, { edns: 1232, dnssecOk: true });
  assert.equal(up.count('signed.example') - before, 2, 'one upstream query per DO value');
  const seen = up.seen.filter((s) => s.name === 'signed.example');
  assert.deepEqual(seen.map((s) => s.dnssecOk), [false, true]);
  assert.equal(plain.flags & FLAG.AD, 0, 'no AD for a client that did not ask');
  assert.ok((secure.flags & FLAG.AD) !== 0);
  assert.equal(readEdns(secure)?.dnssecOk, true);
  assert.ok(secure.answers.some((r) => r.type === RR_TYPE.RRSIG));
  await udpQuery(gw.port, 'signed.example', RR_TYPE.A, { edns: 1232, dnssecOk: true });
  assert.equal(up.count('signed.example') - before, 2, 'second DO query from the cache');
});

test('ANY gets one HINFO "RFC8482" record and is not forwarded', async () => {
  const before = up.seen.length;
  const d = await dig(gw.port, ['www.example', 'ANY']);
  assert.equal(d.status, 'NOERROR');
  assert.equal(d.answer.length, 1);
  assert.equal(d.answer[0]!.type, 'HINFO');
  assert.match(d.answer[0]!.data, /RFC8482/);
  assert.equal(up.seen.length, before);
});

test('pipelined TCP queries on one connection are all answered, the fast one first', async () => {
  const slow = buildQuery('slow.example', RR_TYPE.A, { id: 1 });
  const fast = buildQuery('www.example', RR_TYPE.A, { id: 2 });
  const fast2 = buildQuery('www.example', RR_TYPE.AAAA, { id: 3 });
  const replies = await tcpExchange(gw.port, [slow, fast, fast2]);
  assert.equal(replies.length, 3);
  const ids = replies.map((r) => decodeMessage(r).id);
  assert.equal(ids[ids.length - 1], 1, 'the slow answer comes last');
  assert.deepEqual([...ids].sort(), [1, 2, 3]);
});

test('an idle TCP connection is closed after the idle timeout', async () => {
  const closed = await new Promise<number>((resolve) => {
    const t0 = Date.now();
    const sock = connect(gw.port, '127.0.0.1');
    sock.on('close', () => resolve(Date.now() - t0));
    sock.on('error', () => undefined);
  });
  assert.ok(closed >= 250 && closed < 2000, `closed after ${closed} ms`);
});

test('connections beyond the maximum are closed at once', async () => {
  const socks = await Promise.all(Array.from({ length: 5 }, () => new Promise<ReturnType<typeof connect>>((resolve) => {
    const s = connect(gw.port, '127.0.0.1', () => resolve(s));
  })));
  await sleep(50);
  const extra = await new Promise<boolean>((resolve) => {
    const s = connect(gw.port, '127.0.0.1');
    s.on('close', () => resolve(true));
    s.on('error', () => undefined);
    setTimeout(() => { s.destroy(); resolve(false); }, 200);
  });
  for (const s of socks) s.destroy();
  assert.equal(extra, true);
});

test('a packet with a readable header but a bad body gets FORMERR; shorter ones are dropped', async () => {
  const before = gw.server.stats.malformed;
  const bad = Buffer.from('abcd01000001000000000000c00c00010001', 'hex');
  const reply = await udpExchange(gw.port, bad, 1000);
  assert.ok(reply !== null);
  assert.equal(reply.readUInt16BE(0), 0xabcd);
  assert.equal(reply.readUInt16BE(2) & 0xf, RCODE.FORMERR);
  assert.equal(await udpExchange(gw.port, Buffer.from([1, 2, 3]), 300), null);
  assert.equal(gw.server.stats.malformed - before, 2);
});

test('a query with two questions gets FORMERR, an unknown opcode NOTIMP', async () => {
  const two = Buffer.from(buildQuery('www.example', RR_TYPE.A));
  const q = two.subarray(12);
  const packet = Buffer.concat([two, q]);
  packet.writeUInt16BE(2, 4);
  const r1 = await udpExchange(gw.port, packet);
  assert.equal(decodeMessage(r1!).flags & 0xf, RCODE.FORMERR);
  const r2 = await udpQuery(gw.port, 'www.example', RR_TYPE.A, { flags: FLAG.RD | (2 << 11) });
  assert.equal(r2.flags & 0xf, RCODE.NOTIMP);
});

test('an EDNS version other than 0 gets BADVERS', async () => {
  const packet = buildQuery('www.example', RR_TYPE.A, { edns: 1232 });
  packet.writeUInt8(1, packet.length - 11 + 6); // OPT TTL byte 2: version
  const reply = decodeMessage((await udpExchange(gw.port, packet))!);
  assert.equal(readEdns(reply)?.extendedRcode, 1);
  assert.equal(reply.flags & 0xf, 0);
});

test('a response sent to the server is dropped, not answered', async () => {
  const packet = buildQuery('www.example', RR_TYPE.A, { flags: FLAG.QR });
  assert.equal(await udpExchange(gw.port, packet, 300), null);
});
