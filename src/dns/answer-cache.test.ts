import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnswerCache, cacheKey } from './answer-cache.js';
import { createAnswerEntry } from './answer-entry.js';
import type { DnsMessage } from './message-codec.js';
import { FLAG } from './rcodes.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

const LIMITS = { minTtl: 0, maxTtl: 86400, negativeMaxTtl: 3600 };
const Q = { name: 'www.example', type: RR_TYPE.A, class: RR_CLASS.IN };
const REPLY: DnsMessage = {
  id: 9, flags: FLAG.QR | FLAG.RA, questions: [Q], authorities: [], additionals: [],
  answers: [{ name: 'www.example', type: RR_TYPE.A, class: RR_CLASS.IN, ttl: 10, data: '192.0.2.1' }],
};

test('the cache evicts the least recently used entry and drops expired ones', () => {
  const cache = new AnswerCache(2);
  const e = createAnswerEntry(REPLY, Q, 0, LIMITS, null);
  cache.set('a', e);
  cache.set('b', e);
  assert.ok(cache.get('a', 0));
  cache.set('c', e);
  assert.equal(cache.get('b', 0), undefined);
  assert.ok(cache.get('a', 9_999));
  assert.equal(cache.get('a', 10_000), undefined);
  assert.equal(cacheKey('x', 1, 1, true), 'x|1|1|1');
});
