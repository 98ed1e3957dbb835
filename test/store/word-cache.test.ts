import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WordCache } from '../../src/store/word-cache.js';

const SLACK = 3_600_000;

/** Offer `word` until it is held (twice, unless the filter remembers it), and use it once. */
function hold(cache: WordCache, word: string, id: number): void {
  if (!cache.offer(word, id)) assert.equal(cache.offer(word, id), true);
  assert.equal(cache.get(word), id, word);
}

describe('word cache', () => {
  it('holds a word from its second offer on, so words used once take no room', () => {
    const cache = new WordCache(10);
    assert.equal(cache.get('a.example'), -1);
    assert.equal(cache.offer('a.example', 7), false);
    assert.equal(cache.get('a.example'), -1);
    assert.equal(cache.size, 0);
    assert.equal(cache.offer('a.example', 7), true);
    assert.equal(cache.get('a.example'), 7);
    for (let i = 0; i < 100; i++) cache.offer(`once${i}.example`, i);
    assert.equal(cache.size, 1);
  });

  it('admits a word the second time it is asked about, and holds what it is given', () => {
    const cache = new WordCache(10);
    assert.equal(cache.admit('twice.example'), false);
    assert.equal(cache.admit('other.example'), false);
    assert.equal(cache.admit('twice.example'), true);
    // Asking does not hold: the caller decides (the writer logs a name it was not admitted inline).
    assert.equal(cache.get('twice.example'), -1);
    assert.equal(cache.size, 0);
    cache.hold('twice.example', 42);
    assert.equal(cache.get('twice.example'), 42);
    // offer asks the same filter: a word already asked about is held at once.
    assert.equal(cache.offer('other.example', 7), true);
    assert.equal(cache.get('other.example'), 7);
    assert.equal(cache.size, 2);
  });

  it('holds at most its capacity, evicting words not used since the hand last passed them', () => {
    const cache = new WordCache(3);
    hold(cache, 'a', 1);
    hold(cache, 'b', 2);
    hold(cache, 'c', 3);
    // Holding them referenced all three; a full sweep clears that, the next one evicts.
    hold(cache, 'd', 4);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('a'), -1);
    // b and c lost their reference bits in the sweep; using c keeps it, b goes next.
    assert.equal(cache.get('c'), 3);
    hold(cache, 'e', 5);
    assert.equal(cache.get('b'), -1);
    assert.deepEqual(['c', 'd', 'e'].map((w) => cache.get(w)), [3, 4, 5]);
    assert.equal(cache.size, 3);
  });

  it('keeps its ids within the slack of its first batch, and drops them after it or when time goes back', () => {
    const cache = new WordCache(10);
    cache.begin(1000, SLACK);
    assert.equal(cache.since, 1000);
    hold(cache, 'a', 1);
    cache.begin(1000 + SLACK, SLACK);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.since, 1000);
    cache.begin(1001 + SLACK, SLACK);
    assert.equal(cache.get('a'), -1);
    assert.equal(cache.since, 1001 + SLACK);
    hold(cache, 'a', 1);
    cache.begin(500, SLACK);
    assert.equal(cache.get('a'), -1);
    assert.equal(cache.since, 500);
  });

  it('clear forgets every id, and the next batch sets the time again', () => {
    const cache = new WordCache(10);
    cache.begin(1000, SLACK);
    hold(cache, 'a', 1);
    cache.clear();
    assert.equal(cache.get('a'), -1);
    assert.equal(cache.size, 0);
    assert.equal(cache.since, -Infinity);
    cache.begin(2000, SLACK);
    assert.equal(cache.since, 2000);
    // The filter still remembers the word: it is held again from its first offer.
    assert.equal(cache.offer('a', 9), true);
    assert.equal(cache.get('a'), 9);
  });

  it('holds words of any length and characters as their own strings', () => {
    const cache = new WordCache(100);
    const batch = `${'x'.repeat(40)}.example|Bücher.example|\u{1F600}.example|`;
    const words = batch.split('|').slice(0, -1).map((w) => batch.slice(batch.indexOf(w), batch.indexOf(w) + w.length));
    words.forEach((w, i) => hold(cache, w, i));
    words.forEach((w, i) => assert.equal(cache.get(`${w}`), i));
    assert.equal(cache.get('bücher.example'), -1);
  });
});
