/**
 * The answer cache: at most `size` entries, each dropped once its TTL has run out on the injected
 * clock (or, with `serveStale`, that many seconds later: until then an expired entry is kept to be
 * served stale when the upstreams fail, RFC 8767), about the least recently used evicted first. It
 * keeps no JavaScript object per entry, so that a large cache costs little memory and gives the
 * garbage collector nothing to trace:
 *
 * - The arena ({@link AnswerArena}): every entry's bytes in one ring buffer, behind a small header
 *   with its cacheTtl and storedAt. The bytes are the {@link AnswerEntry} layout (the response with
 *   its question in lowercase wire form, then its TTL offsets), then the extra names.
 * - Metadata: four 32-bit words per entry id in one Int32Array (where the entry starts, its hash,
 *   wire length and TTL count, question end with the rcode, AD, DO, referenced and has-names bits
 *   and the upstream label), so that a lookup reads one cache line of it and then the record.
 *   Ids freed by eviction are reused through a free list threaded through the first word.
 * - The index: open addressing with linear probing in an Int32Array of ids, at most half full, with
 *   backward-shift deletion (no tombstones). The key is the question in wire form plus the DO bit
 *   (see {@link writeQuestionKey}); a hash match is confirmed against the stored answer's question
 *   bytes, which are the key, so there are no false hits and no key is stored twice.
 * - Extra names (CNAME/DNAME targets and other owners, which the query handler checks against the
 *   policy on every hit; about one entry in four) are kept as latin1 text after the TTL offsets and
 *   become strings only when a hit asks for them. Upstream labels are in a table of at most 255.
 *
 * - Per id, beside the policy generation under which the entry's names match no list, the "last
 *   given" mark for the answer index: which client was last given the entry (its answer recorded),
 *   with which service, when and with which expiry (see {@link AnswerCache.givenAgain}). It sits in
 *   the lines a hit reads anyway, so a repeat costs a few compares and no lookup of its own.
 *
 * A hit sets the entry's referenced bit and fills one reused view of the entry: on an entry without
 * extra names it allocates nothing. Eviction is second chance over the arena's ring; see there, and
 * for how the arena grows (up to `size` × 512 bytes, at least 1 MiB). Metadata and the index start
 * at 1,024 entries and double up to `size`.
 */
import { AnswerArena, RECORD_HEADER, roundUp4 } from './answer-arena.js';
import { NO_NAMES, type AnswerEntry } from './answer-entry.js';
import { encodedNamesLength, readNames, storedNamesLength, writeNames } from './answer-names.js';
import { HEADER_SIZE } from './message-codec.js';
import { hashQuestion, type QuestionHash } from './question-key.js';

export interface AnswerCacheOptions {
  /**
   * Hash of a question key.
   * @default hashQuestion
   */
  hash?: QuestionHash;
  /**
   * Arena bytes to start with (rounded up to a multiple of 4).
   * @default size × 256, from 4 KiB to 64 KiB
   */
  initialArenaBytes?: number;
  /**
   * Arena bytes the cache may grow to; an entry larger than half of it is not cached.
   * @default size × 512, at least 1 MiB
   */
  maxArenaBytes?: number;
  /**
   * Seconds an entry is kept past its expiry, for {@link AnswerCache.getStale}; 0 drops it at once.
   * @default 0
   */
  serveStale?: number;
}

const ARENA_BYTES_PER_ENTRY = 512;
const MIN_MAX_ARENA = 1 << 20;
const MAX_ARENA = 1 << 30;
const INITIAL_IDS = 1024;
const MAX_UPSTREAMS = 255;

// Metadata words of an entry.
const STRIDE = 4;
const M_AT = 0;
const M_HASH = 1;
/** Wire length in the low 16 bits, TTL count in the high 16. */
const M_LENGTHS = 2;
/** Question end in bits 0-15 (0 for a free id), flags in 16-23, upstream label in 24-31. */
const M_INFO = 3;

const RCODE_MASK = 0x0f;
const F_AD = 0x10;
const F_DO = 0x20;
const F_REFERENCED = 0x40;
const F_NAMES = 0x80;

// Words of an entry's marks.
const MARK_STRIDE = 4;
/** The policy generation under which the entry's names match no list; 0: not known. */
const K_UNMATCHED = 0;
/** When the entry was last given to the marked client (seconds from {@link MARK_EPOCH}). */
const K_GIVEN_AT = 1;
/** The expiry that answer had (seconds from {@link MARK_EPOCH}). */
const K_EXPIRES = 2;
/** Seconds of the marks count from here (2025-01-01), so that they fit 32 bits for decades. */
const MARK_EPOCH = 1_735_689_600;

/** A hit: the entry's fields, over the arena. Valid until the next call on the cache. */
class CachedAnswer implements AnswerEntry {
  bytes: Uint8Array = new Uint8Array(0);
  words: Int32Array = new Int32Array(0);
  offset = 0;
  wireLength = 0;
  ttlCount = 0;
  questionEnd = 0;
  storedAt = 0;
  cacheTtl = 0;
  rcode = 0;
  authenticData = false;
  upstream: string | null = null;
  #text: Buffer = Buffer.alloc(0);
  #namesAt = -1;
  #names: readonly string[] | null = null;

  /** Where the entry's names start in `text` (the arena), or -1 when it has none. */
  pointNames(text: Buffer, namesAt: number): void {
    this.#text = text;
    this.#namesAt = namesAt;
    this.#names = null;
  }

  get names(): readonly string[] {
    if (this.#namesAt < 0) return NO_NAMES;
    this.#names ??= readNames(this.#text, this.#namesAt);
    return this.#names;
  }
}

export class AnswerCache {
  readonly #size: number;
  readonly #hash: QuestionHash;
  readonly #arena: AnswerArena;
  readonly #hit = new CachedAnswer();
  #count = 0;
  #nextId = 0;
  #freeId = -1;
  #meta = new Int32Array(0);
  /** Per id, {@link MARK_STRIDE} words: see K_UNMATCHED, K_GIVEN_AT and K_EXPIRES. */
  #marks = new Int32Array(0);
  /** Per id, two slots: the client the entry was last given to (null: nobody yet), and the service. */
  #givenTo: (string | null)[] = [];
  /** The id {@link get} last returned, -1 after a miss. */
  #lastHit = -1;
  #table = new Int32Array(1).fill(-1);
  #mask = 0;
  #upstreams: (string | null)[] = [null];
  readonly #upstreamIds = new Map<string, number>();

  constructor(size: number, options: AnswerCacheOptions = {}) {
    this.#size = Math.max(0, Math.floor(size));
    this.#hash = options.hash ?? hashQuestion;
    const maxBytes = roundUp4(Math.min(MAX_ARENA, options.maxArenaBytes ?? Math.max(MIN_MAX_ARENA, this.#size * ARENA_BYTES_PER_ENTRY)));
    const initial = options.initialArenaBytes ?? Math.min(64 << 10, Math.max(4 << 10, this.#size * 256));
    this.#arena = new AnswerArena({
      initialBytes: this.#size === 0 ? 0 : Math.min(maxBytes, roundUp4(initial)),
      maxBytes,
      entries: this.#size,
    }, {
      recordLength: (id) => this.#recordLength(id),
      unreference: (id) => this.#unreference(id),
      moved: (id, at) => { this.#meta[id * STRIDE + M_AT] = at; },
      dropped: (id) => this.#forget(id),
    });
    this.#resizeIds(Math.min(this.#size, INITIAL_IDS));
    this.serveStale = options.serveStale ?? 0;
  }

  /** Entries held. */
  get size(): number {
    return this.#count;
  }

  /** Bytes the arena holds now, used or not. */
  get arenaBytes(): number {
    return this.#arena.bytes.length;
  }

  /**
   * Seconds an entry is kept past its expiry (see {@link AnswerCacheOptions.serveStale}). Lowered,
   * entries already past the new window go at their next lookup or eviction.
   */
  get serveStale(): number {
    return this.#arena.staleMs / 1000;
  }

  set serveStale(seconds: number) {
    this.#arena.staleMs = Math.max(0, Math.floor(seconds)) * 1000;
  }

  /**
   * The entry for the question `key[0, keyLength)` (see {@link writeQuestionKey}) and DO bit, unless
   * it has expired at `now`. The entry returned is a view valid until the next call on the cache.
   * An expired entry is a miss; it is dropped unless it is within the stale window.
   */
  get(key: Uint8Array, keyLength: number, dnssecOk: boolean, now: number): AnswerEntry | undefined {
    this.#lastHit = -1;
    if (this.#count === 0) return undefined;
    const id = this.#find(key, 0, keyLength, dnssecOk, this.#hash(key, 0, keyLength, dnssecOk) | 0);
    if (id < 0) return undefined;
    const arena = this.#arena;
    const meta = this.#meta;
    const m = id * STRIDE;
    const at = meta[m + M_AT]!;
    const storedAt = arena.storedAt(at);
    const cacheTtl = arena.cacheTtl(at);
    if (now - storedAt >= cacheTtl * 1000) {
      if (arena.spent(at, now)) this.#remove(id);
      return undefined;
    }
    const info = meta[m + M_INFO]!;
    meta[m + M_INFO] = info | (F_REFERENCED << 16);
    const lengths = meta[m + M_LENGTHS]!;
    const flags = info >>> 16;
    const hit = this.#hit;
    hit.bytes = arena.bytes;
    hit.words = arena.words;
    hit.offset = at;
    hit.wireLength = lengths & 0xffff;
    hit.ttlCount = lengths >>> 16;
    hit.questionEnd = info & 0xffff;
    hit.storedAt = storedAt;
    hit.cacheTtl = cacheTtl;
    hit.rcode = flags & RCODE_MASK;
    hit.authenticData = (flags & F_AD) !== 0;
    hit.upstream = this.#upstreams[info >>> 24] ?? null;
    hit.pointNames(arena.text, (flags & F_NAMES) === 0 ? -1 : at + hit.wireLength + 2 * hit.ttlCount);
    this.#lastHit = id;
    return hit;
  }

  /**
   * Whether the entry the last {@link get} returned was marked by {@link markUnmatched} under policy
   * `generation` (see Policy.generation): then none of its names, the question's or the answer's,
   * is on any list of that policy, and `decide()` would allow them all without a rule or a limit.
   */
  unmatchedUnder(generation: number): boolean {
    return this.#lastHit >= 0 && this.#marks[this.#lastHit * MARK_STRIDE + K_UNMATCHED] === generation;
  }

  /** Mark the entry the last {@link get} returned as matching no list under policy `generation`. */
  markUnmatched(generation: number): void {
    if (this.#lastHit >= 0) this.#marks[this.#lastHit * MARK_STRIDE + K_UNMATCHED] = generation;
  }

  /**
   * Whether the answer just rendered from the entry the last {@link get} returned, given to `client`
   * for `service` at `now` (epoch ms) with records expiring from `expires` (epoch seconds: the
   * time's second plus the smallest TTL rendered), repeats the one marked by {@link markGiven}: the
   * same client and service, an expiry no later (within a second of TTL rounding), and marked at most
   * `windowMs` before. The entry's records are the marked answer's, as an entry stored again (a
   * refresh) starts without a mark.
   */
  givenAgain(client: string, service: string | null, expires: number, now: number, windowMs: number): boolean {
    const id = this.#lastHit;
    if (id < 0) return false;
    const g = id * 2;
    const givenTo = this.#givenTo;
    if (givenTo[g] !== client || givenTo[g + 1] !== service) return false;
    const k = id * MARK_STRIDE;
    const marks = this.#marks;
    const age = Math.floor(now / 1000) - MARK_EPOCH - marks[k + K_GIVEN_AT]!;
    return age >= 0 && age * 1000 < windowMs && expires - MARK_EPOCH <= marks[k + K_EXPIRES]! + 1;
  }

  /** Mark the entry the last {@link get} returned as given to `client` for `service` (see {@link givenAgain}). */
  markGiven(client: string, service: string | null, expires: number, now: number): void {
    const id = this.#lastHit;
    if (id < 0) return;
    const k = id * MARK_STRIDE;
    this.#marks[k + K_GIVEN_AT] = Math.floor(now / 1000) - MARK_EPOCH;
    this.#marks[k + K_EXPIRES] = expires - MARK_EPOCH;
    this.#givenTo[id * 2] = client;
    this.#givenTo[id * 2 + 1] = service;
  }

  /**
   * Like {@link get}, but an entry expired at `now` by at most `serveStale` seconds is returned too,
   * to answer stale when no upstream answers. A stale entry's TTLs have run out: the caller sets
   * them (see {@link renderStaleAnswer}). Undefined when serving stale is off.
   */
  getStale(key: Uint8Array, keyLength: number, dnssecOk: boolean, now: number): AnswerEntry | undefined {
    // An entry within the window at `now` is one that was fresh `serveStale` seconds earlier. The
    // lookup at that time drops nothing the window still holds: its drop test is offset the same way.
    const staleMs = this.#arena.staleMs;
    return staleMs === 0 ? undefined : this.get(key, keyLength, dnssecOk, now - staleMs);
  }

  /**
   * Store `entry` under its own question and `dnssecOk` if it is cacheable (TTL above zero) and the
   * cache is enabled, replacing an entry for the same question. Its bytes are copied. An entry
   * larger than half the arena's bound is not stored (with the default bound of at least 1 MiB,
   * every DNS message fits), nor one with names beyond latin1 or an 256th upstream label.
   */
  set(entry: AnswerEntry, dnssecOk: boolean): void {
    if (this.#size === 0 || entry.cacheTtl <= 0 || entry.bytes === this.#arena.bytes) return;
    const bytes = entry.bytes;
    const keyStart = entry.offset + HEADER_SIZE;
    const keyLength = entry.questionEnd - HEADER_SIZE;
    const hash = this.#hash(bytes, keyStart, keyStart + keyLength, dnssecOk) | 0;
    const old = this.#find(bytes, keyStart, keyLength, dnssecOk, hash);
    if (old >= 0) this.#remove(old);
    const length = entry.wireLength + 2 * entry.ttlCount;
    const names = encodedNamesLength(entry.names);
    const record = RECORD_HEADER + roundUp4(length + Math.max(0, names));
    if (entry.wireLength > 0xffff || entry.ttlCount > 0xffff || names < 0 || record > this.#arena.maxRecord) return;
    const upstream = this.#upstreamIndex(entry.upstream);
    if (upstream < 0) return;
    const now = entry.storedAt;
    while (this.#count >= this.#size) this.#arena.evictOne(now);
    const id = this.#newId();
    const at = this.#arena.add(id, record, Math.min(entry.cacheTtl, 0xffffffff), entry.storedAt, now);
    const arena = this.#arena.bytes;
    arena.set(bytes.subarray(entry.offset, entry.offset + length), at);
    if (names !== 0) writeNames(arena, at + length, entry.names);
    let flags = entry.rcode & RCODE_MASK;
    if (entry.authenticData) flags |= F_AD;
    if (dnssecOk) flags |= F_DO;
    if (names !== 0) flags |= F_NAMES;
    const m = id * STRIDE;
    this.#marks[id * MARK_STRIDE + K_UNMATCHED] = 0;
    this.#givenTo[id * 2] = null;
    this.#givenTo[id * 2 + 1] = null;
    this.#meta[m + M_AT] = at;
    this.#meta[m + M_HASH] = hash;
    this.#meta[m + M_LENGTHS] = entry.wireLength | (entry.ttlCount << 16);
    this.#meta[m + M_INFO] = entry.questionEnd | (flags << 16) | (upstream << 24);
    this.#index(id, hash);
    this.#count++;
  }

  clear(): void {
    this.#lastHit = -1;
    this.#arena.reset();
    this.#count = 0;
    this.#nextId = 0;
    this.#freeId = -1;
    this.#upstreams = [null];
    this.#upstreamIds.clear();
    this.#resizeIds(Math.min(this.#size, INITIAL_IDS));
  }

  #recordLength(id: number): number {
    const m = id * STRIDE;
    const lengths = this.#meta[m + M_LENGTHS]!;
    let length = (lengths & 0xffff) + 2 * (lengths >>> 16);
    if (((this.#meta[m + M_INFO]! >>> 16) & F_NAMES) !== 0) length += storedNamesLength(this.#arena.bytes, this.#meta[m + M_AT]! + length);
    return RECORD_HEADER + roundUp4(length);
  }

  #unreference(id: number): boolean {
    const i = id * STRIDE + M_INFO;
    const info = this.#meta[i]!;
    this.#meta[i] = info & ~(F_REFERENCED << 16);
    return (info & (F_REFERENCED << 16)) !== 0;
  }

  // ---- the index ----

  #find(key: Uint8Array, start: number, length: number, dnssecOk: boolean, hash: number): number {
    const table = this.#table;
    const mask = this.#mask;
    const meta = this.#meta;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const id = table[i]!;
      if (id < 0) return -1;
      if (meta[id * STRIDE + M_HASH] === hash && this.#matches(id, key, start, length, dnssecOk)) return id;
    }
  }

  /** Whether entry `id`'s question and DO bit are the key's. */
  #matches(id: number, key: Uint8Array, start: number, length: number, dnssecOk: boolean): boolean {
    const info = this.#meta[id * STRIDE + M_INFO]!;
    if ((info & 0xffff) - HEADER_SIZE !== length || ((info & (F_DO << 16)) !== 0) !== dnssecOk) return false;
    const arena = this.#arena.bytes;
    const at = this.#meta[id * STRIDE + M_AT]! + HEADER_SIZE - start;
    for (let i = start, end = start + length; i < end; i++) if (arena[at + i] !== key[i]) return false;
    return true;
  }

  #index(id: number, hash: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = hash & mask;
    while (table[i]! >= 0) i = (i + 1) & mask;
    table[i] = id;
  }

  #unindex(id: number): void {
    const table = this.#table;
    const mask = this.#mask;
    const meta = this.#meta;
    let i = meta[id * STRIDE + M_HASH]! & mask;
    while (table[i] !== id) i = (i + 1) & mask;
    // Backward shift: pull later entries of the run into the hole unless their home slot lies
    // cyclically in (hole, their slot], so that every entry stays reachable from its home.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const other = table[j]!;
      if (other < 0) break;
      const home = meta[other * STRIDE + M_HASH]! & mask;
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      table[i] = other;
      i = j;
    }
    table[i] = -1;
  }

  // ---- ids ----

  #newId(): number {
    const free = this.#freeId;
    if (free >= 0) {
      this.#freeId = this.#meta[free * STRIDE + M_AT]!;
      return free;
    }
    if (this.#nextId * STRIDE === this.#meta.length) this.#resizeIds(Math.min(this.#size, 2 * this.#nextId));
    return this.#nextId++;
  }

  /** Metadata for `capacity` ids, and an index at most half full at that many entries. */
  #resizeIds(capacity: number): void {
    const used = this.#nextId * STRIDE;
    const meta = new Int32Array(capacity * STRIDE);
    meta.set(this.#meta.subarray(0, used));
    this.#meta = meta;
    const marks = new Int32Array(capacity * MARK_STRIDE);
    marks.set(this.#marks.subarray(0, this.#nextId * MARK_STRIDE));
    this.#marks = marks;
    // Filled, so the array stays packed and of one element kind.
    const givenTo = new Array<string | null>(capacity * 2).fill(null);
    for (let i = 0; i < this.#nextId * 2; i++) givenTo[i] = this.#givenTo[i] ?? null;
    this.#givenTo = givenTo;
    let slots = 1;
    while (slots < capacity * 2) slots *= 2;
    this.#table = new Int32Array(slots).fill(-1);
    this.#mask = slots - 1;
    for (let m = 0; m < used; m += STRIDE) if ((meta[m + M_INFO]! & 0xffff) !== 0) this.#index(m / STRIDE, meta[m + M_HASH]!);
  }

  #upstreamIndex(label: string | null): number {
    if (label === null) return 0;
    const known = this.#upstreamIds.get(label);
    if (known !== undefined) return known;
    if (this.#upstreams.length > MAX_UPSTREAMS) return -1;
    this.#upstreams.push(label);
    this.#upstreamIds.set(label, this.#upstreams.length - 1);
    return this.#upstreams.length - 1;
  }

  /** Drop entry `id`, leaving a gap in the arena. */
  #remove(id: number): void {
    this.#arena.remove(this.#meta[id * STRIDE + M_AT]!, this.#recordLength(id));
    this.#forget(id);
  }

  /** Drop entry `id` from the index and free its id; its record is the arena's. */
  #forget(id: number): void {
    this.#unindex(id);
    if (this.#lastHit === id) this.#lastHit = -1;
    const m = id * STRIDE;
    this.#meta[m + M_INFO] = 0;
    this.#meta[m + M_AT] = this.#freeId;
    this.#freeId = id;
    this.#count--;
  }
}
