import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadBlocklist } from './blocklist.js';
import { DomainIndex } from './domain-index.js';
import { normalizeDomain } from './domain-name.js';

function matches(index: DomainIndex, name: string): number[] {
  const out = new Uint32Array(128);
  const n = index.lookup(name, out);
  return [...out.subarray(0, n)].flatMap((s) => index.listsOf(s));
}

test('suffixes match at label boundaries only', () => {
  const index = new DomainIndex();
  index.add('youtube.com', 0);
  index.add('googlevideo.com', 1);
  assert.deepEqual(matches(index, 'youtube.com'), [0]);
  assert.deepEqual(matches(index, 'www.youtube.com'), [0]);
  assert.deepEqual(matches(index, 'a.b.c.youtube.com.'), [0]);
  assert.deepEqual(matches(index, 'notyoutube.com'), []);
  assert.deepEqual(matches(index, 'youtube.com.evil'), []);
  assert.deepEqual(matches(index, 'outube.com'), []);
  assert.deepEqual(matches(index, 'com'), []);
  assert.deepEqual(matches(index, 'rr1---sn-x.GOOGLEVIDEO.com'), [1]);
  assert.deepEqual(matches(index, ''), []);
  assert.deepEqual(matches(index, '.'), []);
});

test('a domain in several lists and nested suffixes report every list, most specific last', () => {
  const index = new DomainIndex();
  index.add('example.com', 0);
  index.add('example.com', 2);
  index.add('cdn.example.com', 1);
  assert.deepEqual(matches(index, 'x.cdn.example.com'), [0, 2, 1]);
  assert.equal(index.size, 2);
});

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const domain = fc.array(label, { minLength: 2, maxLength: 5 }).map((l) => l.join('.'));

test('property: every indexed domain and its subdomains match; other names only through a real suffix', () => {
  fc.assert(fc.property(fc.uniqueArray(domain, { minLength: 1, maxLength: 40 }), fc.array(label, { maxLength: 3 }), fc.string(), (domains, prefix, junk) => {
    const index = new DomainIndex();
    domains.forEach((d) => index.add(d, 0));
    const set = new Set(domains);
    for (const d of domains) {
      const sub = [...prefix, d].join('.');
      assert.ok(matches(index, sub).length > 0, sub);
      assert.ok(matches(index, sub.toUpperCase()).length > 0, sub);
    }
    // A name matches exactly when one of its label suffixes is indexed.
    const name = `${junk}${domains[0]}`;
    const labels = name.toLowerCase().split('.');
    const expected = labels.some((_, i) => set.has(labels.slice(i).join('.')));
    assert.equal(matches(index, name).length > 0, expected, name);
  }), { numRuns: 300 });
});

test('property: hostile names never throw', () => {
  const index = new DomainIndex();
  index.add('youtube.com', 0);
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (name) => {
    matches(index, name);
    normalizeDomain(name);
  }), { numRuns: 2000 });
  for (const name of ['.'.repeat(300), 'a.'.repeat(200), '\u0000youtube.com', 'youtube.com\u0000', '..youtube.com', 'x'.repeat(70000)]) matches(index, name);
});

test('the index grows past its initial size and keeps every entry', () => {
  const index = new DomainIndex();
  for (let i = 0; i < 50_000; i++) index.add(`host${i}.example${i % 97}.net`, i % 3);
  index.compact();
  assert.equal(index.size, 50_000);
  for (let i = 0; i < 50_000; i += 997) assert.deepEqual(matches(index, `www.host${i}.example${i % 97}.net`), [i % 3]);
  assert.deepEqual(matches(index, 'host50000.example1.net'), []);
});

test('no text is kept, yet 300,000 look-alike names stay apart and 600,000 near misses miss', () => {
  // Were equality decided by any one of the three 32-bit lanes alone, 21 to 36 of the near misses
  // would match an entry by chance and up to 8 entries would merge (counted for each lane).
  const index = new DomainIndex();
  const n = 300_000;
  for (let i = 0; i < n; i++) index.add(`host${i}.example${i % 13}.net`, 0);
  index.compact();
  assert.equal(index.size, n);
  const out = new Uint32Array(8);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    hits += index.lookup(`host${i}.example${(i + 1) % 13}.net`, out);
    hits += index.lookup(`host${i + n}.example${i % 13}.net`, out);
  }
  assert.equal(hits, 0);
  for (let i = 0; i < n; i += 101) assert.equal(index.lookup(`cdn.HOST${i}.example${i % 13}.net.`, out), 1);
});

test('set ids widen past 256 and 65,536 sets, before and after a rehash and compaction', () => {
  const index = new DomainIndex();
  const lists = 70_000;
  index.add('shared.example', 0);
  for (let i = 0; i < lists; i++) {
    index.add(`only${i}.example`, i);
    // Each addition makes one more set: the lists 0..i.
    if (i < 300) index.add('shared.example', i);
  }
  index.compact();
  assert.equal(index.size, lists + 1);
  for (const i of [0, 255, 256, 257, 65_535, 65_536, lists - 1]) assert.deepEqual(matches(index, `www.only${i}.example`), [i]);
  assert.deepEqual(matches(index, 'shared.example'), Array.from({ length: 300 }, (_, i) => i));
  index.add('late.example', 299);
  assert.deepEqual(matches(index, 'a.late.example'), [299]);
  assert.deepEqual(matches(index, 'only70000.example'), []);
});

test('blocklist formats: plain, hosts, adblock, comments; bad lines are counted', () => {
  const text = [
    '# comment', '! adblock comment', '[Adblock Plus 2.0]', '',
    'ads.example', 'TRACKER.example.', '0.0.0.0 one.example two.example # trailing', '127.0.0.1 localhost',
    '::1 ip6-localhost', '||three.example^', '||four.example^$important', '||five.example^$third-party',
    '@@||allowed.example^', 'not a domain', '*.wild.example', 'bad..example', 'ünïcode.example',
  ].join('\n');
  const index = new DomainIndex();
  const stats = loadBlocklist(Buffer.from(text, 'utf8'), index, 0);
  for (const name of ['ads.example', 'x.tracker.example', 'one.example', 'two.example', 'three.example', 'four.example', 'a.wild.example', 'xn--ncode-cta3g.example']) {
    assert.ok(matches(index, name).length > 0, name);
  }
  for (const name of ['localhost', 'five.example', 'allowed.example', 'ip6-localhost']) assert.deepEqual(matches(index, name), [], name);
  assert.equal(stats.added, 8);
  assert.equal(stats.skipped, 4);
  assert.deepEqual(stats.skippedLines, [12, 13, 14, 16]);
});

test('parts() puts the index on shared memory; fromParts() answers the same, also in another thread', async () => {
  const index = new DomainIndex();
  const names = Array.from({ length: 5_000 }, (_, i) => `host${i}.example${i % 7}.com`);
  names.forEach((n, i) => index.add(n, i % 3));
  index.add('youtube.com', 3);
  index.add('youtube.com', 4);
  const parts = index.parts();
  for (const a of [parts.hashes, parts.setIds, parts.table]) assert.ok(a.buffer instanceof SharedArrayBuffer);
  const copy = DomainIndex.fromParts(structuredClone(parts));
  assert.equal(copy.size, index.size);
  for (const n of ['www.youtube.com', 'host42.example0.com', 'x.host4999.example1.com', 'host42.example1.com', 'nothing.org']) {
    assert.deepEqual(matches(copy, n), matches(index, n), n);
  }
  assert.deepEqual(matches(copy, 'www.youtube.com'), [3, 4]);
  // A worker thread sees the very same memory.
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    parentPort.postMessage(workerData.hashes[0]);
  `, { eval: true, workerData: parts });
  const first = parts.hashes[0]!;
  const seen = await new Promise<number>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  await worker.terminate();
  assert.equal(seen, first);
  assert.ok(parts.hashes.buffer instanceof SharedArrayBuffer);
});
