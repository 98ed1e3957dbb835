import { isExpired, type AnswerEntry } from './answer-entry.js';

/**
 * The answer cache: at most `size` entries, least recently used evicted first, each dropped once
 * its TTL has run out on the injected clock. Keys come from {@link cacheKey}.
 */
export class AnswerCache {
  readonly #size: number;
  readonly #entries = new Map<string, AnswerEntry>();

  constructor(size: number) {
    this.#size = Math.max(0, size);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now: number): AnswerEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (isExpired(entry, now)) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  /** Store `entry` if it is cacheable (TTL above zero) and the cache is enabled. */
  set(key: string, entry: AnswerEntry): void {
    if (this.#size === 0 || entry.cacheTtl <= 0) return;
    this.#entries.delete(key);
    while (this.#entries.size >= this.#size) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, entry);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** Cache key of a question: normalized name, type, class and the DO bit. */
export function cacheKey(name: string, type: number, cls: number, dnssecOk: boolean): string {
  return `${name}|${type}|${cls}|${dnssecOk ? 1 : 0}`;
}
