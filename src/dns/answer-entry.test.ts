import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAnswerEntry, renderAnswer } from './answer-entry.js';
import { decodeMessage, encodeMessage, type DnsMessage } from './message-codec.js';
import { FLAG, RCODE } from './rcodes.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

const LIMITS = { minTtl: 0, maxTtl: 86400, negativeMaxTtl: 3600 };
const Q = { name: 'www.example', type: RR_TYPE.A, class: RR_CLASS.IN };

function upstreamReply(ttl: number): DnsMessage {
  return {
    id: 9, flags: FLAG.QR | FLAG.RA | FLAG.RD, questions: [Q], authorities: [], additionals: [],
    answers: [
      { name: 'www.example', type: RR_TYPE.CNAME, class: RR_CLASS.IN, ttl, data: 'cdn.example' },
      { name: 'cdn.example', type: RR_TYPE.A, class: RR_CLASS.IN, ttl: ttl * 2, data: '192.0.2.1' },
    ],
  };
}

function clientQuery(name: string, id: number): Buffer {
  return encodeMessage({ id, flags: FLAG.RD, questions: [{ ...Q, name }], answers: [], authorities: [], additionals: [] });
}

test('an entry renders with the client ID and case, TTLs counted down and capped', () => {
  const entry = createAnswerEntry(upstreamReply(100), Q, 1_000_000, LIMITS, 'u');
  assert.equal(entry.cacheTtl, 100);
  assert.deepEqual(entry.names, ['cdn.example']);
  const query = clientQuery('WWW.Example', 77);
  const render = (now: number, ttlCap: number): ReturnType<typeof decodeMessage> => decodeMessage(renderAnswer(entry, {
    query, queryQuestionEnd: decodeMessage(query).questionEnd, ednsSize: null, dnssecOk: false, maxSize: 512, ourUdpSize: 1232, now, ttlCap,
  }));
  const fresh = render(1_000_000, Infinity);
  assert.equal(fresh.id, 77);
  assert.equal(fresh.questions[0]!.name, 'WWW.Example');
  assert.deepEqual(fresh.answers.map((r) => r.ttl), [100, 200]);
  assert.deepEqual(render(1_040_999, Infinity).answers.map((r) => r.ttl), [60, 160]);
  assert.deepEqual(render(1_000_000, 30).answers.map((r) => r.ttl), [30, 30]);
  assert.deepEqual(render(2_000_000, Infinity).answers.map((r) => r.ttl), [0, 0]);
});

test('an entry too big for the client renders as TC with the question only', () => {
  const big = upstreamReply(100);
  for (let i = 0; i < 60; i++) big.answers.push({ name: 'cdn.example', type: RR_TYPE.A, class: RR_CLASS.IN, ttl: 5, data: `192.0.2.${i}` });
  const entry = createAnswerEntry(big, Q, 0, LIMITS, 'u');
  const query = clientQuery('www.example', 5);
  const out = decodeMessage(renderAnswer(entry, { query, queryQuestionEnd: decodeMessage(query).questionEnd, ednsSize: null, dnssecOk: false, maxSize: 512, ourUdpSize: 1232, now: 0, ttlCap: Infinity }));
  assert.ok((out.flags & FLAG.TC) !== 0);
  assert.equal(out.answers.length, 0);
  assert.equal(out.questions[0]!.name, 'www.example');
});

test('negative answers without an SOA and SERVFAIL are not cacheable', () => {
  const nx: DnsMessage = { ...upstreamReply(1), flags: FLAG.QR | RCODE.NXDOMAIN, answers: [] };
  assert.equal(createAnswerEntry(nx, Q, 0, LIMITS, null).cacheTtl, 0);
  const sf: DnsMessage = { ...upstreamReply(100), flags: FLAG.QR | RCODE.SERVFAIL };
  assert.equal(createAnswerEntry(sf, Q, 0, LIMITS, null).cacheTtl, 0);
});
