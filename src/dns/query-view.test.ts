import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeName } from './domain-name.js';
import { makeOpt } from './edns.js';
import { decodeMessage, encodeMessage, type ResourceRecord } from './message-codec.js';
import { MAX_QUESTION_KEY, writeQuestionKey } from './question-key.js';
import { QueryView } from './query-view.js';
import { FLAG } from './rcodes.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

function query(name: string, type: number, additionals: ResourceRecord[] = [], flags: number = FLAG.RD): Buffer {
  return encodeMessage({ id: 0xbeef, flags, questions: [{ name, type, class: RR_CLASS.IN }], answers: [], authorities: [], additionals });
}

test('common queries are read in place: name lowercased, EDNS size and DO bit, the same cache key', () => {
  const view = new QueryView();
  const key = Buffer.alloc(MAX_QUESTION_KEY);
  const table: { packet: Buffer; edns: number; dnssecOk: boolean }[] = [
    { packet: query('WwW.Example.COM', RR_TYPE.A), edns: -1, dnssecOk: false },
    { packet: query('a-b_c.example', RR_TYPE.AAAA, [makeOpt(4096, false)]), edns: 4096, dnssecOk: false },
    { packet: query('x.example', RR_TYPE.HTTPS, [makeOpt(1232, true)]), edns: 1232, dnssecOk: true },
    { packet: query('', RR_TYPE.NS), edns: -1, dnssecOk: false },
    { packet: query(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, 65280), edns: -1, dnssecOk: false },
  ];
  for (const { packet, edns, dnssecOk } of table) {
    const full = decodeMessage(packet);
    const q = full.questions[0]!;
    assert.equal(view.read(packet), true, q.name);
    assert.equal(view.id, 0xbeef);
    assert.equal(view.flags, FLAG.RD);
    assert.equal(view.name, normalizeName(q.name));
    assert.equal(view.type, q.type);
    assert.equal(view.class, RR_CLASS.IN);
    assert.equal(view.questionEnd, full.questionEnd);
    assert.equal(view.ednsSize, edns);
    assert.equal(view.dnssecOk, dnssecOk);
    const keyLength = writeQuestionKey(key, normalizeName(q.name), q.type, q.class);
    assert.equal(view.key.subarray(0, view.keyLength).toString('hex'), key.subarray(0, keyLength).toString('hex'));
    // The key is the question section with the name lowercased.
    assert.equal(view.keyLength, full.questionEnd - 12);
  }
});

test('anything unusual is left to the full decoder', () => {
  const view = new QueryView();
  const plain = query('www.example', RR_TYPE.A);
  const withOpt = query('www.example', RR_TYPE.A, [makeOpt(1232, false)]);
  const badVersion = Buffer.from(withOpt);
  badVersion[badVersion.length - 5] = 1;
  const compressed = Buffer.from('abcd01000001000000000000c00c00010001', 'hex');
  const escaped = Buffer.from(plain);
  escaped[13] = 0x2e; // a dot inside the first label
  const space = Buffer.from(plain);
  space[13] = 0x20;
  const twoQuestions = Buffer.concat([plain, plain.subarray(12)]);
  twoQuestions.writeUInt16BE(2, 4);
  const table: [string, Buffer][] = [
    ['a response', query('www.example', RR_TYPE.A, [], FLAG.QR)],
    ['opcode NOTIFY', query('www.example', RR_TYPE.A, [], 4 << 11)],
    ['two questions', twoQuestions],
    ['an answer record', encodeMessage({ id: 1, flags: 0, questions: [{ name: 'a.example', type: 1, class: 1 }], answers: [{ name: 'a.example', type: 1, class: 1, ttl: 1, data: '192.0.2.1' }], authorities: [], additionals: [] })],
    ['an additional record that is not OPT', query('www.example', RR_TYPE.A, [{ name: '', type: RR_TYPE.TXT, class: 1, ttl: 0, data: Buffer.from([0]) }])],
    ['EDNS version 1', badVersion],
    ['a compression pointer', compressed],
    ['a dot inside a label', escaped],
    ['a space inside a label', space],
    ['a trailing byte', Buffer.concat([plain, Buffer.from([0])])],
    ['a truncated question', plain.subarray(0, plain.length - 1)],
    ['a truncated OPT', withOpt.subarray(0, withOpt.length - 1)],
    ['a header only', plain.subarray(0, 12)],
  ];
  for (const [what, packet] of table) assert.equal(view.read(packet), false, what);
});
