/**
 * An open-addressing hash table from a non-zero 32-bit key to two 32-bit values, in three typed
 * arrays: 12 bytes a slot and no object per entry, so that millions of answers cost tens of
 * megabytes rather than hundreds. Linear probing with backward-shift deletion (no tombstones); the
 * capacity need not be a power of two, so a table grows by half and stays at most 80 % full.
 */

const MAX_LOAD = 0.8;
const MIN_CAPACITY = 4;

function home(key: number, capacity: number): number {
  // Fibonacci hashing spreads sequential ids; the high bits scale into any capacity.
  return Math.floor(((Math.imul(key, 0x9e3779b1) >>> 0) / 4294967296) * capacity);
}

export class SlotTable {
  /** 0 marks an empty slot, so keys are never 0. */
  #keys: Uint32Array;
  #a: Uint32Array;
  #b: Uint32Array;
  #size = 0;

  constructor(capacity = MIN_CAPACITY) {
    const c = Math.max(MIN_CAPACITY, Math.ceil(capacity));
    this.#keys = new Uint32Array(c);
    this.#a = new Uint32Array(c);
    this.#b = new Uint32Array(c);
  }

  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#keys.length;
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    return this.#keys.length * 12;
  }

  /** The slot holding `key`, or -1. */
  find(key: number): number {
    const keys = this.#keys;
    const cap = keys.length;
    let i = home(key, cap);
    for (;;) {
      const k = keys[i]!;
      if (k === key) return i;
      if (k === 0) return -1;
      if (++i === cap) i = 0;
    }
  }

  /** The slot for `key`, inserting it with both values 0 when absent (check {@link keyAt} first). */
  slotFor(key: number): number {
    if ((this.#size + 1) > this.#keys.length * MAX_LOAD) this.#resize(Math.ceil(this.#keys.length * 1.5) + 1);
    const keys = this.#keys;
    const cap = keys.length;
    let i = home(key, cap);
    for (;;) {
      const k = keys[i]!;
      if (k === key) return i;
      if (k === 0) {
        keys[i] = key;
        this.#a[i] = 0;
        this.#b[i] = 0;
        this.#size++;
        return i;
      }
      if (++i === cap) i = 0;
    }
  }

  keyAt(slot: number): number {
    return this.#keys[slot]!;
  }

  aAt(slot: number): number {
    return this.#a[slot]!;
  }

  bAt(slot: number): number {
    return this.#b[slot]!;
  }

  setAt(slot: number, a: number, b: number): void {
    this.#a[slot] = a;
    this.#b[slot] = b;
  }

  /**
   * Empty `slot`. Entries after it in the same probe run move back, so a slot visited later in an
   * ascending scan may now hold a moved entry: scans that delete should re-check the same slot.
   */
  removeAt(slot: number): void {
    const keys = this.#keys;
    const cap = keys.length;
    let hole = slot;
    let j = slot;
    for (;;) {
      if (++j === cap) j = 0;
      const k = keys[j]!;
      if (k === 0) break;
      const h = home(k, cap);
      // The entry at j may fill the hole only if its home is not cyclically within (hole, j].
      const reachable = hole <= j ? hole < h && h <= j : hole < h || h <= j;
      if (reachable) continue;
      keys[hole] = k;
      this.#a[hole] = this.#a[j]!;
      this.#b[hole] = this.#b[j]!;
      hole = j;
    }
    keys[hole] = 0;
    this.#size--;
  }

  /** Shrink after many removals, so a client that once had many answers does not keep the room. */
  compact(): void {
    if (this.#keys.length > MIN_CAPACITY * 2 && this.#size < this.#keys.length / 4) {
      this.#resize(Math.ceil(this.#size / 0.5));
    }
  }

  #resize(capacity: number): void {
    const keys = this.#keys;
    const a = this.#a;
    const b = this.#b;
    const c = Math.max(MIN_CAPACITY, capacity);
    this.#keys = new Uint32Array(c);
    this.#a = new Uint32Array(c);
    this.#b = new Uint32Array(c);
    this.#size = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k === 0) continue;
      const s = this.slotFor(k);
      this.#a[s] = a[i]!;
      this.#b[s] = b[i]!;
    }
  }
}
