import { isExpired, type AnswerEntry } from './answer-entry.js';

/** An entry and the cache's note of when it was last moved to the recent end. */
interface Slot {
  readonly entry: AnswerEntry;
  used: number;
}

/**
 * The answer cache: at most `size` entries, least recently used evicted first, each dropped once
 * its TTL has run out on the injected clock. Keys come from {@link cacheKey}.
 *
 * The Map's insertion order is the recency order. A hit moves its entry to the recent end only
 * when at least half the cache has been stored or moved since the entry last was: a hot entry
 * then never nears the eviction end, and most hits cost one lookup instead of a delete and a set.
 */
export class AnswerCache {
  readonly #size: number;
  readonly #slots = new Map<string, Slot>();
  /** Counts stores and moves; a slot's `used` is this count when it last went to the recent end. */
  #clock = 0;

  constructor(size: number) {
    this.#size = Math.max(0, size);
  }

  get size(): number {
    return this.#slots.size;
  }

  get(key: string, now: number): AnswerEntry | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (isExpired(slot.entry, now)) {
      this.#slots.delete(key);
      return undefined;
    }
    if (this.#clock - slot.used >= this.#size >>> 1) {
      this.#slots.delete(key);
      slot.used = ++this.#clock;
      this.#slots.set(key, slot);
    }
    return slot.entry;
  }

  /** Store `entry` if it is cacheable (TTL above zero) and the cache is enabled. */
  set(key: string, entry: AnswerEntry): void {
    if (this.#size === 0 || entry.cacheTtl <= 0) return;
    this.#slots.delete(key);
    while (this.#slots.size >= this.#size) {
      const oldest = this.#slots.keys().next();
      if (oldest.done === true) break;
      this.#slots.delete(oldest.value);
    }
    this.#slots.set(key, { entry, used: ++this.#clock });
  }

  clear(): void {
    this.#slots.clear();
  }
}

/** Cache key of a question: normalized name, type, class and the DO bit. */
export function cacheKey(name: string, type: number, cls: number, dnssecOk: boolean): string {
  return `${name}|${type}|${cls}|${dnssecOk ? 1 : 0}`;
}
