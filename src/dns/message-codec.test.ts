import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES } from '../errors.js';
import { makeOpt, readEdns } from './edns.js';
import { decodeMessage, encodeMessage, type DnsMessage } from './message-codec.js';
import { FLAG, RCODE } from './rcodes.js';
import { characterStrings } from './record-data.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

const IN = RR_CLASS.IN;

function sample(): DnsMessage {
  return {
    id: 0xbeef,
    flags: FLAG.QR | FLAG.RD | FLAG.RA | FLAG.AD,
    questions: [{ name: 'www.youtube.com', type: RR_TYPE.A, class: IN }],
    answers: [
      { name: 'www.youtube.com', type: RR_TYPE.CNAME, class: IN, ttl: 300, data: 'youtube-ui.l.google.com' },
      { name: 'youtube-ui.l.google.com', type: RR_TYPE.A, class: IN, ttl: 60, data: '142.250.4.93' },
      { name: 'youtube-ui.l.google.com', type: RR_TYPE.AAAA, class: IN, ttl: 60, data: '2404:6800:4003:c00::5d' },
      { name: 'youtube.com', type: RR_TYPE.MX, class: IN, ttl: 60, data: { preference: 10, exchange: 'smtp.google.com' } },
      { name: '_sip._udp.youtube.com', type: RR_TYPE.SRV, class: IN, ttl: 60, data: { priority: 1, weight: 2, port: 5060, target: 'sip.youtube.com' } },
      { name: 'youtube.com', type: RR_TYPE.TXT, class: IN, ttl: 60, data: characterStrings(['v=spf1 -all', '']) },
      { name: 'youtube.com', type: RR_TYPE.HTTPS, class: IN, ttl: 60, data: Buffer.from('0001000001000302683200', 'hex') },
      { name: 'weird\\.label\\000x.youtube.com', type: 65280, class: IN, ttl: 7, data: Buffer.from([1, 2, 3]) },
    ],
    authorities: [
      { name: 'google.com', type: RR_TYPE.SOA, class: IN, ttl: 60, data: { mname: 'ns1.google.com', rname: 'dns-admin.google.com', serial: 1, refresh: 900, retry: 900, expire: 1800, minimum: 60 } },
      { name: 'google.com', type: RR_TYPE.NS, class: IN, ttl: 60, data: 'ns1.google.com' },
    ],
    additionals: [
      { name: 'ns1.google.com', type: RR_TYPE.PTR, class: IN, ttl: 60, data: 'x.google.com' },
      makeOpt(1232, true),
    ],
  };
}

test('a message round-trips through encode and decode', () => {
  const msg = sample();
  const wire = encodeMessage(msg);
  const back = decodeMessage(wire);
  const { questionEnd, ...rest } = back;
  assert.deepEqual(rest, msg);
  assert.equal(questionEnd, 12 + 17 + 4);
  assert.deepEqual(encodeMessage(back), wire);
});

test('names are compressed against earlier names, case-insensitively', () => {
  const msg = sample();
  const wire = encodeMessage(msg);
  const uncompressedGuess = msg.answers.reduce((n, rr) => n + rr.name.length + 2, 0);
  assert.ok(wire.length < 400, `encoded ${wire.length} bytes`);
  assert.ok(uncompressedGuess > 0);
  // "youtube-ui.l.google.com" is written once in full, then pointed at.
  assert.equal(wire.indexOf('youtube-ui'), wire.lastIndexOf('youtube-ui'));
});

test('TTL offsets point at every TTL except the OPT record', () => {
  const ttlOffsets: number[] = [];
  const wire = encodeMessage(sample(), { ttlOffsets });
  assert.equal(ttlOffsets.length, 8 + 2 + 1);
  assert.deepEqual(ttlOffsets.slice(0, 2).map((at) => wire.readUInt32BE(at)), [300, 60]);
});

test('EDNS parameters are read from the OPT record', () => {
  const edns = readEdns(decodeMessage(encodeMessage(sample())));
  assert.deepEqual(edns, { udpSize: 1232, version: 0, dnssecOk: true, extendedRcode: 0 });
  const two = sample();
  two.additionals.push(makeOpt(512, false));
  assert.throws(() => readEdns(two), { code: ERROR_CODES.DNS_MALFORMED });
});

function query(name: string): Buffer {
  return encodeMessage({ id: 1, flags: FLAG.RD, questions: [{ name, type: RR_TYPE.A, class: IN }], answers: [], authorities: [], additionals: [] });
}

const MALFORMED: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['short header', Buffer.from([0, 1, 0, 0, 0, 1])],
  ['question count with no question', Buffer.from('000101000001000000000000', 'hex')],
  ['huge answer count', Buffer.from('0001010000010fff00000000' + '0000010001', 'hex')],
  ['label past the end', Buffer.concat([Buffer.from('000101000001000000000000', 'hex'), Buffer.from([10, 0x61, 0x62])])],
  ['pointer to itself', Buffer.concat([Buffer.from('000101000001000000000000', 'hex'), Buffer.from([0xc0, 12, 0, 1, 0, 1])])],
  ['forward pointer', Buffer.concat([Buffer.from('000101000001000000000000', 'hex'), Buffer.from([0xc0, 14, 0, 1, 0, 1, 1, 0x61, 0])])],
  ['reserved label type 0x40', Buffer.concat([Buffer.from('000101000001000000000000', 'hex'), Buffer.from([0x41, 0x61, 0, 0, 1, 0, 1])])],
  ['trailing bytes', Buffer.concat([query('a.example'), Buffer.from([0])])],
  ['truncated question type', query('a.example').subarray(0, -3)],
];

for (const [what, packet] of MALFORMED) {
  test(`decoding rejects ${what} with DNS_MALFORMED`, () => {
    assert.throws(() => decodeMessage(packet), { code: ERROR_CODES.DNS_MALFORMED });
  });
}

test('decoding rejects a pointer loop between two names', () => {
  // Question "a" at 12, then an answer whose name points at 20 which points back at 20's own start.
  const head = Buffer.from('000181800001000100000000', 'hex');
  const q = Buffer.from([1, 0x61, 0, 0, 1, 0, 1]); // 12..18
  const rr = Buffer.from([1, 0x62, 0xc0, 19, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]); // name at 19 points to 19
  assert.throws(() => decodeMessage(Buffer.concat([head, q, rr])), { code: ERROR_CODES.DNS_MALFORMED });
});

test('decoding rejects names over 255 bytes built from pointers', () => {
  const label63 = Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)]);
  const parts = [Buffer.from('000181800001000100000000', 'hex')];
  // Question: 4 labels of 63 = 256 + root > 255.
  parts.push(label63, label63, label63, label63, Buffer.from([0, 0, 1, 0, 1]));
  assert.throws(() => decodeMessage(Buffer.concat(parts)), { code: ERROR_CODES.DNS_MALFORMED });
});

test('rdata that does not fill its length is malformed', () => {
  const msg = sample();
  msg.answers = [{ name: 'a', type: RR_TYPE.A, class: IN, ttl: 1, data: '1.2.3.4' }];
  msg.authorities = [];
  msg.additionals = [];
  const wire = encodeMessage(msg);
  const rdlenAt = wire.length - 6;
  const bad = Buffer.from(wire);
  bad.writeUInt16BE(5, rdlenAt);
  assert.throws(() => decodeMessage(Buffer.concat([bad, Buffer.from([9])])), { code: ERROR_CODES.DNS_MALFORMED });
});

test('encoding rejects oversized labels and names with DNS_ENCODE', () => {
  assert.throws(() => query(`${'a'.repeat(64)}.example`), { code: ERROR_CODES.DNS_ENCODE });
  assert.throws(() => query(Array.from({ length: 130 }, () => 'ab').join('.')), { code: ERROR_CODES.DNS_ENCODE });
  assert.throws(() => query('a..b'), { code: ERROR_CODES.DNS_ENCODE });
});

test('an NXDOMAIN with only the header flags set decodes', () => {
  const wire = encodeMessage({ id: 7, flags: FLAG.QR | RCODE.NXDOMAIN, questions: [], answers: [], authorities: [], additionals: [] });
  assert.equal(decodeMessage(wire).flags & 0xf, RCODE.NXDOMAIN);
});

test('compression across letter case keeps names equal ignoring case', () => {
  const msg = sample();
  msg.questions[0]!.name = 'WWW.YouTube.COM';
  const back = decodeMessage(encodeMessage(msg));
  assert.equal(back.answers[3]!.name.toLowerCase(), 'youtube.com');
  assert.equal(back.answers[3]!.name, 'YouTube.COM');
});
