/**
 * Response Buffers cut from shared slabs and filled a 32-bit word at a time, for rendering cached
 * answers. On Node 20 `Buffer#copy` and `set(subarray())` from the middle of an arena each allocate
 * a view per call, and a byte loop is slower than the native copy past about 100 bytes; a word loop
 * between two Int32Array views made once (one over the source, one over the slab) beats both at the
 * sizes of DNS answers and allocates nothing but the response Buffer.
 *
 * Every response starts at a multiple of 4 in its slab, and sources are word-aligned too, so both
 * views line up. Slabs are only ever bumped forward: a response never shares bytes with a later one,
 * and a full slab is left to the garbage collector once its responses are gone, as with the pool
 * behind `Buffer.allocUnsafe`. A response larger than half a slab gets an ArrayBuffer of its own.
 */

/** @default 64 KiB */
const DEFAULT_SLAB_SIZE = 64 * 1024;

export class ResponsePool {
  readonly #slabSize: number;
  #slab = new ArrayBuffer(0);
  #words = new Int32Array(0);
  #used = 0;

  /** `slabSize` is rounded up to a multiple of 4. */
  constructor(slabSize: number = DEFAULT_SLAB_SIZE) {
    this.#slabSize = (Math.max(64, slabSize) + 3) & ~3;
  }

  /**
   * A new Buffer of `length` bytes whose first `copyLength` (at most `length`) are `src`'s bytes from
   * byte `srcOffset`, a multiple of 4. `src` must hold `copyLength` rounded up to a multiple of 4
   * bytes from there; the bytes of the response past `copyLength` are left for the caller to write.
   */
  copy(src: Int32Array, srcOffset: number, copyLength: number, length: number): Buffer {
    const padded = (length + 3) & ~3;
    let slab: ArrayBuffer;
    let words: Int32Array;
    let at: number;
    if (padded > this.#slabSize >>> 1) {
      slab = new ArrayBuffer(padded);
      words = new Int32Array(slab);
      at = 0;
    } else {
      if (this.#used + padded > this.#slab.byteLength) {
        this.#slab = new ArrayBuffer(this.#slabSize);
        this.#words = new Int32Array(this.#slab);
        this.#used = 0;
      }
      slab = this.#slab;
      words = this.#words;
      at = this.#used;
      this.#used += padded;
    }
    let d = at >>> 2;
    let s = srcOffset >>> 2;
    const end = d + ((copyLength + 3) >>> 2);
    for (; d + 4 <= end; d += 4, s += 4) {
      words[d] = src[s]!;
      words[d + 1] = src[s + 1]!;
      words[d + 2] = src[s + 2]!;
      words[d + 3] = src[s + 3]!;
    }
    for (; d < end; d++, s++) words[d] = src[s]!;
    return Buffer.from(slab, at, length);
  }
}
