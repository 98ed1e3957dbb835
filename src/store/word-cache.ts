/**
 * The query-log writer's memory of `querylog_text` ids: client or name -> id, so that the words most
 * rows repeat cost a map lookup instead of a statement, and of the words it met once, so that a name
 * met for the first time can be logged inline instead of becoming a word.
 */

/** Bits of the admission filter: 2^20 bits, 128 KiB. */
const FILTER_BITS = 20;
/** Words offered to the filter before it starts over, so that it stays sparse (about 5 % false hits). */
const FILTER_WORDS = 1 << 17;

/** `text` as a string of its own, not a view into a larger one (the batch text it was sliced from). */
function flat(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

/** FNV-1a over the UTF-16 code units of `s`. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A bounded cache of word ids that keeps the words asked for again and lets one-off words pass.
 *
 * Admission: a word is cached the second time it misses within the last {@link FILTER_WORDS} misses,
 * which a bit filter remembers (two bits a word); a word seen once (a random subdomain, a quarter of
 * all names under some loads) costs no entry, no copy and no eviction of a useful word. The writer
 * asks the filter alone (`admit`) about a name, and logs a name it has not met inline, not as a word.
 *
 * Eviction: second chance (CLOCK). Each slot has a reference bit that a hit sets; a new word takes
 * the first slot at the hand whose bit is clear, clearing the bits it passes. Hits cost one map
 * lookup and one byte store.
 *
 * Every id held was refreshed in the database (`last_time`) at or after {@link WordCache.since}, so a
 * batch no newer than `since + slack` may use them without touching the database; `begin` drops
 * everything once batches are newer than that.
 */
export class WordCache {
  readonly capacity: number;
  /** Word -> slot. */
  #slots = new Map<string, number>();
  readonly #keys: string[] = [];
  /** Float64: ids pass 2^31 after two billion distinct words, days of random subdomains at full rate. */
  readonly #ids: Float64Array;
  readonly #referenced: Uint8Array;
  #hand = 0;
  readonly #filter = new Int32Array(1 << (FILTER_BITS - 5));
  #filtered = 0;
  #since = -Infinity;

  /** @param capacity words held at most; at least 1. */
  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.#ids = new Float64Array(this.capacity);
    this.#referenced = new Uint8Array(this.capacity);
  }

  /** The refresh time every id held is at least (-Infinity when emptied since the last `begin`). */
  get since(): number {
    return this.#since;
  }

  /** Words held. */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * Start a batch whose newest row is at `newest`: forget every id when the batch is more than
   * `slackMs` newer than `since`, or older than it (a clock set back), then `since` is `newest`.
   */
  begin(newest: number, slackMs: number): void {
    if (this.#since + slackMs < newest || newest < this.#since) {
      this.clear();
      this.#since = newest;
    }
  }

  /** The id of `word`, or -1 when it is not held. */
  get(word: string): number {
    const slot = this.#slots.get(word);
    if (slot === undefined) return -1;
    this.#referenced[slot] = 1;
    return this.#ids[slot] ?? -1;
  }

  /**
   * Offer `word`, which missed, with its id (refreshed at or after `since`): held from its second
   * offer on. Returns whether it is held now.
   */
  offer(word: string, id: number): boolean {
    if (!this.admit(word)) return false;
    this.hold(word, id);
    return true;
  }

  /** Hold `word`, which missed, with its id (refreshed at or after `since`), evicting another when full. */
  hold(word: string, id: number): void {
    let slot: number;
    if (this.#keys.length < this.capacity) {
      slot = this.#keys.length;
      this.#keys.push('');
    } else {
      slot = this.#victim();
      this.#slots.delete(this.#keys[slot] ?? '');
    }
    // A slice of the batch text would keep the whole batch alive as long as the key: store a copy.
    const key = flat(word);
    this.#keys[slot] = key;
    this.#ids[slot] = id;
    this.#referenced[slot] = 0;
    this.#slots.set(key, slot);
  }

  /** Forget every id (some may be gone from the database). */
  clear(): void {
    this.#slots = new Map();
    this.#keys.length = 0;
    this.#hand = 0;
    this.#since = -Infinity;
  }

  /**
   * Whether `word` missed before, within the last {@link FILTER_WORDS} misses (give or take a few per
   * cent of false hits); remembers it if not. What `offer` asks before holding a word.
   */
  admit(word: string): boolean {
    const h = hash(word);
    const a = h >>> (32 - FILTER_BITS);
    const b = Math.imul(h, 0x9e3779b1) >>> (32 - FILTER_BITS);
    const filter = this.#filter;
    const wa = a >>> 5;
    const wb = b >>> 5;
    const ma = 1 << (a & 31);
    const mb = 1 << (b & 31);
    if (((filter[wa] ?? 0) & ma) !== 0 && ((filter[wb] ?? 0) & mb) !== 0) return true;
    if (++this.#filtered > FILTER_WORDS) {
      filter.fill(0);
      this.#filtered = 1;
    }
    filter[wa] = (filter[wa] ?? 0) | ma;
    filter[wb] = (filter[wb] ?? 0) | mb;
    return false;
  }

  /** The slot to reuse: the first at the hand not referenced since the hand last passed it. */
  #victim(): number {
    const referenced = this.#referenced;
    const n = this.capacity;
    let hand = this.#hand;
    while (referenced[hand] === 1) {
      referenced[hand] = 0;
      hand = hand + 1 === n ? 0 : hand + 1;
    }
    this.#hand = hand + 1 === n ? 0 : hand + 1;
    return hand;
  }
}
