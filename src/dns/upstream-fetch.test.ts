import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES, RambuError } from '../errors.js';
import { AnswerCache } from './answer-cache.js';
import type { Forwarded } from './forwarder.js';
import type { DecodedMessage, Question } from './message-codec.js';
import { writeQuestionKey } from './question-key.js';
import { FLAG } from './rcodes.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';
import { UpstreamFetch } from './upstream-fetch.js';

const LIMITS = { minTtl: 0, maxTtl: 86400, negativeMaxTtl: 3600 };
const NOW = 1_000_000;

/** Upstream exchanges the test settles by hand, in the order they were asked. */
class HandForwarder {
  readonly asked: { q: Question; dnssecOk: boolean; cd: boolean; settle: (ok: boolean) => void }[] = [];

  resolve(q: Question, dnssecOk: boolean, cd: boolean): Promise<Forwarded> {
    return new Promise((resolve, reject) => {
      this.asked.push({
        q, dnssecOk, cd,
        settle: (ok) => {
          if (!ok) {
            reject(new RambuError(ERROR_CODES.UPSTREAM_FAILED, 'every upstream failed'));
            return;
          }
          const response = {
            id: 1, flags: FLAG.QR | FLAG.RA, questions: [q],
            answers: [{ name: q.name, type: RR_TYPE.A, class: RR_CLASS.IN, ttl: 300, data: '192.0.2.9' }],
            authorities: [], additionals: [], questionEnd: 0,
          } as DecodedMessage;
          resolve({ response, upstream: 'udp://192.0.2.53:53' });
        },
      });
    });
  }
}

const question = (name: string): Question => ({ name, type: RR_TYPE.A, class: RR_CLASS.IN });

function cached(cache: AnswerCache, name: string, dnssecOk = false): boolean {
  const key = Buffer.alloc(259);
  return cache.get(key, writeQuestionKey(key, name, RR_TYPE.A, RR_CLASS.IN), dnssecOk, NOW) !== undefined;
}

function setup(): { forwarder: HandForwarder; cache: AnswerCache; fetch: UpstreamFetch } {
  const forwarder = new HandForwarder();
  const cache = new AnswerCache(100);
  return { forwarder, cache, fetch: new UpstreamFetch(forwarder, cache, () => NOW, LIMITS) };
}

test('queries for one question in flight share one exchange, and the answer is cached', async () => {
  const { forwarder, cache, fetch } = setup();
  const all = Promise.all([fetch.get(question('a.example'), false, false), fetch.get(question('a.example'), false, false)]);
  assert.equal(forwarder.asked.length, 1);
  forwarder.asked[0]!.settle(true);
  const [first, second] = await all;
  assert.equal(first, second);
  assert.equal(first.upstream, 'udp://192.0.2.53:53');
  assert.ok(cached(cache, 'a.example'));
  // Settled: the next query asks again.
  const again = fetch.get(question('a.example'), false, false);
  assert.equal(forwarder.asked.length, 2);
  forwarder.asked[1]!.settle(true);
  await again;
});

test('the DO and CD bits and the type make different exchanges', async () => {
  const { forwarder, fetch } = setup();
  const pending = [
    fetch.get(question('b.example'), false, false),
    fetch.get(question('b.example'), true, false),
    fetch.get(question('b.example'), false, true),
    fetch.get({ ...question('b.example'), type: RR_TYPE.AAAA }, false, false),
  ];
  assert.deepEqual(forwarder.asked.map((a) => [a.q.type, a.dnssecOk, a.cd]), [
    [RR_TYPE.A, false, false], [RR_TYPE.A, true, false], [RR_TYPE.A, false, true], [RR_TYPE.AAAA, false, false],
  ]);
  for (const a of forwarder.asked) a.settle(true);
  await Promise.all(pending);
});

test('an answer fetched with checking disabled is served but not cached', async () => {
  const { forwarder, cache, fetch } = setup();
  const pending = fetch.get(question('cd.example'), false, true);
  forwarder.asked[0]!.settle(true);
  assert.equal((await pending).upstream, 'udp://192.0.2.53:53');
  assert.equal(cached(cache, 'cd.example'), false);
});

test('a failed exchange fails every query that shared it, and the next query asks again', async () => {
  const { forwarder, cache, fetch } = setup();
  const both = [fetch.get(question('down.example'), false, false), fetch.get(question('down.example'), false, false)];
  forwarder.asked[0]!.settle(false);
  for (const p of both) await assert.rejects(p, (err: unknown) => err instanceof RambuError && err.code === ERROR_CODES.UPSTREAM_FAILED);
  assert.equal(cached(cache, 'down.example'), false);
  const retry = fetch.get(question('down.example'), false, false);
  assert.equal(forwarder.asked.length, 2);
  forwarder.asked[1]!.settle(true);
  await retry;
});
