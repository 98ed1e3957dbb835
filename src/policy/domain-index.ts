/**
 * A compact index of domain suffixes that keeps no text: each domain is known by three independent
 * 32-bit hashes of its lowercase bytes, taken from its end, and the entries are typed arrays (the
 * three hashes, a set id) found through an open-addressing table keyed by the first hash. A lookup
 * hashes the queried name once, from its end, and probes each suffix at a label boundary.
 *
 * 96 bits of hash decide equality. Two different names are taken for one only when all three lanes
 * agree: for a name outside a list of n domains that is about n / 2^96 per probed suffix (1.3e-23 for
 * a million-domain list; a busy resolver makes some 10^12 probes a year), far below the rate of
 * memory errors. In exchange a million-domain list costs 21 MB (8 of table, 12 of hashes, 1 of set
 * ids) instead of 35 with the text, and a hit reads one entry instead of its offsets and its bytes.
 * The table's slots keep the first hash's spare high bits next to the entry number, to turn away
 * most wrong entries without reading them. No JavaScript object exists per domain.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/**
 * Seeds and odd multipliers of the second and third lanes. Their steps rotate after multiplying, so
 * high bits feed the low ones (FNV-1a's low bits depend on the characters' low bits alone) and the
 * lanes differ from FNV-1a and from each other in kind: over 262,144 names of one pattern
 * (`host<n>.example.com`, `<base36>.co.id`, random labels) each lane and each pair of half-lanes met
 * as many collisions as random 32-bit values would, and none where a pattern kept FNV-1a free of them.
 */
const LANE2_SEED = 0x6a09e667;
const LANE2_MULT = 0x2c1b3c6d;
const LANE3_SEED = 0xbb67ae85;
const LANE3_MULT = 0x297a2d39;
const DOT = 46;

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

export class DomainIndex {
  /** Entry i's three hashes at [3i, 3i + 3). */
  #hashes: Uint32Array = new Uint32Array(3 * 1024);
  /** As narrow as the number of sets allows: one byte each while there are at most 256 sets. */
  #setIds: Uint8Array | Uint16Array | Uint32Array = new Uint8Array(1024);
  #count = 0;
  /**
   * Slot -> entry index + 1 in the low `#idxBits` bits (0: empty), and above them a tag of the
   * first hash's high bits: a probe that meets another domain's slot is turned away by the tag,
   * without reading that domain's hashes (a cache miss in a large index).
   */
  #table: Int32Array = new Int32Array(2048);
  #mask = 2047;
  #idxBits = 11;
  /** Set id -> sorted list ids. Sets 0..n are created on demand; most entries use singletons. */
  readonly #sets: number[][] = [];
  readonly #setByKey = new Map<string, number>();

  /** Number of distinct domains. */
  get size(): number { return this.#count; }

  /** The list ids of set `setId`. */
  listsOf(setId: number): readonly number[] { return this.#sets[setId] ?? []; }

  /** Add a normalised (lowercase ASCII, no trailing dot) domain to list `listId`. */
  add(domain: string, listId: number): void {
    const bytes = Buffer.from(domain, 'latin1');
    this.addBytes(bytes, 0, bytes.length, listId);
  }

  /**
   * Add the domain in `bytes[start, end)` (ASCII, lowercased on the way in) to list `listId`.
   * Returns false when it was already in that list.
   */
  addBytes(bytes: Uint8Array, start: number, end: number, listId: number): boolean {
    if (end - start <= 0 || end - start > 253) return false;
    let h1 = FNV_OFFSET, h2 = LANE2_SEED, h3 = LANE3_SEED;
    for (let i = end - 1; i >= start; i--) {
      const c = lower(bytes[i]!);
      h1 = Math.imul(h1 ^ c, FNV_PRIME);
      h2 = Math.imul(h2 ^ c, LANE2_MULT);
      h2 = (h2 << 13) | (h2 >>> 19);
      h3 = Math.imul(h3 + c, LANE3_MULT);
      h3 = (h3 << 15) | (h3 >>> 17);
    }
    h1 >>>= 0; h2 >>>= 0; h3 >>>= 0;
    const found = this.#find(h1, h2, h3);
    if (found >= 0) {
      const set = this.#setIds[found]!;
      const merged = this.#setWith(set, listId);
      if (merged === set) return false;
      this.#widenSetIds();
      this.#setIds[found] = merged;
      return true;
    }
    const idx = this.#count++;
    this.#ensureCapacity();
    this.#hashes[3 * idx] = h1;
    this.#hashes[3 * idx + 1] = h2;
    this.#hashes[3 * idx + 2] = h3;
    const set = this.#singleton(listId);
    this.#widenSetIds();
    this.#setIds[idx] = set;
    if (this.#count * 2 > this.#table.length) this.#rehash(this.#table.length * 2);
    else this.#insertSlot(idx, h1);
    return true;
  }

  /** The entry with these hashes, or -1. */
  #find(h1: number, h2: number, h3: number): number {
    const m = mix(h1);
    const tag = m >>> (this.#idxBits + 1);
    const table = this.#table, hashes = this.#hashes, mask = this.#mask;
    let slot = m & mask;
    for (;;) {
      const e = table[slot]!;
      if (e === 0) return -1;
      const idx = (e & mask) - 1;
      if (e >>> this.#idxBits === tag && hashes[3 * idx] === h1 && hashes[3 * idx + 1] === h2 && hashes[3 * idx + 2] === h3) return idx;
      slot = (slot + 1) & mask;
    }
  }

  /**
   * Find every indexed suffix of `name` (case-insensitive, a trailing dot ignored), writing their set
   * ids to `out` from the shortest suffix to the longest (most specific last). Returns how many.
   * Returns -1 when `name` has a non-ASCII character: look it up again in punycode.
   */
  lookup(name: string, out: Uint32Array): number {
    let end = name.length;
    if (end > 0 && name.charCodeAt(end - 1) === DOT) end--;
    if (end === 0 || this.#count === 0) return 0;
    let h1 = FNV_OFFSET, h2 = LANE2_SEED, h3 = LANE3_SEED;
    let found = 0;
    for (let i = end - 1; i >= 0; i--) {
      let c = name.charCodeAt(i);
      if (c > 127) return -1;
      if (c >= 65 && c <= 90) c += 32;
      h1 = Math.imul(h1 ^ c, FNV_PRIME);
      h2 = Math.imul(h2 ^ c, LANE2_MULT);
      h2 = (h2 << 13) | (h2 >>> 19);
      h3 = Math.imul(h3 + c, LANE3_MULT);
      h3 = (h3 << 15) | (h3 >>> 17);
      if (i !== 0 && name.charCodeAt(i - 1) !== DOT) continue;
      if (end - i > 253) break;
      const idx = this.#find(h1 >>> 0, h2 >>> 0, h3 >>> 0);
      if (idx >= 0 && found < out.length) out[found++] = this.#setIds[idx]!;
    }
    return found;
  }

  readonly #singletons: number[] = [];

  #singleton(listId: number): number {
    let id = this.#singletons[listId];
    if (id === undefined) {
      id = this.#setFor([listId]);
      this.#singletons[listId] = id;
    }
    return id;
  }

  #setWith(setId: number, listId: number): number {
    const lists = this.#sets[setId]!;
    if (lists.includes(listId)) return setId;
    return this.#setFor([...lists, listId].sort((a, b) => a - b));
  }

  #setFor(lists: number[]): number {
    const key = lists.join(',');
    let id = this.#setByKey.get(key);
    if (id === undefined) {
      id = this.#sets.length;
      this.#sets.push(lists);
      this.#setByKey.set(key, id);
    }
    return id;
  }

  #ensureCapacity(): void {
    if (this.#count <= this.#setIds.length) return;
    this.#resize(Math.max(1024, this.#setIds.length * 2));
  }

  /** Give room for `capacity` entries (at least the current ones). */
  #resize(capacity: number): void {
    const hashes = new Uint32Array(3 * capacity);
    hashes.set(this.#hashes.subarray(0, 3 * this.#count));
    this.#hashes = hashes;
    const setIds = new (this.#setIds.constructor as typeof Uint32Array)(capacity);
    setIds.set(this.#setIds.subarray(0, this.#count));
    this.#setIds = setIds;
  }

  /** Switch to wider set ids once the newest set id no longer fits. */
  #widenSetIds(): void {
    const top = this.#sets.length - 1;
    const ids = this.#setIds;
    if (ids instanceof Uint32Array || (ids instanceof Uint16Array ? top <= 0xffff : top <= 0xff)) return;
    const wider = top <= 0xffff ? new Uint16Array(ids.length) : new Uint32Array(ids.length);
    wider.set(ids);
    this.#setIds = wider;
  }

  #insertSlot(idx: number, h1: number): void {
    const m = mix(h1);
    let slot = m & this.#mask;
    while (this.#table[slot] !== 0) slot = (slot + 1) & this.#mask;
    this.#table[slot] = ((m >>> (this.#idxBits + 1)) << this.#idxBits) | (idx + 1);
  }

  #rehash(size: number): void {
    this.#table = new Int32Array(size);
    this.#mask = size - 1;
    this.#idxBits = 31 - Math.clz32(size);
    for (let i = 0; i < this.#count; i++) this.#insertSlot(i, this.#hashes[3 * i]!);
  }

  /** Make room for `extra` more domains, so loading does not regrow. */
  reserve(extra: number): void {
    const want = this.#count + extra;
    if (want > this.#setIds.length) this.#resize(want);
    let size = this.#table.length;
    while (want * 2 > size) size *= 2;
    if (size !== this.#table.length) this.#rehash(size);
  }

  /**
   * Release spare capacity once loading is done. The arrays move to shared memory on the way, so
   * that {@link parts} can hand them to other threads without copying.
   */
  compact(): void {
    this.#hashes = sharedCopy(this.#hashes.subarray(0, 3 * this.#count), Uint32Array);
    const ids = this.#setIds;
    this.#setIds = ids instanceof Uint8Array ? sharedCopy(ids.subarray(0, this.#count), Uint8Array)
      : ids instanceof Uint16Array ? sharedCopy(ids.subarray(0, this.#count), Uint16Array)
        : sharedCopy(ids.subarray(0, this.#count), Uint32Array);
    this.#table = sharedCopy(this.#table, Int32Array);
  }

  /**
   * The index as plain values whose arrays live in shared memory (after {@link compact}): posting
   * them to a worker thread shares the memory instead of copying it. {@link fromParts} rebuilds an
   * index over them; neither side may add to it afterwards.
   */
  parts(): DomainIndexParts {
    this.compact();
    return { hashes: this.#hashes, setIds: this.#setIds, count: this.#count, table: this.#table, sets: this.#sets.map((s) => [...s]) };
  }

  /** An index over `parts` (from {@link parts}, possibly in another thread). */
  static fromParts(parts: DomainIndexParts): DomainIndex {
    const index = new DomainIndex();
    index.#hashes = parts.hashes;
    index.#setIds = parts.setIds;
    index.#count = parts.count;
    index.#table = parts.table;
    index.#mask = parts.table.length - 1;
    index.#idxBits = 31 - Math.clz32(parts.table.length);
    for (const lists of parts.sets) {
      index.#setByKey.set(lists.join(','), index.#sets.length);
      index.#sets.push(lists);
    }
    return index;
  }
}

/** What {@link DomainIndex.parts} returns: structured-cloneable, the arrays on shared memory. */
export interface DomainIndexParts {
  hashes: Uint32Array;
  setIds: Uint8Array | Uint16Array | Uint32Array;
  count: number;
  table: Int32Array;
  sets: number[][];
}

type TypedArrayOf<T> = { new (buffer: SharedArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

/** A copy of `source` on a SharedArrayBuffer (returned as is when it is on one already and exact). */
function sharedCopy<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(source: T, Kind: TypedArrayOf<T>): T {
  if (source.buffer instanceof SharedArrayBuffer && source.byteOffset === 0 && source.byteLength === source.buffer.byteLength) return source;
  const out = new Kind(new SharedArrayBuffer(Math.max(1, source.length) * Kind.BYTES_PER_ELEMENT), 0, source.length);
  (out as Uint8Array).set(source as Uint8Array);
  return out;
}
