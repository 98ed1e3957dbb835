import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from './rate-limiter.js';

test('the rate limiter refills at qps up to burst and forgets the oldest client when full', () => {
  const rl = new RateLimiter({ qps: 10, burst: 3, maxClients: 2 });
  const takes = (c: string, now: number, n: number): boolean[] => Array.from({ length: n }, () => rl.take(c, now));
  assert.deepEqual(takes('a', 0, 4), [true, true, true, false]);
  assert.deepEqual(takes('a', 100, 2), [true, false]);
  rl.take('b', 100);
  rl.take('c', 100);
  assert.equal(rl.trackedClients, 2);
  assert.deepEqual(takes('a', 100, 3), [true, true, true], 'a was forgotten: full bucket again');
  assert.ok(new RateLimiter({ qps: 0, burst: 1 }).take('x', 0));
});
