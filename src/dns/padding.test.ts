import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES } from '../errors.js';
import { createAnswerEntry, renderAnswer } from './answer-entry.js';
import { makeOpt, readEdns } from './edns.js';
import { decodeMessage, encodeMessage, type DecodedMessage, type DnsMessage, type ResourceRecord } from './message-codec.js';
import { EDNS_OPTION_PADDING, padMessage, QUERY_PADDING_BLOCK, readEdnsOptions, type EdnsOption } from './padding.js';
import { FLAG } from './rcodes.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

const IN = RR_CLASS.IN;
/** DNS Cookie (RFC 7873) and Client Subnet (RFC 7871): options that must survive padding. */
const COOKIE: EdnsOption = { code: 10, data: Buffer.from('0123456789abcdef', 'hex') };
const SUBNET: EdnsOption = { code: 8, data: Buffer.from([0, 1, 24, 0, 192, 0, 2]) };

function optionBytes(options: readonly EdnsOption[]): Buffer {
  return Buffer.concat(options.map((o) => {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(o.code, 0);
    head.writeUInt16BE(o.data.length, 2);
    return Buffer.concat([head, o.data]);
  }));
}

function opt(udpSize: number, dnssecOk: boolean, options: readonly EdnsOption[] = []): ResourceRecord {
  return { ...makeOpt(udpSize, dnssecOk), data: optionBytes(options) };
}

function query(name: string, additionals: ResourceRecord[] = [opt(1232, false)], type: number = RR_TYPE.A): DnsMessage {
  return { id: 0x1234, flags: FLAG.RD, questions: [{ name, type, class: IN }], answers: [], authorities: [], additionals };
}

function optOf(msg: DecodedMessage): ResourceRecord {
  const found = msg.additionals.filter((rr) => rr.type === RR_TYPE.OPT);
  assert.equal(found.length, 1, 'exactly one OPT');
  return found[0]!;
}

function optionsOf(msg: DecodedMessage): EdnsOption[] {
  return readEdnsOptions(optOf(msg).data as Buffer);
}

function counts(wire: Buffer): number[] {
  return [4, 6, 8, 10].map((at) => wire.readUInt16BE(at));
}

/** A name of exactly `wireLength` bytes on the wire (root label included), in labels of up to 63. */
function nameOfWireLength(wireLength: number): string {
  const labels: string[] = [];
  let left = wireLength - 1;
  while (left > 0) {
    const n = Math.min(63, left - 1);
    // A one-byte remainder cannot be a label: move a byte from this label to the next.
    const take = left - 1 - n === 1 ? n - 1 : n;
    labels.push('a'.repeat(take));
    left -= take + 1;
  }
  return labels.join('.');
}

test('every padded query is a multiple of 128 bytes, the closest one, and keeps everything else', () => {
  const extras: EdnsOption[][] = [[], [COOKIE], [SUBNET, COOKIE]];
  let checked = 0;
  for (let nameLength = 3; nameLength <= 255; nameLength++) {
    for (const options of extras) {
      for (const dnssecOk of [false, true]) {
        const original = query(nameOfWireLength(nameLength), [opt(1232, dnssecOk, options)], nameLength % 2 === 0 ? RR_TYPE.A : RR_TYPE.HTTPS);
        const wire = encodeMessage(original);
        const padded = padMessage(wire);
        assert.equal(padded.length % QUERY_PADDING_BLOCK, 0, `${wire.length} bytes padded to ${padded.length}`);
        assert.equal(padded.length, Math.ceil((wire.length + 4) / QUERY_PADDING_BLOCK) * QUERY_PADDING_BLOCK);
        assert.deepEqual(padded.subarray(0, 12), wire.subarray(0, 12), 'header and counts unchanged');
        const msg = decodeMessage(padded);
        assert.deepEqual(msg.questions, original.questions);
        assert.deepEqual(readEdns(msg), { udpSize: 1232, version: 0, dnssecOk, extendedRcode: 0 });
        const got = optionsOf(msg);
        assert.deepEqual(got.slice(0, -1), options, 'other options first, unchanged');
        const padding = got.at(-1)!;
        assert.equal(padding.code, EDNS_OPTION_PADDING);
        assert.equal(padding.data.length, padded.length - wire.length - 4);
        assert.ok(padding.data.every((b) => b === 0), 'padding bytes are zeros');
        checked++;
      }
    }
  }
  assert.equal(checked, 253 * 6);
});

test('a query 4 bytes short of a block gets an empty Padding option and no more', () => {
  const name = nameOfWireLength(128 - 4 - 12 - 4 - 11);
  const wire = encodeMessage(query(name));
  assert.equal(wire.length, 124);
  const padded = padMessage(wire);
  assert.equal(padded.length, 128);
  assert.deepEqual(optionsOf(decodeMessage(padded)), [{ code: EDNS_OPTION_PADDING, data: Buffer.alloc(0) }]);
  // One byte longer takes the next block.
  const longer = encodeMessage(query(nameOfWireLength(128 - 4 - 12 - 4 - 11 + 1)));
  assert.equal(longer.length, 125);
  assert.equal(padMessage(longer).length, 256);
});

test('a name of the longest wire length, 255 bytes, pads to 384', () => {
  const name = nameOfWireLength(255);
  assert.equal(name.length, 253);
  const wire = encodeMessage(query(name, [opt(1232, true, [COOKIE])]));
  const padded = padMessage(wire);
  assert.equal(padded.length, 384);
  assert.equal(decodeMessage(padded).questions[0]!.name, name);
});

test('padding a padded message changes nothing; another block size re-pads it', () => {
  const padded = padMessage(encodeMessage(query('www.example.com', [opt(1232, false, [COOKIE])])));
  assert.deepEqual(padMessage(padded), padded);
  const again = padMessage(padded, 468);
  assert.equal(again.length, 468);
  assert.deepEqual(optionsOf(decodeMessage(again)).map((o) => o.code), [COOKIE.code, EDNS_OPTION_PADDING], 'one Padding option, last');
});

test('a query without an OPT record gets one with the Padding option', () => {
  const wire = encodeMessage(query('www.example.com', []));
  const padded = padMessage(wire);
  assert.equal(padded.length, 128);
  assert.deepEqual(counts(padded), [1, 0, 0, 1]);
  const msg = decodeMessage(padded);
  assert.deepEqual(readEdns(msg), { udpSize: 512, version: 0, dnssecOk: false, extendedRcode: 0 });
  assert.deepEqual(optionsOf(msg).map((o) => o.code), [EDNS_OPTION_PADDING]);
});

test('records around the OPT, compressed names among them, stay intact', () => {
  const a = (name: string, address: string): ResourceRecord => ({ name, type: RR_TYPE.A, class: IN, ttl: 60, data: address });
  const original: DnsMessage = {
    id: 7, flags: FLAG.QR | FLAG.RA, questions: [{ name: 'www.example.com', type: RR_TYPE.A, class: IN }],
    answers: [a('www.example.com', '192.0.2.1')],
    authorities: [{ name: 'example.com', type: RR_TYPE.NS, class: IN, ttl: 60, data: 'ns.example.com' }],
    additionals: [a('ns.example.com', '192.0.2.53'), opt(1232, false, [SUBNET]), a('ns.example.com', '192.0.2.54')],
  };
  const wire = encodeMessage(original);
  const padded = padMessage(wire);
  assert.equal(padded.length, 128);
  assert.deepEqual(counts(padded), counts(wire));
  const msg = decodeMessage(padded);
  assert.deepEqual(msg.answers, original.answers);
  assert.deepEqual(msg.authorities, original.authorities);
  assert.deepEqual(msg.additionals[0], original.additionals[0]);
  assert.deepEqual(msg.additionals[2], original.additionals[2]);
  assert.deepEqual(optionsOf(msg).map((o) => o.code), [SUBNET.code, EDNS_OPTION_PADDING]);
});

test('a message that does not decode is DNS_MALFORMED', () => {
  const good = encodeMessage(query('www.example.com'));
  const twoOpts = encodeMessage(query('www.example.com', [opt(1232, false), opt(1232, false)]));
  const brokenOption = encodeMessage(query('www.example.com', [{ ...makeOpt(1232, false), data: Buffer.from([0, 10, 0, 8, 1, 2]) }]));
  const namedOpt = encodeMessage(query('www.example.com', [{ ...makeOpt(1232, false), name: 'example.com' }]));
  for (const bad of [good.subarray(0, 11), good.subarray(0, good.length - 1), Buffer.concat([good, Buffer.from([0])]), twoOpts, brokenOption, namedOpt]) {
    assert.throws(() => padMessage(bad), { code: ERROR_CODES.DNS_MALFORMED }, bad.toString('hex'));
  }
});

test('a message that cannot be padded within 65535 bytes, or a bad block size, is a RangeError', () => {
  const txt: ResourceRecord = { name: '', type: RR_TYPE.TXT, class: IN, ttl: 0, data: Buffer.alloc(65_400) };
  const huge = encodeMessage({ ...query('x'), answers: [txt] });
  assert.throws(() => padMessage(huge), RangeError);
  for (const blockSize of [0, 1.5, 65_536]) assert.throws(() => padMessage(encodeMessage(query('x')), blockSize), RangeError);
});

test('an upstream answer with a Padding option decodes, and a client gets our OPT without it', () => {
  const question = { name: 'www.example.com', type: RR_TYPE.A, class: IN };
  const answer = padMessage(encodeMessage({
    id: 9, flags: FLAG.QR | FLAG.RA | FLAG.RD, questions: [question],
    answers: [{ name: 'www.example.com', type: RR_TYPE.A, class: IN, ttl: 300, data: '192.0.2.1' }],
    authorities: [], additionals: [opt(1232, true, [COOKIE])],
  }), 468);
  assert.equal(answer.length, 468);
  const response = decodeMessage(answer);
  assert.deepEqual(readEdns(response), { udpSize: 1232, version: 0, dnssecOk: true, extendedRcode: 0 });
  const entry = createAnswerEntry(response, question, 0, { minTtl: 0, maxTtl: 86400, negativeMaxTtl: 900 }, 'tls://192.0.2.53');
  const client = encodeMessage(query('www.example.com', [opt(4096, true, [COOKIE])]));
  const rendered = decodeMessage(renderAnswer(entry, {
    query: client, queryQuestionEnd: decodeMessage(client).questionEnd, ednsSize: 4096, dnssecOk: true,
    maxSize: 4096, ourUdpSize: 1232, now: 0, ttlCap: Infinity,
  }));
  assert.deepEqual(rendered.answers.map((rr) => rr.data), ['192.0.2.1']);
  assert.deepEqual(optOf(rendered).data, Buffer.alloc(0), 'no option of the upstream reaches the client');
});
