import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES } from '../errors.js';
import { hashQuestion, MAX_QUESTION_KEY, writeQuestionKey } from './question-key.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

function key(name: string, type: number = RR_TYPE.A): string {
  const out = Buffer.alloc(MAX_QUESTION_KEY);
  return out.subarray(0, writeQuestionKey(out, name, type, RR_CLASS.IN)).toString('hex');
}

test('the key is the question in wire form with ASCII letters lowercased', () => {
  assert.equal(key('www.Example'), '03777777076578616d706c6500' + '0001' + '0001');
  assert.equal(key('', RR_TYPE.NS), '00' + '0002' + '0001');
  assert.equal(key('a\\.b.example'), '03612e62076578616d706c6500' + '0001' + '0001');
  assert.equal(key('\\065.example'), key('a.example'));
  assert.equal(key('\\255.example').slice(0, 4), '01ff');
  const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
  assert.equal(key(longest).length / 2, MAX_QUESTION_KEY);
});

test('a name that cannot be encoded is DNS_ENCODE', () => {
  assert.throws(() => key('a..example'), { code: ERROR_CODES.DNS_ENCODE });
  assert.throws(() => key(`${'a'.repeat(64)}.example`), { code: ERROR_CODES.DNS_ENCODE });
});

test('the hash depends on the key bytes and the DO bit only', () => {
  const a = Buffer.from(key('www.example'), 'hex');
  const shifted = Buffer.concat([Buffer.from([9, 9, 9]), a]);
  assert.equal(hashQuestion(a, 0, a.length, false), hashQuestion(shifted, 3, shifted.length, false));
  assert.notEqual(hashQuestion(a, 0, a.length, false), hashQuestion(a, 0, a.length, true));
  const b = Buffer.from(key('www.example', RR_TYPE.AAAA), 'hex');
  assert.notEqual(hashQuestion(a, 0, a.length, false), hashQuestion(b, 0, b.length, false));
  // Spread: a thousand similar names land in nearly a thousand of 4096 slots.
  const slots = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const k = Buffer.from(key(`host${i}.example`), 'hex');
    slots.add(hashQuestion(k, 0, k.length, false) & 4095);
  }
  assert.ok(slots.size > 850, `${slots.size} slots`);
});
