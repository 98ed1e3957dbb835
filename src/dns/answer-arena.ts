/**
 * The answer cache's arena: one ArrayBuffer used as a ring of records, seen as bytes, 32-bit words
 * and a Buffer. A record is a 16-byte header (the entry's id, its cacheTtl, and its storedAt as the
 * two words of a float64) and then the entry's bytes, padded to 4 bytes so that every entry starts
 * word-aligned. When an entry is removed in place its record becomes a gap: the header's first
 * word is set to minus the record's length.
 *
 * A ring suits records of every size: space comes back in order, with no free lists and no
 * fragmentation beyond the gaps, and the order of the ring doubles as the eviction order. Records
 * are added at the head and taken at the tail. While the ring has not wrapped, records run from the
 * tail to the head; once the head has gone back to 0 they run from the tail to `end`, then from 0
 * to the head. Taking the record at the tail drops a gap or a spent entry (expired and past the
 * stale window `staleMs`), moves an entry that was referenced since the tail last passed it to the
 * head with its bit cleared (second chance: CLOCK over the ring), and evicts any other. The order is
 * insertion order with hot entries requeued. An entry expired but within the stale window is kept to
 * be served stale and is taken like any live one.
 *
 * When there is no room at the head, gaps and spent entries at the tail are dropped first. At a
 * live entry, if the live records fill less than 7/8 of the arena the gaps are closed by copying
 * the live records to a new buffer of the same size (compaction) rather than evicting; otherwise
 * the arena grows by copying them to a larger one: by a quarter, or, once it holds a few hundred
 * records, by less when `entries` records of the average size so far (plus a sixteenth) need less,
 * but by a sixteenth at least, up to `maxBytes`. At that bound the tail is taken as above until
 * there is room. Copies keep the ring order.
 */

/** Bytes before every entry: id, cacheTtl, storedAt. */
export const RECORD_HEADER = 16;
/** Records held after which growth aims at `entries` × the average record instead of a factor. */
const PROJECT_AFTER = 256;

// storedAt is read and written as the two words of a float64: records are only word-aligned.
const F64 = new Float64Array(1);
const F64_WORDS = new Int32Array(F64.buffer);

/** What the arena asks of, and tells, the cache whose entries it holds. */
export interface ArenaOwner {
  /** Length of entry `id`'s record, header included. */
  recordLength(id: number): number;
  /** Clear entry `id`'s referenced bit; whether it was set. */
  unreference(id: number): boolean;
  /** Entry `id` now starts at `at`. */
  moved(id: number, at: number): void;
  /** Entry `id` was evicted or is spent: its record is gone. */
  dropped(id: number): void;
}

export interface ArenaSize {
  initialBytes: number;
  maxBytes: number;
  /** Entries the cache may hold, for growth near its end. */
  entries: number;
}

export function roundUp4(n: number): number {
  return (n + 3) & ~3;
}

export class AnswerArena {
  readonly #owner: ArenaOwner;
  readonly #size: ArenaSize;
  #bytes: Uint8Array = new Uint8Array(0);
  #words: Int32Array = new Int32Array(0);
  #text: Buffer = Buffer.alloc(0);
  #head = 0;
  #tail = 0;
  /** While wrapped: the end of the records above the head. */
  #end = 0;
  #wrapped = false;
  #liveBytes = 0;
  #records = 0;
  /** Milliseconds past its expiry an entry is kept, to be served stale; 0 keeps none. */
  staleMs = 0;

  constructor(size: ArenaSize, owner: ArenaOwner) {
    this.#size = size;
    this.#owner = owner;
    this.reset();
  }

  get bytes(): Uint8Array {
    return this.#bytes;
  }

  get words(): Int32Array {
    return this.#words;
  }

  /** The arena as a Buffer, to decode text. */
  get text(): Buffer {
    return this.#text;
  }

  /** Longest record the arena takes: half its bound. */
  get maxRecord(): number {
    return this.#size.maxBytes >>> 1;
  }

  reset(): void {
    this.#setBuffer(new Uint8Array(this.#size.initialBytes));
    this.#head = 0;
    this.#tail = 0;
    this.#end = 0;
    this.#wrapped = false;
    this.#liveBytes = 0;
    this.#records = 0;
  }

  storedAt(at: number): number {
    const i = (at >>> 2) - 2;
    F64_WORDS[0] = this.#words[i]!;
    F64_WORDS[1] = this.#words[i + 1]!;
    return F64[0]!;
  }

  cacheTtl(at: number): number {
    return this.#words[(at >>> 2) - 3]! >>> 0;
  }

  /**
   * Whether the entry at `at` is spent at `now`: expired by the rule of `isExpired`, and past the
   * stale window too, so that it cannot even be served stale.
   */
  spent(at: number, now: number): boolean {
    return now - this.storedAt(at) >= this.cacheTtl(at) * 1000 + this.staleMs;
  }

  /**
   * Make room for a record of `length` bytes (a multiple of 4, at most `maxRecord`), which may drop
   * other entries, and write its header; returns where the entry starts. The caller fills it.
   */
  add(id: number, length: number, cacheTtl: number, storedAt: number, now: number): number {
    const at = this.#claim(length, now);
    const i = at >>> 2;
    const words = this.#words;
    words[i] = id;
    words[i + 1] = cacheTtl;
    F64[0] = storedAt;
    words[i + 2] = F64_WORDS[0]!;
    words[i + 3] = F64_WORDS[1]!;
    this.#liveBytes += length;
    this.#records++;
    return at + RECORD_HEADER;
  }

  /** The entry at `at`, its record `length` bytes, was removed: leave a gap. */
  remove(at: number, length: number): void {
    this.#words[(at - RECORD_HEADER) >>> 2] = -length;
    this.#liveBytes -= length;
    if (--this.#records === 0) {
      this.#head = 0;
      this.#tail = 0;
      this.#wrapped = false;
    }
  }

  /** Evict one entry: the first at the tail that is spent or not referenced since last passed. */
  evictOne(now: number): void {
    const records = this.#records;
    while (this.#records === records) this.#takeTail(now);
  }

  #setBuffer(bytes: Uint8Array<ArrayBuffer>): void {
    this.#bytes = bytes;
    this.#words = new Int32Array(bytes.buffer);
    this.#text = Buffer.from(bytes.buffer);
  }

  /** Take the record at the tail (see the header comment). */
  #takeTail(now: number): void {
    const header = this.#words[this.#tail >>> 2]!;
    if (header < 0) {
      this.#advanceTail(-header);
      return;
    }
    const id = header;
    const length = this.#owner.recordLength(id);
    if (this.spent(this.#tail + RECORD_HEADER, now) || !this.#owner.unreference(id)) {
      this.#liveBytes -= length;
      this.#records--;
      this.#owner.dropped(id);
      this.#advanceTail(length);
      return;
    }
    if (!this.#wrapped && this.#bytes.length - this.#head < length) this.#wrap();
    // Wrapped, the head is at or below the tail, and copyWithin copies overlapping ranges as
    // memmove does; not wrapped, the head is above the tail record.
    const from = this.#tail;
    const to = this.#head;
    if (from !== to) this.#bytes.copyWithin(to, from, from + length);
    this.#owner.moved(id, to + RECORD_HEADER);
    this.#head = to + length;
    this.#advanceTail(length);
  }

  #advanceTail(length: number): void {
    this.#tail += length;
    if (this.#wrapped) {
      if (this.#tail === this.#end) {
        this.#tail = 0;
        this.#wrapped = false;
      }
    } else if (this.#tail === this.#head) {
      this.#tail = 0;
      this.#head = 0;
    }
  }

  /** Continue at the start of the buffer: the records above the head end at the head. */
  #wrap(): void {
    this.#end = this.#head;
    this.#head = 0;
    this.#wrapped = true;
  }

  /** Room for a record of `length` bytes at the head; returns where it starts. */
  #claim(length: number, now: number): number {
    for (;;) {
      const capacity = this.#bytes.length;
      if (!this.#wrapped) {
        if (capacity - this.#head >= length) break;
        if (this.#tail >= length) {
          this.#wrap();
          break;
        }
        if (this.#head === this.#tail) {
          // Empty, and too small.
          this.#rebuild(this.#grownCapacity(length), now);
          continue;
        }
      } else if (this.#tail - this.#head >= length) {
        break;
      }
      const header = this.#words[this.#tail >>> 2]!;
      if (header >= 0 && !this.spent(this.#tail + RECORD_HEADER, now)) {
        if (this.#liveBytes + length <= capacity - (capacity >>> 3)) {
          this.#rebuild(capacity, now);
          continue;
        }
        if (capacity < this.#size.maxBytes) {
          this.#rebuild(this.#grownCapacity(length), now);
          continue;
        }
      }
      this.#takeTail(now);
    }
    const at = this.#head;
    this.#head = at + length;
    return at;
  }

  /** The capacity to grow to for one more record of `length` bytes. */
  #grownCapacity(length: number): number {
    const capacity = this.#bytes.length;
    const need = this.#liveBytes + length;
    const least = Math.max(need + (need >>> 4), capacity + (capacity >>> 4));
    let next = Math.max(least, capacity + (capacity >>> 2));
    if (this.#records >= PROJECT_AFTER) {
      const projected = Math.ceil((need / (this.#records + 1)) * this.#size.entries * (17 / 16));
      next = Math.min(next, Math.max(least, projected));
    }
    return Math.min(this.#size.maxBytes, roundUp4(next));
  }

  /** Copy the live, unspent records in ring order to the start of a new buffer of `capacity` bytes. */
  #rebuild(capacity: number, now: number): void {
    const to = new Uint8Array(capacity);
    let at = this.#copyRecords(to, 0, this.#tail, this.#wrapped ? this.#end : this.#head, now);
    if (this.#wrapped) at = this.#copyRecords(to, at, 0, this.#head, now);
    this.#setBuffer(to);
    this.#tail = 0;
    this.#head = at;
    this.#end = 0;
    this.#wrapped = false;
  }

  /** Copy the live, unspent records in `[start, stop)` to `to` from `at`, a run at a time; returns the end. */
  #copyRecords(to: Uint8Array, at: number, start: number, stop: number, now: number): number {
    const from = this.#bytes;
    const words = this.#words;
    const owner = this.#owner;
    let runStart = start;
    let runAt = at;
    let pos = start;
    while (pos < stop) {
      const header = words[pos >>> 2]!;
      if (header >= 0 && !this.spent(pos + RECORD_HEADER, now)) {
        const length = owner.recordLength(header);
        owner.moved(header, at + RECORD_HEADER);
        at += length;
        pos += length;
        continue;
      }
      if (pos > runStart) to.set(from.subarray(runStart, pos), runAt);
      if (header < 0) {
        pos -= header;
      } else {
        const length = owner.recordLength(header);
        this.#liveBytes -= length;
        this.#records--;
        owner.dropped(header);
        pos += length;
      }
      runStart = pos;
      runAt = at;
    }
    if (pos > runStart) to.set(from.subarray(runStart, pos), runAt);
    return at;
  }
}
