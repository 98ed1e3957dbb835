/**
 * A compact index of domain suffixes: one byte buffer holds every domain, typed arrays hold the
 * offsets and set ids, and an open-addressing table finds an entry by the hash of its text. Neither
 * hashes nor lengths are stored beside the entries: a length is the gap between two offsets (domains
 * are appended in entry order), a rehash recomputes each hash from the bytes, and the table's slots
 * keep the hash's spare high bits next to the entry number, to turn away most wrong entries unread.
 * No JavaScript object exists per domain, so a million-domain list costs tens of megabytes, and a
 * lookup hashes the queried name once, from its end, probing each suffix at a label boundary.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
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
  #data: Uint8Array = new Uint8Array(1 << 16);
  #dataLength = 0;
  /** Entry i spans data[offsets[i], offsets[i + 1]); one slot more than entries. */
  #offsets: Uint32Array = new Uint32Array(1025);
  /** As narrow as the number of sets allows: one byte each while there are at most 256 sets. */
  #setIds: Uint8Array | Uint16Array | Uint32Array = new Uint8Array(1024);
  #count = 0;
  /**
   * Slot -> entry index + 1 in the low `#idxBits` bits (0: empty), and above them a tag of the
   * hash's high bits: a probe that meets another domain's slot is turned away by the tag, without
   * reading that domain's offsets and bytes (two cache misses each in a large index).
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
    const length = end - start;
    if (length <= 0 || length > 253) return false;
    let h = FNV_OFFSET;
    for (let i = end - 1; i >= start; i--) h = Math.imul(h ^ lower(bytes[i]!), FNV_PRIME);
    h >>>= 0;
    const m = mix(h);
    const tag = m >>> (this.#idxBits + 1);
    let slot = m & this.#mask;
    for (;;) {
      const e = this.#table[slot]!;
      if (e === 0) break;
      const idx = (e & this.#mask) - 1;
      if (e >>> this.#idxBits === tag && this.#offsets[idx + 1]! - this.#offsets[idx]! === length && this.#equalBytes(idx, bytes, start)) {
        const set = this.#setIds[idx]!;
        const merged = this.#setWith(set, listId);
        if (merged === set) return false;
        this.#widenSetIds();
        this.#setIds[idx] = merged;
        return true;
      }
      slot = (slot + 1) & this.#mask;
    }
    const idx = this.#count++;
    this.#ensureCapacity();
    if (this.#dataLength + length > this.#data.length) {
      const grown = new Uint8Array(Math.max(this.#data.length * 2, this.#dataLength + length));
      grown.set(this.#data.subarray(0, this.#dataLength));
      this.#data = grown;
    }
    const off = this.#dataLength;
    for (let i = 0; i < length; i++) this.#data[off + i] = lower(bytes[start + i]!);
    this.#dataLength += length;
    this.#offsets[idx + 1] = off + length;
    const set = this.#singleton(listId);
    this.#widenSetIds();
    this.#setIds[idx] = set;
    if (this.#count * 2 > this.#table.length) this.#rehash(this.#table.length * 2);
    else this.#insertSlot(idx, h);
    return true;
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
    let h = FNV_OFFSET;
    let found = 0;
    for (let i = end - 1; i >= 0; i--) {
      const c = name.charCodeAt(i);
      if (c > 127) return -1;
      h = Math.imul(h ^ (c >= 65 && c <= 90 ? c + 32 : c), FNV_PRIME);
      if (i !== 0 && name.charCodeAt(i - 1) !== DOT) continue;
      const length = end - i;
      if (length > 253) break;
      const m = mix(h >>> 0);
      const tag = m >>> (this.#idxBits + 1);
      let slot = m & this.#mask;
      for (;;) {
        const e = this.#table[slot]!;
        if (e === 0) break;
        const idx = (e & this.#mask) - 1;
        if (e >>> this.#idxBits === tag && this.#offsets[idx + 1]! - this.#offsets[idx]! === length && this.#equalString(idx, name, i)) {
          if (found < out.length) out[found++] = this.#setIds[idx]!;
          break;
        }
        slot = (slot + 1) & this.#mask;
      }
    }
    return found;
  }

  #equalBytes(idx: number, bytes: Uint8Array, start: number): boolean {
    const off = this.#offsets[idx]!;
    const len = this.#offsets[idx + 1]! - off;
    for (let i = 0; i < len; i++) if (this.#data[off + i] !== lower(bytes[start + i]!)) return false;
    return true;
  }

  #equalString(idx: number, name: string, start: number): boolean {
    const off = this.#offsets[idx]!;
    const len = this.#offsets[idx + 1]! - off;
    for (let i = 0; i < len; i++) if (this.#data[off + i] !== lower(name.charCodeAt(start + i))) return false;
    return true;
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
    const offsets = new Uint32Array(capacity + 1);
    offsets.set(this.#offsets.subarray(0, this.#count + 1));
    this.#offsets = offsets;
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

  #hashOf(idx: number): number {
    const data = this.#data;
    const off = this.#offsets[idx]!;
    let h = FNV_OFFSET;
    for (let i = this.#offsets[idx + 1]! - 1; i >= off; i--) h = Math.imul(h ^ data[i]!, FNV_PRIME);
    return h >>> 0;
  }

  #insertSlot(idx: number, hash: number): void {
    const m = mix(hash);
    let slot = m & this.#mask;
    while (this.#table[slot] !== 0) slot = (slot + 1) & this.#mask;
    this.#table[slot] = ((m >>> (this.#idxBits + 1)) << this.#idxBits) | (idx + 1);
  }

  #rehash(size: number): void {
    this.#table = new Int32Array(size);
    this.#mask = size - 1;
    this.#idxBits = 31 - Math.clz32(size);
    for (let i = 0; i < this.#count; i++) this.#insertSlot(i, this.#hashOf(i));
  }

  /** Make room for `extra` more domains of about `bytes` bytes in all, so loading does not regrow. */
  reserve(extra: number, bytes: number): void {
    const want = this.#count + extra;
    if (want > this.#setIds.length) this.#resize(want);
    if (this.#dataLength + bytes > this.#data.length) {
      const grown = new Uint8Array(this.#dataLength + bytes);
      grown.set(this.#data.subarray(0, this.#dataLength));
      this.#data = grown;
    }
    let size = this.#table.length;
    while (want * 2 > size) size *= 2;
    if (size !== this.#table.length) this.#rehash(size);
  }

  /**
   * Release spare capacity once loading is done. The arrays move to shared memory on the way, so
   * that {@link parts} can hand them to other threads without copying.
   */
  compact(): void {
    this.#data = sharedCopy(this.#data.subarray(0, this.#dataLength), Uint8Array);
    this.#offsets = sharedCopy(this.#offsets.subarray(0, this.#count + 1), Uint32Array);
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
    return {
      data: this.#data, dataLength: this.#dataLength, offsets: this.#offsets, setIds: this.#setIds,
      count: this.#count, table: this.#table, sets: this.#sets.map((s) => [...s]),
    };
  }

  /** An index over `parts` (from {@link parts}, possibly in another thread). */
  static fromParts(parts: DomainIndexParts): DomainIndex {
    const index = new DomainIndex();
    index.#data = parts.data;
    index.#dataLength = parts.dataLength;
    index.#offsets = parts.offsets;
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
  data: Uint8Array;
  dataLength: number;
  offsets: Uint32Array;
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
