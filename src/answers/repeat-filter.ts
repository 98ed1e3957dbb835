/**
 * The DNS side's filter of repeated answers: most answers a gateway gives are cache hits that repeat,
 * for the same client and name, an answer it gave moments ago (the same records, the TTLs counted
 * down, so the same expiry). The index already holds those, so they need no copy, no post and no
 * reading. One pass over the response's answer section hashes its records without their TTLs and
 * finds the smallest TTL; a direct-mapped table remembers, per (client, name, records) hash, the
 * last answer let through. An answer is a repeat when the slot holds the same client, name, service
 * and records, its expiry is no later (within a second of rounding) and the last one let through is
 * at most `windowMs` old: so the index hears every answer again at least that often, and an answer
 * whose lifetime grows (a refreshed cache entry) or that changed in any record always goes through.
 */

const HEADER = 12;

export interface RepeatFilterOptions {
  /** Slots of the table (rounded up to a power of two); 0 turns the filter off. @default 65536 */
  slots?: number;
  /** How long a repeat may be skipped after the answer it repeats went through. @default 5000 */
  windowMs?: number;
}

export const DEFAULT_REPEAT_SLOTS = 65_536;
export const DEFAULT_REPEAT_WINDOW_MS = 5_000;

function hashString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** Position after the name at `pos` (hashed into `hash.h`), or -1 when it runs past `end`. */
function hashName(b: Uint8Array, pos: number, end: number, state: { h: number }): number {
  let h = state.h;
  for (let labels = 0; labels < 128 && pos < end; labels++) {
    const len = b[pos]!;
    if (len === 0) { state.h = Math.imul(h, 0x01000193); return pos + 1; }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 2 > end) return -1;
      state.h = Math.imul(h ^ ((len << 8) | b[pos + 1]!), 0x01000193);
      return pos + 2;
    }
    if ((len & 0xc0) !== 0 || pos + 1 + len > end) return -1;
    for (let i = pos; i <= pos + len; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    pos += 1 + len;
  }
  return -1;
}

export class RepeatFilter {
  readonly #mask: number;
  readonly #windowMs: number;
  readonly #hashes: Uint32Array;
  /** Expiry of the answer let through, in epoch seconds (answer time + smallest TTL). */
  readonly #expires: Float64Array;
  /** When it was let through, epoch ms. */
  readonly #times: Float64Array;
  readonly #clients: string[];
  readonly #names: string[];
  readonly #services: (string | null)[];
  readonly #state = { h: 0 };
  /** Answers found to repeat one let through. */
  repeats = 0;

  constructor(options: RepeatFilterOptions = {}) {
    const wanted = options.slots ?? DEFAULT_REPEAT_SLOTS;
    let slots = wanted <= 0 ? 0 : 1;
    while (slots > 0 && slots < wanted) slots *= 2;
    this.#mask = slots - 1;
    this.#windowMs = options.windowMs ?? DEFAULT_REPEAT_WINDOW_MS;
    this.#hashes = new Uint32Array(slots);
    this.#expires = new Float64Array(slots);
    this.#times = new Float64Array(slots);
    this.#clients = new Array<string>(slots).fill('');
    this.#names = new Array<string>(slots).fill('');
    this.#services = new Array<string | null>(slots).fill(null);
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
    const state = this.#state;
    state.h = hashString(hashString(0x811c9dc5, client), name);
    let pos = HEADER;
    for (let i = 0; i < qd; i++) {
      pos = hashName(b, pos, end, state);
      if (pos < 0 || pos + 4 > end) return false;
      pos += 4;
    }
    let minTtl = Infinity;
    let h = state.h;
    for (let i = 0; i < an; i++) {
      state.h = h;
      pos = hashName(b, pos, end, state);
      if (pos < 0 || pos + 10 > end) return false;
      h = state.h;
      const ttl = ((b[pos + 4]! << 24) | (b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!) >>> 0;
      if (ttl < minTtl) minTtl = ttl;
      const rdEnd = pos + 10 + ((b[pos + 8]! << 8) | b[pos + 9]!);
      if (rdEnd > end) return false;
      // Type and class, then the data; the TTL is left out, as it counts down between repeats.
      for (let k = pos; k < pos + 4; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
      for (let k = pos + 10; k < rdEnd; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
      pos = rdEnd;
    }
    if (minTtl === Infinity) return false;
    h >>>= 0;
    const expires = Math.floor(time / 1000) + minTtl;
    const slot = (h ^ (h >>> 16)) & this.#mask;
    if (this.#hashes[slot] === h && time - this.#times[slot]! < this.#windowMs && time >= this.#times[slot]!
      && expires <= this.#expires[slot]! + 1 && this.#clients[slot] === client && this.#names[slot] === name
      && this.#services[slot] === service) {
      this.repeats++;
      return true;
    }
    this.#hashes[slot] = h;
    this.#expires[slot] = expires;
    this.#times[slot] = time;
    this.#clients[slot] = client;
    this.#names[slot] = name;
    this.#services[slot] = service;
    return false;
  }
}
