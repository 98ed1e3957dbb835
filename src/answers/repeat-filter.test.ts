import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeMessage, FLAG, RR_CLASS, RR_TYPE } from '../dns/index.js';
import { AnswerFeed, AnswerIndex, forEachAnswer, RepeatFilter } from './index.js';

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);

function aResponse(name: string, addresses: string[], ttl: number, id = 1): Buffer {
  return encodeMessage({
    id, flags: FLAG.QR | FLAG.RA, questions: [{ name, type: RR_TYPE.A, class: RR_CLASS.IN }],
    answers: addresses.map((data) => ({ name, type: RR_TYPE.A, class: RR_CLASS.IN, ttl, data })), authorities: [], additionals: [],
  });
}

test('a cache hit that repeats an answer moments later, TTLs counted down, is a repeat; anything new is not', () => {
  const f = new RepeatFilter({ windowMs: 5_000 });
  assert.equal(f.isRepeat('10.0.0.5', 'a.example', null, aResponse('a.example', ['192.0.2.1'], 300), T0), false);
  // Two seconds later, the TTL two seconds lower and another query ID: the same answer.
  assert.equal(f.isRepeat('10.0.0.5', 'a.example', null, aResponse('a.example', ['192.0.2.1'], 298, 9), T0 + 2_000), true);
  // Another client, another service, another address, or a longer lifetime: news.
  assert.equal(f.isRepeat('10.0.0.6', 'a.example', null, aResponse('a.example', ['192.0.2.1'], 298), T0 + 2_000), false);
  assert.equal(f.isRepeat('10.0.0.5', 'a.example', 'video', aResponse('a.example', ['192.0.2.1'], 298), T0 + 2_000), false);
  assert.equal(f.isRepeat('10.0.0.5', 'a.example', 'video', aResponse('a.example', ['192.0.2.2'], 298), T0 + 2_000), false);
  assert.equal(f.isRepeat('10.0.0.5', 'a.example', 'video', aResponse('a.example', ['192.0.2.2'], 600), T0 + 2_500), false);
  assert.equal(f.isRepeat('10.0.0.5', 'a.example', 'video', aResponse('a.example', ['192.0.2.2'], 600), T0 + 2_600), true);
  // Past the window the index hears it again.
  assert.equal(f.isRepeat('10.0.0.5', 'a.example', 'video', aResponse('a.example', ['192.0.2.2'], 590), T0 + 12_600), false);
  assert.equal(f.repeats, 2);
  // Off: nothing is a repeat.
  const off = new RepeatFilter({ slots: 0 });
  assert.equal(off.isRepeat('10.0.0.5', 'a.example', null, aResponse('a.example', ['192.0.2.1'], 300), T0), false);
  assert.equal(off.isRepeat('10.0.0.5', 'a.example', null, aResponse('a.example', ['192.0.2.1'], 300), T0), false);
});

test('a feed skips repeats, and the index it feeds holds the same answers as without the filter', () => {
  const feed = new AnswerFeed();
  const plain = new AnswerFeed({ repeats: { slots: 0 } });
  const answers: [string, string, string[], number, number][] = [];
  for (let i = 0; i < 2_000; i++) {
    const client = `10.0.0.${i % 7}`;
    const name = `host${i % 13}.example`;
    // The cache entry is refreshed every 500 answers (a new lifetime); between, TTLs count down.
    const refreshed = Math.floor(i / 500) * 500;
    const time = T0 + i * 10;
    answers.push([client, name, [`192.0.2.${i % 13}`, `198.51.100.${i % 13}`], 300 - Math.floor((time - (T0 + refreshed * 10)) / 1000), time]);
  }
  const full = new AnswerIndex({ graceMs: 60_000 });
  const filtered = new AnswerIndex({ graceMs: 60_000 });
  for (const [client, name, addresses, ttl, time] of answers) {
    const r = aResponse(name, addresses, ttl);
    feed.push(client, name, null, r, time);
    plain.push(client, name, null, r, time);
  }
  assert.ok(feed.repeated > 1_500, `${feed.repeated} repeats`);
  assert.equal(plain.repeated, 0);
  forEachAnswer(plain.take()!, (client, name, service, bytes, start, end, time) => { full.recordResponse(client, name, service, bytes, start, end, time); });
  forEachAnswer(feed.take()!, (client, name, service, bytes, start, end, time) => { filtered.recordResponse(client, name, service, bytes, start, end, time); });
  // The same entries; an expiry at most a second earlier (TTLs count down in whole seconds).
  const now = T0 + 20_000;
  const entries = (index: AnswerIndex) => index.clients().sort().flatMap((c) => index.clientEntries(c, now).sort((a, b) => a.address.localeCompare(b.address)));
  const want = entries(full);
  const got = entries(filtered);
  assert.equal(want.length, 7 * 13 * 2);
  assert.deepEqual(got.map(({ expires: _e, ...rest }) => rest), want.map(({ expires: _e, ...rest }) => rest));
  for (let i = 0; i < want.length; i++) assert.ok(want[i]!.expires - got[i]!.expires <= 1_000, `${got[i]!.expires} against ${want[i]!.expires}`);
});
