import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AnswerCache, type AnswerCacheOptions } from './answer-cache.js';
import { createAnswerEntry, isExpired, renderAnswer, renderStaleAnswer, type AnswerEntry, type RenderRequest } from './answer-entry.js';
import { decodeMessage, encodeMessage, type DnsMessage, type ResourceRecord } from './message-codec.js';
import { writeQuestionKey } from './question-key.js';
import { FLAG, RCODE } from './rcodes.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

const LIMITS = { minTtl: 0, maxTtl: 86400, negativeMaxTtl: 3600 };

interface Spec {
  name: string;
  type?: number;
  ttl?: number;
  /** Address records in the answer. */
  records?: number;
  /** Put the records behind a CNAME to this name. */
  cname?: string | undefined;
  upstream?: string | null;
  at?: number;
  ad?: boolean;
}

function entry(spec: Spec): AnswerEntry {
  const type = spec.type ?? RR_TYPE.A;
  const ttl = spec.ttl ?? 10;
  const question = { name: spec.name, type, class: RR_CLASS.IN };
  const answers: ResourceRecord[] = [];
  const owner = spec.cname ?? spec.name;
  if (spec.cname !== undefined) answers.push({ name: spec.name, type: RR_TYPE.CNAME, class: RR_CLASS.IN, ttl, data: spec.cname });
  for (let i = 0; i < (spec.records ?? 1); i++) {
    answers.push({ name: owner, type, class: RR_CLASS.IN, ttl, data: type === RR_TYPE.A ? `192.0.2.${i + 1}` : `2001:db8::${i + 1}` });
  }
  const reply: DnsMessage = {
    id: 9, flags: FLAG.QR | FLAG.RA | (spec.ad === true ? FLAG.AD : 0), questions: [question], answers, authorities: [], additionals: [],
  };
  return createAnswerEntry(reply, question, spec.at ?? 0, LIMITS, spec.upstream === undefined ? 'up' : spec.upstream);
}

const KEY = Buffer.alloc(259);

function get(cache: AnswerCache, name: string, now: number, type: number = RR_TYPE.A, dnssecOk = false): AnswerEntry | undefined {
  const length = writeQuestionKey(KEY, name, type, RR_CLASS.IN);
  return cache.get(KEY, length, dnssecOk, now);
}

function getStale(cache: AnswerCache, name: string, now: number, type: number = RR_TYPE.A, dnssecOk = false): AnswerEntry | undefined {
  const length = writeQuestionKey(KEY, name, type, RR_CLASS.IN);
  return cache.getStale(KEY, length, dnssecOk, now);
}

/** The entry's own bytes: the response and its TTL offsets. */
function bytesOf(e: AnswerEntry): string {
  return Buffer.from(e.bytes.buffer, e.bytes.byteOffset + e.offset, e.wireLength + 2 * e.ttlCount).toString('hex');
}

function fields(e: AnswerEntry): object {
  return {
    bytes: bytesOf(e), wireLength: e.wireLength, ttlCount: e.ttlCount, questionEnd: e.questionEnd, storedAt: e.storedAt,
    cacheTtl: e.cacheTtl, rcode: e.rcode, authenticData: e.authenticData, names: [...e.names], upstream: e.upstream,
  };
}

function render(e: AnswerEntry, now: number, ednsSize: number | null = 1232): string {
  const query = encodeMessage({ id: 0x4242, flags: FLAG.RD | FLAG.AD, questions: [{ name: 'Www.Example', type: RR_TYPE.A, class: RR_CLASS.IN }], answers: [], authorities: [], additionals: [] });
  const req: RenderRequest = { query, queryQuestionEnd: -1, ednsSize, dnssecOk: false, maxSize: 1232, ourUdpSize: 1232, now, ttlCap: Infinity };
  return renderAnswer(e, req).toString('hex');
}

test('a hit returns the stored entry, field for field, and renders the same bytes', () => {
  const cache = new AnswerCache(10);
  const fresh = entry({ name: 'www.example', records: 3, cname: 'cdn.example', at: 5_000, ad: true });
  cache.set(fresh, false);
  assert.equal(cache.size, 1);
  const hit = get(cache, 'www.example', 6_000);
  assert.ok(hit);
  assert.deepEqual(fields(hit), fields(fresh));
  assert.deepEqual(hit.names, ['cdn.example']);
  assert.equal(render(hit, 8_000), render(fresh, 8_000));
  assert.equal(render(hit, 8_000, null), render(fresh, 8_000, null));
});

test('the key is the question: type, DO bit and name all tell entries apart, letter case does not', () => {
  const cache = new AnswerCache(10);
  cache.set(entry({ name: 'www.example' }), false);
  assert.ok(get(cache, 'WWW.Example', 0));
  assert.equal(get(cache, 'www.example', 0, RR_TYPE.AAAA), undefined);
  assert.equal(get(cache, 'www.example', 0, RR_TYPE.A, true), undefined);
  assert.equal(get(cache, 'ww.example', 0), undefined);
  assert.equal(get(cache, 'www.example.com', 0), undefined);
  cache.set(entry({ name: 'www.example', records: 2 }), true);
  assert.equal(cache.size, 2);
  assert.equal(get(cache, 'www.example', 0, RR_TYPE.A, true)!.ttlCount, 2);
  assert.equal(get(cache, 'www.example', 0, RR_TYPE.A, false)!.ttlCount, 1);
});

test('the stored question is the key a lookup writes', () => {
  const e = entry({ name: 'MiXed.Example' });
  const length = writeQuestionKey(KEY, 'mixed.example', RR_TYPE.A, RR_CLASS.IN);
  assert.equal(Buffer.from(e.bytes.subarray(12, e.questionEnd)).toString('hex'), KEY.subarray(0, length).toString('hex'));
});

test('a new entry for the same question replaces the old one', () => {
  const cache = new AnswerCache(10);
  cache.set(entry({ name: 'a.example', records: 1, upstream: 'one' }), false);
  cache.set(entry({ name: 'a.example', records: 4, upstream: 'two' }), false);
  assert.equal(cache.size, 1);
  const hit = get(cache, 'a.example', 0)!;
  assert.equal(hit.ttlCount, 4);
  assert.equal(hit.upstream, 'two');
});

test('answers with a TTL of 0, and every answer in a cache of size 0, are not stored', () => {
  const cache = new AnswerCache(10);
  cache.set(entry({ name: 'zero.example', ttl: 0 }), false);
  assert.equal(cache.size, 0);
  assert.equal(get(cache, 'zero.example', 0), undefined);
  const none = new AnswerCache(0);
  none.set(entry({ name: 'a.example' }), false);
  assert.equal(none.size, 0);
  assert.equal(get(none, 'a.example', 0), undefined);
});

test('an entry expires exactly when its TTL has run out on the clock, and is dropped', () => {
  const cache = new AnswerCache(10);
  cache.set(entry({ name: 'a.example', ttl: 10, at: 1_000 }), false);
  assert.ok(get(cache, 'a.example', 10_999));
  assert.equal(cache.size, 1);
  assert.equal(get(cache, 'a.example', 11_000), undefined);
  assert.equal(cache.size, 0);
  assert.equal(get(cache, 'a.example', 5_000), undefined, 'gone, not merely hidden');
});

test('eviction gives referenced entries a second chance: the least recently used goes first', () => {
  const cache = new AnswerCache(3);
  for (const n of ['a', 'b', 'c']) cache.set(entry({ name: `${n}.example` }), false);
  assert.ok(get(cache, 'a.example', 0));
  cache.set(entry({ name: 'd.example' }), false);
  assert.equal(cache.size, 3);
  assert.equal(get(cache, 'b.example', 0), undefined);
  assert.ok(get(cache, 'a.example', 0));
  cache.set(entry({ name: 'e.example' }), false);
  assert.equal(get(cache, 'c.example', 0), undefined);
  // a was requeued when b went, then referenced again; d was never used.
  cache.set(entry({ name: 'f.example' }), false);
  assert.equal(get(cache, 'd.example', 0), undefined);
  assert.ok(get(cache, 'a.example', 0));
  assert.ok(get(cache, 'e.example', 0));
  assert.ok(get(cache, 'f.example', 0));
});

/** Fill a cache of three with a.example and c.example (100 s) around short.example (1 s), all referenced. */
function fillReferenced(cache: AnswerCache): void {
  cache.set(entry({ name: 'a.example', ttl: 100 }), false);
  cache.set(entry({ name: 'short.example', ttl: 1 }), false);
  cache.set(entry({ name: 'c.example', ttl: 100 }), false);
  for (const n of ['a', 'short', 'c']) assert.ok(get(cache, `${n}.example`, 0));
}

test('an expired entry is evicted before a live one, referenced or not', () => {
  const cache = new AnswerCache(3);
  fillReferenced(cache);
  cache.set(entry({ name: 'd.example', ttl: 100, at: 5_000 }), false);
  assert.equal(cache.size, 3);
  for (const n of ['a', 'c', 'd']) assert.ok(get(cache, `${n}.example`, 5_000), n);
});

test('the cache never holds more than `size` entries', () => {
  const cache = new AnswerCache(10);
  for (let i = 0; i < 100; i++) {
    cache.set(entry({ name: `n${i}.example` }), false);
    assert.equal(cache.size, Math.min(i + 1, 10));
  }
  for (let i = 90; i < 100; i++) assert.ok(get(cache, `n${i}.example`, 0), `n${i}`);
});

test('lookups compare key bytes: entries whose hashes all collide are told apart', () => {
  const cache = new AnswerCache(64, { hash: () => 7 });
  const names = Array.from({ length: 40 }, (_, i) => `host${i}.example`);
  for (const [i, name] of names.entries()) cache.set(entry({ name, records: 1 + (i % 4), ttl: 10 + i }), i % 3 === 0);
  for (const [i, name] of names.entries()) {
    assert.equal(get(cache, name, 0, RR_TYPE.A, i % 3 !== 0), undefined, `${name} with the other DO bit`);
    assert.equal(get(cache, name, 0, RR_TYPE.A, i % 3 === 0)!.ttlCount, 1 + (i % 4), name);
  }
  // Dropping entries from the middle of the probe run keeps the rest reachable.
  for (let i = 0; i < names.length; i += 2) cache.set(entry({ name: names[i]!, ttl: 1 }), i % 3 === 0);
  const later = 1_500;
  for (let i = 0; i < names.length; i += 2) assert.equal(get(cache, names[i]!, later, RR_TYPE.A, i % 3 === 0), undefined);
  for (let i = 1; i < names.length; i += 2) assert.equal(get(cache, names[i]!, later, RR_TYPE.A, i % 3 === 0)!.ttlCount, 1 + (i % 4), names[i]);
  assert.equal(cache.size, names.length / 2);
});

test('the arena grows from a small start and keeps every entry', () => {
  const cache = new AnswerCache(2000, { initialArenaBytes: 256 });
  assert.equal(cache.arenaBytes, 256);
  for (let i = 0; i < 2000; i++) cache.set(entry({ name: `grow${i}.example`, records: 1 + (i % 4), cname: i % 5 === 0 ? `cdn${i}.example` : undefined }), false);
  assert.equal(cache.size, 2000);
  assert.ok(cache.arenaBytes > 100_000);
  for (let i = 0; i < 2000; i++) {
    const hit = get(cache, `grow${i}.example`, 0);
    assert.ok(hit, `grow${i}`);
    assert.equal(hit.ttlCount, 1 + (i % 4) + (i % 5 === 0 ? 1 : 0));
    assert.deepEqual(hit.names, i % 5 === 0 ? [`cdn${i}.example`] : []);
  }
});

test('at its byte bound the arena wraps around, keeping the newest and the referenced entries intact', () => {
  const cache = new AnswerCache(1000, { initialArenaBytes: 2048, maxArenaBytes: 2048 });
  const stored = new Map<string, string>();
  for (let i = 0; i < 400; i++) {
    const e = entry({ name: `wrap${i}.example`, records: 1 + (i % 3), ttl: 100 + i });
    stored.set(`wrap${i}.example`, bytesOf(e));
    cache.set(e, false);
    assert.equal(cache.arenaBytes, 2048);
    // The hot entry is referenced between insertions, so the ring keeps moving it to the head.
    assert.equal(bytesOf(get(cache, 'wrap0.example', 0)!), stored.get('wrap0.example'));
  }
  assert.ok(cache.size > 10 && cache.size < 40, `${cache.size} entries in 2 KiB`);
  // The others went in insertion order: what is left is the newest.
  for (let i = 400 - cache.size + 1; i < 400; i++) assert.ok(get(cache, `wrap${i}.example`, 0), `wrap${i}`);
  let found = 0;
  for (const [name, bytes] of stored) {
    const hit = get(cache, name, 0);
    if (hit === undefined) continue;
    found++;
    assert.equal(bytesOf(hit), bytes, name);
  }
  assert.equal(found, cache.size);
});

test('a removed entry leaves a gap the arena reclaims instead of growing', () => {
  const cache = new AnswerCache(100, { initialArenaBytes: 4096, maxArenaBytes: 1 << 20 });
  // Forty live entries, each refetched after it expires: the replaced copies are gaps.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 40; i++) cache.set(entry({ name: `re${i}.example`, ttl: 1, at: round * 1000 }), false);
  }
  assert.equal(cache.size, 40);
  assert.equal(cache.arenaBytes, 4096);
  for (let i = 0; i < 40; i++) assert.ok(get(cache, `re${i}.example`, 49_500));
});

test('an entry too large for the arena is not stored, and the one it replaces is dropped', () => {
  const cache = new AnswerCache(10, { maxArenaBytes: 512 });
  cache.set(entry({ name: 'big.example', type: RR_TYPE.AAAA, records: 2 }), false);
  assert.ok(get(cache, 'big.example', 0, RR_TYPE.AAAA));
  cache.set(entry({ name: 'big.example', type: RR_TYPE.AAAA, records: 20 }), false);
  assert.equal(get(cache, 'big.example', 0, RR_TYPE.AAAA), undefined);
  assert.equal(cache.size, 0);
});

test('clear empties the cache, which then works as new', () => {
  const cache = new AnswerCache(10);
  for (let i = 0; i < 5; i++) cache.set(entry({ name: `c${i}.example`, cname: `t${i}.example` }), false);
  cache.clear();
  assert.equal(cache.size, 0);
  for (let i = 0; i < 5; i++) assert.equal(get(cache, `c${i}.example`, 0), undefined);
  cache.set(entry({ name: 'c0.example' }), false);
  assert.deepEqual(get(cache, 'c0.example', 0)!.names, []);
  assert.equal(cache.size, 1);
});

test('an entry reusing the id of one with names has no names of its own', () => {
  const cache = new AnswerCache(1);
  cache.set(entry({ name: 'a.example', cname: 'target.example', upstream: 'first' }), false);
  assert.deepEqual(get(cache, 'a.example', 0)!.names, ['target.example']);
  cache.set(entry({ name: 'b.example', upstream: null }), false);
  const hit = get(cache, 'b.example', 0)!;
  assert.deepEqual(hit.names, []);
  assert.equal(hit.upstream, null);
  assert.equal(get(cache, 'a.example', 0), undefined);
});

test('negative answers keep their rcode', () => {
  const cache = new AnswerCache(10);
  const question = { name: 'gone.example', type: RR_TYPE.A, class: RR_CLASS.IN };
  const soa = { name: 'example', type: RR_TYPE.SOA, class: RR_CLASS.IN, ttl: 60, data: { mname: 'ns.example', rname: 'h.example', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 30 } };
  const nx = createAnswerEntry({ id: 1, flags: FLAG.QR | RCODE.NXDOMAIN, questions: [question], answers: [], authorities: [soa], additionals: [] }, question, 0, LIMITS, null);
  cache.set(nx, false);
  const hit = get(cache, 'gone.example', 29_999)!;
  assert.equal(hit.rcode, RCODE.NXDOMAIN);
  assert.equal(render(hit, 29_999), render(nx, 29_999));
  assert.equal(get(cache, 'gone.example', 30_000), undefined);
});

test('with serveStale, an expired entry is a miss but is kept for the window, then dropped', () => {
  const cache = new AnswerCache(10, { serveStale: 60 });
  const stored = entry({ name: 'a.example', ttl: 10, at: 1_000, cname: 'b.example' });
  cache.set(stored, false);
  assert.ok(get(cache, 'a.example', 10_999));
  assert.equal(get(cache, 'a.example', 11_000), undefined, 'expired: a miss');
  assert.equal(cache.size, 1, 'kept');
  const stale = getStale(cache, 'a.example', 11_000);
  assert.ok(stale);
  assert.deepEqual(fields(stale), fields(stored));
  assert.equal(getStale(cache, 'a.example', 11_000, RR_TYPE.A, true), undefined, 'the DO bit is part of the key');
  assert.equal(getStale(cache, 'a.example', 11_000, RR_TYPE.AAAA), undefined);
  assert.ok(getStale(cache, 'a.example', 70_999), 'last millisecond of the window');
  assert.equal(get(cache, 'a.example', 70_999), undefined);
  assert.equal(cache.size, 1);
  assert.equal(getStale(cache, 'a.example', 71_000), undefined, 'past the window');
  assert.equal(get(cache, 'a.example', 71_000), undefined);
  assert.equal(cache.size, 0, 'a lookup past the window drops the entry');
  assert.equal(getStale(cache, 'a.example', 20_000), undefined, 'gone, not merely hidden');
});

test('getStale returns a fresh entry as well, and a new answer replaces a stale one', () => {
  const cache = new AnswerCache(10, { serveStale: 60 });
  cache.set(entry({ name: 'a.example', ttl: 10, at: 0, upstream: 'old' }), false);
  assert.equal(getStale(cache, 'a.example', 5_000)!.upstream, 'old');
  cache.set(entry({ name: 'a.example', ttl: 10, at: 20_000, upstream: 'new' }), false);
  assert.equal(cache.size, 1);
  assert.equal(get(cache, 'a.example', 20_000)!.upstream, 'new');
  assert.equal(getStale(cache, 'a.example', 20_000)!.upstream, 'new');
});

test('serveStale 0 drops an entry as soon as it expires and serves nothing stale', () => {
  const cache = new AnswerCache(10, { serveStale: 0 });
  assert.equal(cache.serveStale, 0);
  cache.set(entry({ name: 'a.example', ttl: 10, at: 1_000 }), false);
  assert.ok(getStale(cache, 'a.example', 10_999) === undefined, 'off: not even a fresh entry');
  assert.equal(get(cache, 'a.example', 11_000), undefined);
  assert.equal(cache.size, 0);
});

test('serveStale can be changed later; lowered, entries past the new window go', () => {
  const cache = new AnswerCache(10);
  assert.equal(cache.serveStale, 0);
  cache.serveStale = 3600;
  assert.equal(cache.serveStale, 3600);
  cache.set(entry({ name: 'a.example', ttl: 10, at: 0 }), false);
  assert.equal(get(cache, 'a.example', 100_000), undefined);
  assert.equal(cache.size, 1);
  assert.ok(getStale(cache, 'a.example', 100_000));
  cache.serveStale = 60;
  assert.equal(getStale(cache, 'a.example', 100_000), undefined);
  assert.equal(get(cache, 'a.example', 100_000), undefined);
  assert.equal(cache.size, 0);
});

test('stale entries count against size and are evicted by second chance like any other', () => {
  const cache = new AnswerCache(3, { serveStale: 3600 });
  fillReferenced(cache);
  // At 5 s short.example has expired but is in its window: every entry was referenced, so each is
  // requeued once and the oldest, a.example, goes; without the window short.example would have.
  cache.set(entry({ name: 'd.example', ttl: 100, at: 5_000 }), false);
  assert.equal(cache.size, 3);
  assert.equal(get(cache, 'a.example', 5_000), undefined);
  assert.ok(getStale(cache, 'short.example', 5_000));
  // Past its window it is spent and goes first, referenced or not.
  cache.set(entry({ name: 'e.example', ttl: 10_000, at: 3_602_000 }), false);
  assert.equal(cache.size, 3);
  assert.equal(getStale(cache, 'short.example', 3_602_000), undefined);
  assert.ok(getStale(cache, 'c.example', 3_602_000));
  assert.ok(getStale(cache, 'd.example', 3_602_000));
});

test('with serveStale, expired entries still leave room: size and arena stay bounded', () => {
  const cache = new AnswerCache(50, { serveStale: 86_400, initialArenaBytes: 1024, maxArenaBytes: 8192 });
  for (let i = 0; i < 2000; i++) {
    cache.set(entry({ name: `s${i}.example`, ttl: 1, records: 1 + (i % 4), at: i * 2_000 }), false);
    assert.ok(cache.size <= 50);
    assert.ok(cache.arenaBytes <= 8192);
  }
  const now = 2000 * 2_000;
  // Every entry has expired; the most recent ones are still there to be served stale.
  assert.equal(get(cache, 's1999.example', now), undefined);
  assert.ok(getStale(cache, 's1999.example', now));
  assert.equal(getStale(cache, 's0.example', now), undefined, 'evicted long ago');
  let kept = 0;
  for (let i = 0; i < 2000; i++) if (getStale(cache, `s${i}.example`, now) !== undefined) kept++;
  assert.equal(kept, cache.size);
  assert.ok(kept > 5, `${kept} kept`);
});

test('a stale answer renders with every TTL set, and a truncated one with no records', () => {
  const cache = new AnswerCache(10, { serveStale: 3600 });
  cache.set(entry({ name: 'www.example', records: 3, cname: 'cdn.example', ttl: 10, at: 0 }), false);
  const stale = getStale(cache, 'www.example', 50_000)!;
  const query = encodeMessage({ id: 0x4242, flags: FLAG.RD, questions: [{ name: 'WWW.example', type: RR_TYPE.A, class: RR_CLASS.IN }], answers: [], authorities: [], additionals: [] });
  const req: RenderRequest = { query, queryQuestionEnd: -1, ednsSize: 1232, dnssecOk: false, maxSize: 1232, ourUdpSize: 1232, now: 50_000, ttlCap: Infinity };
  assert.deepEqual(decodeMessage(renderAnswer(stale, req)).answers.map((r) => r.ttl), [0, 0, 0, 0], 'counted down to 0');
  const out = decodeMessage(renderStaleAnswer(stale, req, 30));
  assert.equal(out.id, 0x4242);
  assert.deepEqual(out.answers.map((r) => r.ttl), [30, 30, 30, 30]);
  assert.deepEqual(out.answers.map((r) => r.data), ['cdn.example', '192.0.2.1', '192.0.2.2', '192.0.2.3']);
  assert.equal(out.additionals.length, 1, 'OPT for an EDNS client');
  const truncated = decodeMessage(renderStaleAnswer(stale, { ...req, maxSize: 40 }, 30));
  assert.notEqual(truncated.flags & FLAG.TC, 0);
  assert.equal(truncated.answers.length, 0);
  assert.equal(truncated.questions[0]!.name, 'www.example');
});

type Command =
  | { kind: 'set'; name: number; type: number; dnssecOk: boolean; ttl: number; records: number; cname: boolean }
  | { kind: 'get'; name: number; type: number; dnssecOk: boolean }
  | { kind: 'tick'; ms: number }
  | { kind: 'clear' };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), name: fc.nat(40), type: fc.constantFrom(RR_TYPE.A, RR_TYPE.AAAA), dnssecOk: fc.boolean(), ttl: fc.integer({ min: 0, max: 30 }), records: fc.integer({ min: 1, max: 6 }), cname: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('get' as const), name: fc.nat(40), type: fc.constantFrom(RR_TYPE.A, RR_TYPE.AAAA), dnssecOk: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 5000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

/**
 * Run commands against the cache and a Map of what was stored. A hit must be the latest entry set
 * for the question and not expired; a miss drops the question from the model (it may have been
 * evicted). With `exact`, nothing is ever evicted, so the model's live entries must all hit.
 */
function runModel(size: number, options: AnswerCacheOptions, commands: Command[], exact: boolean): void {
  const cache = new AnswerCache(size, options);
  const model = new Map<string, AnswerEntry>();
  let now = 0;
  for (const c of commands) {
    if (c.kind === 'tick') now += c.ms;
    else if (c.kind === 'clear') {
      cache.clear();
      model.clear();
    } else {
      const name = `n${c.name}.${'x'.repeat(c.name % 7)}example`;
      const key = `${name}/${c.type}/${c.dnssecOk}`;
      if (c.kind === 'set') {
        const e = entry({ name, type: c.type, ttl: c.ttl, records: c.records, cname: c.cname ? `t${c.name}.example` : undefined, at: now, upstream: `u${c.name % 3}` });
        cache.set(e, c.dnssecOk);
        if (e.cacheTtl > 0) model.set(key, e);
      } else {
        const want = model.get(key);
        const live = want !== undefined && !isExpired(want, now);
        const hit = get(cache, name, now, c.type, c.dnssecOk);
        if (hit === undefined) {
          assert.ok(!exact || !live, `${key} should hit`);
          model.delete(key);
        } else {
          assert.ok(live, `${key} hit but ${want === undefined ? 'was never stored' : 'has expired'}`);
          assert.deepEqual(fields(hit), fields(want));
          assert.equal(render(hit, now), render(want, now));
        }
      }
    }
    assert.ok(cache.size <= size);
  }
}

test('random commands agree with a Map: a cache large enough to never evict', () => {
  fc.assert(fc.property(fc.array(command, { minLength: 20, maxLength: 400, size: 'max' }), (commands) => runModel(1000, {}, commands, true)), { numRuns: 200 });
});

test('random commands agree with a Map: a small cache in a small arena, with colliding hashes', () => {
  const weakHash = (bytes: Uint8Array, start: number): number => bytes[start + 1]! & 3;
  fc.assert(fc.property(fc.array(command, { minLength: 20, maxLength: 400, size: 'max' }), (commands) => {
    runModel(8, { initialArenaBytes: 512, maxArenaBytes: 1024 }, commands, false);
    runModel(8, { hash: weakHash, initialArenaBytes: 128, maxArenaBytes: 4096 }, commands, false);
    runModel(200, { hash: weakHash }, commands, true);
  }), { numRuns: 200 });
});

test('the no-list mark: held by the entry the last lookup returned, per policy generation, gone with the entry', () => {
  const cache = new AnswerCache(2);
  cache.set(entry({ name: 'a.example' }), false);
  cache.set(entry({ name: 'b.example' }), false);
  assert.ok(get(cache, 'a.example', 0) !== undefined);
  assert.equal(cache.unmatchedUnder(3), false);
  cache.markUnmatched(3);
  assert.equal(cache.unmatchedUnder(3), true);
  assert.equal(cache.unmatchedUnder(4), false, 'another policy');
  assert.ok(get(cache, 'b.example', 0) !== undefined);
  assert.equal(cache.unmatchedUnder(3), false, 'another entry');
  assert.equal(get(cache, 'c.example', 0), undefined);
  cache.markUnmatched(3);
  assert.equal(cache.unmatchedUnder(3), false, 'a miss marks nothing');
  assert.ok(get(cache, 'a.example', 0) !== undefined);
  assert.equal(cache.unmatchedUnder(3), true, 'the mark stays with its entry');
  // A new answer for the same question is a new entry: not marked.
  cache.set(entry({ name: 'a.example', records: 2 }), false);
  assert.ok(get(cache, 'a.example', 0) !== undefined);
  assert.equal(cache.unmatchedUnder(3), false);
  // Nor is an entry that reuses the id of an evicted one.
  cache.markUnmatched(3);
  for (const name of ['c.example', 'd.example', 'e.example']) cache.set(entry({ name }), false);
  for (const name of ['c.example', 'd.example', 'e.example']) {
    if (get(cache, name, 0) !== undefined) assert.equal(cache.unmatchedUnder(3), false, name);
  }
  // Past its TTL the entry is a miss, whatever its mark.
  assert.equal(get(cache, 'e.example', 10_000), undefined);
  assert.equal(cache.unmatchedUnder(3), false);
});

test('the "last given" mark: a repeat to the same client is known; another client, service, a later expiry or an old mark is not', () => {
  const T = Date.parse('2026-12-08T01:00:00Z');
  const S = T / 1000;
  const cache = new AnswerCache(4);
  cache.set(entry({ name: 'a.example', ttl: 300, at: T }), false);
  cache.set(entry({ name: 'b.example', ttl: 300, at: T }), false);
  assert.ok(get(cache, 'a.example', T) !== undefined);
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 300, T, 5000), false, 'nothing marked yet');
  cache.markGiven('10.0.0.1', null, S + 300, T);
  assert.ok(get(cache, 'a.example', T + 2_000) !== undefined);
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 300, T + 2_000, 5000), true, 'a repeat to the same client');
  assert.equal(cache.givenAgain(['10.0.0', '1'].join('.'), null, S + 300, T + 2_000, 5000), true, 'the same client in another string');
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 299, T + 2_000, 5000), true, 'an earlier expiry');
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 301, T + 2_000, 5000), true, 'a second of TTL rounding');
  assert.equal(cache.givenAgain('10.0.0.2', null, S + 300, T + 2_000, 5000), false, 'another client');
  assert.equal(cache.givenAgain('10.0.0.1', 'video', S + 300, T + 2_000, 5000), false, 'another service');
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 302, T + 2_000, 5000), false, 'a later expiry');
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 300, T + 4_999, 5000), true, 'within the window');
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 300, T + 5_000, 5000), false, 'the window has passed');
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 300, T - 1_000, 5000), false, 'a clock gone back');
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 300, T + 2_000, 0), false, 'window 0');
  // The mark belongs to its entry: another entry, a miss and a refreshed entry know nothing of it.
  assert.ok(get(cache, 'b.example', T + 2_000) !== undefined);
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 300, T + 2_000, 5000), false, 'another entry');
  assert.equal(get(cache, 'c.example', T + 2_000), undefined);
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 300, T + 2_000, 5000), false, 'a miss');
  cache.markGiven('10.0.0.1', null, S + 300, T + 2_000);
  assert.ok(get(cache, 'a.example', T + 2_000) !== undefined);
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 300, T + 2_000, 5000), true, 'a miss marks nothing');
  cache.set(entry({ name: 'a.example', ttl: 300, at: T + 3_000 }), false);
  assert.ok(get(cache, 'a.example', T + 3_000) !== undefined);
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 300, T + 3_000, 5000), false, 'a refreshed entry');
  // A mark moves to the last client kept.
  cache.markGiven('10.0.0.2', 'video', S + 303, T + 3_000);
  assert.ok(get(cache, 'a.example', T + 4_000) !== undefined);
  assert.equal(cache.givenAgain('10.0.0.2', 'video', S + 303, T + 4_000, 5000), true);
  assert.equal(cache.givenAgain('10.0.0.1', null, S + 300, T + 4_000, 5000), false);
  cache.clear();
  cache.set(entry({ name: 'a.example', ttl: 300, at: T }), false);
  assert.ok(get(cache, 'a.example', T) !== undefined);
  assert.equal(cache.givenAgain('10.0.0.2', 'video', S + 303, T, 5000), false, 'cleared');
});

test('renderAnswer reports the smallest TTL it wrote, -1 for a truncated answer', () => {
  const e = entry({ name: 'a.example', ttl: 300, at: 0, records: 3 });
  const query = encodeMessage({ id: 7, flags: FLAG.RD, questions: [{ name: 'a.example', type: RR_TYPE.A, class: RR_CLASS.IN }], answers: [], authorities: [], additionals: [] });
  const req: RenderRequest = { query, queryQuestionEnd: -1, ednsSize: null, dnssecOk: false, maxSize: 1232, ourUdpSize: 1232, now: 10_500, ttlCap: Infinity, minTtl: 99 };
  renderAnswer(e, req);
  assert.equal(req.minTtl, 290);
  req.ttlCap = 20;
  renderAnswer(e, req);
  assert.equal(req.minTtl, 20, 'capped');
  req.maxSize = 20;
  renderAnswer(e, req);
  assert.equal(req.minTtl, -1, 'truncated');
});
