/**
 * The DNS side's filter of repeated answers: most answers a gateway gives are cache hits that repeat,
 * for the same client and name, an answer it gave moments ago (the same records, the TTLs counted
 * down, so the same expiry). The index already holds those, so they need no copy, no post and no
 * reading. One pass over the response's answer section hashes the client, name, service and records
 * (without their TTLs) into two independent 32-bit hashes and finds the smallest TTL; a
 * direct-mapped table of 16 bytes a slot, one typed array (a lookup touches one cache line; the
 * table is bigger than the CPU's caches, so that is most of its cost), remembers per hash the last
 * answer let through. An answer is a repeat when its slot holds both hashes (64 bits: a false match
 * is out of reach in practice), its expiry is no later (within a second of rounding) and the last
 * one let through is at most `windowMs` old: so the index hears every answer again at least that often, and an answer
 * whose lifetime grows (a refreshed cache entry) or that changed in any record always goes through.
 */
import { skipName } from './read-answers.js';

const HEADER = 12;

export interface RepeatFilterOptions {
  /** Slots of the table (rounded up to a power of two), 16 bytes each; 0 turns the filter off. @default 131072 */
  slots?: number;
  /** How long a repeat may be skipped after the answer it repeats went through. @default 5000 */
  windowMs?: number;
}

export const DEFAULT_REPEAT_SLOTS = 131_072;
export const DEFAULT_REPEAT_WINDOW_MS = 5_000;

function hashString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

function hashString2(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h + s.charCodeAt(i), 0x5bd1e995) ^ (h >>> 15);
  return h;
}

/** `h` with the bytes `b[from, to)` mixed in, four at a time. */
function mix1(b: Uint8Array, from: number, to: number, h: number): number {
  let k = from;
  for (; k + 3 < to; k += 4) h = Math.imul(h ^ ((b[k]! << 24) | (b[k + 1]! << 16) | (b[k + 2]! << 8) | b[k + 3]!), 0x01000193);
  for (; k < to; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
  return h;
}

/** The second, independent hash of {@link mix1}. */
function mix2(b: Uint8Array, from: number, to: number, h: number): number {
  let k = from;
  for (; k + 3 < to; k += 4) h = Math.imul(h + ((b[k]! << 24) | (b[k + 1]! << 16) | (b[k + 2]! << 8) | b[k + 3]!), 0x5bd1e995) ^ (h >>> 15);
  for (; k < to; k++) h = Math.imul(h + b[k]!, 0x5bd1e995) ^ (h >>> 15);
  return h;
}

export class RepeatFilter {
  readonly #mask: number;
  readonly #windowMs: number;
  /** Per slot: the two hashes, the expiry let through (epoch seconds: answer time + smallest TTL)
   *  and when it was let through (epoch seconds). */
  readonly #slots: Uint32Array;
  /** Answers found to repeat one let through. */
  repeats = 0;

  constructor(options: RepeatFilterOptions = {}) {
    const wanted = options.slots ?? DEFAULT_REPEAT_SLOTS;
    let slots = wanted <= 0 ? 0 : 1;
    while (slots > 0 && slots < wanted) slots *= 2;
    this.#mask = slots - 1;
    this.#windowMs = options.windowMs ?? DEFAULT_REPEAT_WINDOW_MS;
    this.#slots = new Uint32Array(slots * 4);
  }

  /**
   * Whether the response `b` sent to `client` for `name` (of `service`) at `time` repeats an answer
   * let through within the window; if not, it is remembered as let through.
   */
  isRepeat(client: string, name: string, service: string | null, b: Uint8Array, time: number): boolean {
    if (this.#mask < 0) return false;
    const end = b.length;
    if (end < HEADER) return false;
    const qd = (b[4]! << 8) | b[5]!;
    const an = (b[6]! << 8) | b[7]!;
    // Hashes kept in locals as int32 (a field would box them).
    // The name is hashed as the response's question (the same name; another case of it only misses).
    let h = hashString(hashString(0x811c9dc5, client), service ?? '\u0000');
    let h2 = hashString2(hashString2(0x2545f491, client), service ?? '\u0000');
    let pos = HEADER;
    for (let i = 0; i < qd; i++) {
      const after = skipName(b, pos, end);
      if (after < 0 || after + 4 > end) return false;
      pos = after + 4;
    }
    h = mix1(b, HEADER, pos, h);
    h2 = mix2(b, HEADER, pos, h2);
    let minTtl = -1;
    for (let i = 0; i < an; i++) {
      const after = skipName(b, pos, end);
      if (after < 0 || after + 10 > end) return false;
      const rr = pos;
      pos = after;
      const ttl = ((b[pos + 4]! << 24) | (b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!) >>> 0;
      if (minTtl < 0 || ttl < minTtl) minTtl = ttl;
      const rdEnd = pos + 10 + ((b[pos + 8]! << 8) | b[pos + 9]!);
      if (rdEnd > end) return false;
      // Owner, type and class, then the data; the TTL is left out, as it counts down between repeats.
      h = mix1(b, pos + 10, rdEnd, mix1(b, rr, pos + 4, h));
      h2 = mix2(b, pos + 10, rdEnd, mix2(b, rr, pos + 4, h2));
      pos = rdEnd;
    }
    if (minTtl < 0) return false;
    h >>>= 0;
    h2 >>>= 0;
    const now = Math.floor(time / 1000);
    const expires = now + minTtl;
    const t = this.#slots;
    const at = ((h ^ (h >>> 16)) & this.#mask) * 4;
    if (t[at] === h && t[at + 1] === h2 && expires <= t[at + 2]! + 1 && now >= t[at + 3]! && (now - t[at + 3]!) * 1000 < this.#windowMs) {
      this.repeats++;
      return true;
    }
    t[at] = h;
    t[at + 1] = h2;
    t[at + 2] = expires;
    t[at + 3] = now;
    return false;
  }
}
