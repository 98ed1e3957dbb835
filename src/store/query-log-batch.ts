import type { QueryAction, QueryLogEntry } from './types.js';

/**
 * The one format in which query-log entries travel from every DNS thread (the main thread's and the
 * extra ones of `dns.workers`) to the writer thread: one ArrayBuffer per batch, transferred (not
 * copied). Low-cardinality strings (type, service, rule, exemption, rcode, upstream) become small
 * integer codes of the batch's own dictionary, which travels with it: a batch is decoded from
 * itself alone, so no two threads have to agree on a dictionary, and a writer that restarts, or a
 * batch from another encoder, cannot read a code with the wrong words. (Each batch's dictionary is a
 * few dozen words; when two dictionaries lived on two threads and learned words batch by batch, one
 * word shipped twice shifted every later code, and blocked rows read `TYPE NXDOMAIN`.) Clients and
 * names are too many to intern here: the batch keeps the caller's strings (no copy, no hashing) and
 * joins them into one string when it is handed over, with their lengths in the buffer. `encode`
 * thus allocates nothing and costs a few array stores and map lookups.
 */

/** Storage codes of the actions; stable (they are in the database). The common one is 0. */
export const ACTION_CODES: Readonly<Record<QueryAction, number>> = { allow: 0, block: 1, refused: 2, ratelimited: 3, error: 4, monitor: 5 };
export const ACTIONS_BY_CODE: readonly QueryAction[] = ['allow', 'block', 'refused', 'ratelimited', 'error', 'monitor'];

/** {@link ACTION_CODES} as comparisons, which beat a keyed lookup on the hot path. */
function actionCode(a: QueryAction): number {
  return a === 'allow' ? 0 : a === 'block' ? 1 : a === 'refused' ? 2 : a === 'ratelimited' ? 3 : a === 'error' ? 4 : 5;
}

/** Per-entry slots in `codes`, in this order. */
export const STRING_FIELDS = 6;
export const FIELD_TYPE = 0;
export const FIELD_SERVICE = 1;
export const FIELD_RULE = 2;
export const FIELD_EXEMPTION = 3;
export const FIELD_RCODE = 4;
export const FIELD_UPSTREAM = 5;
/** `codes` value of a null string. */
export const NO_STRING = -1;
/** Bit in `flags` (the low three bits hold the action code). */
export const FLAG_CACHED = 8;

/** Typed views over one batch buffer. */
export interface BatchViews {
  readonly buffer: ArrayBuffer;
  readonly time: Float64Array;
  readonly latency: Float64Array;
  readonly codes: Int32Array;
  /** UTF-16 lengths of each entry's client, then its name, within the batch's joined `text`. */
  readonly lengths: Uint32Array;
  readonly flags: Uint8Array;
}

/** Bytes of a batch buffer for `capacity` entries. */
export function batchByteLength(capacity: number): number {
  return capacity * (8 + 8 + 4 * STRING_FIELDS + 4 * 2 + 1);
}

/** Views over `buffer`, laid out for `capacity` entries (widest elements first, so each is aligned). */
export function batchViews(buffer: ArrayBuffer, capacity: number): BatchViews {
  let at = 0;
  const next = (bytes: number): number => {
    const offset = at;
    at += bytes;
    return offset;
  };
  return {
    buffer,
    time: new Float64Array(buffer, next(8 * capacity), capacity),
    latency: new Float64Array(buffer, next(8 * capacity), capacity),
    codes: new Int32Array(buffer, next(4 * capacity * STRING_FIELDS), capacity * STRING_FIELDS),
    lengths: new Uint32Array(buffer, next(8 * capacity), capacity * 2),
    flags: new Uint8Array(buffer, next(capacity), capacity),
  };
}

/** A batch ready to hand to the writer: everything needed to decode it is in it. */
export interface EncodedBatch {
  buffer: ArrayBuffer;
  /** Entries the buffer is laid out for (see {@link batchViews}). */
  capacity: number;
  count: number;
  /** Every entry's client then name, joined. */
  text: string;
  /** The batch's dictionary: code -> word, for every code its entries use. */
  strings: string[];
}

export interface BatchEncoderOptions {
  /** Entries per batch. */
  capacity: number;
  /**
   * Dictionary words a batch holds at most: a batch whose dictionary reaches it is full. It holds
   * types, services, rules, exemptions, rcodes and upstreams, a few dozen words; the bound matters
   * only when one of them churns (random `TYPE<n>` queries). @default 4096
   */
  maxStrings?: number | undefined;
}

/** Fills batches from entries; see the module comment. */
export class BatchEncoder {
  readonly capacity: number;
  readonly #maxStrings: number;
  /** The open batch's dictionary: word -> code, and code -> word. */
  readonly #codes = new Map<string, number>();
  #strings: string[] = [];
  #views: BatchViews | null = null;
  #count = 0;
  /** Client and name of each entry, held until the batch is handed over. */
  readonly #text: string[];
  readonly #spare: ArrayBuffer[] = [];
  /** Per field, the last word coded in the open batch and its code. */
  readonly #lastWord: (string | null)[] = new Array<string | null>(STRING_FIELDS).fill(null);
  readonly #lastCode = new Int32Array(STRING_FIELDS);

  constructor(options: BatchEncoderOptions) {
    this.capacity = Math.max(1, Math.floor(options.capacity));
    // Room for one entry's words past the bound: an entry is never split across dictionaries.
    this.#maxStrings = Math.max(1, Math.floor(options.maxStrings ?? 4096));
    this.#text = new Array<string>(this.capacity * 2).fill('');
  }

  /** Entries in the open batch. */
  get count(): number {
    return this.#count;
  }

  /**
   * Add `e` to the open batch. False (and nothing written) when the batch is full, by its capacity
   * or its dictionary's bound: `take()` it and call again, which then succeeds. Never false for an
   * empty batch.
   */
  encode(e: QueryLogEntry): boolean {
    const i = this.#count;
    if (i >= this.capacity || this.#strings.length >= this.#maxStrings) return false;
    const v = this.#views ?? this.#open();
    const client = typeof e.client === 'string' ? e.client : '';
    const name = typeof e.name === 'string' ? e.name : '';
    this.#text[2 * i] = client;
    this.#text[2 * i + 1] = name;
    v.lengths[2 * i] = client.length;
    v.lengths[2 * i + 1] = name.length;
    v.time[i] = e.time;
    v.latency[i] = e.latencyMs;
    v.flags[i] = actionCode(e.action) | (e.cached ? FLAG_CACHED : 0);
    const codes = v.codes;
    const c = i * STRING_FIELDS;
    codes[c + FIELD_TYPE] = this.#code(e.type, FIELD_TYPE);
    codes[c + FIELD_SERVICE] = this.#code(e.service, FIELD_SERVICE);
    codes[c + FIELD_RULE] = this.#code(e.rule, FIELD_RULE);
    codes[c + FIELD_EXEMPTION] = this.#code(e.exemption, FIELD_EXEMPTION);
    codes[c + FIELD_RCODE] = this.#code(e.rcode, FIELD_RCODE);
    codes[c + FIELD_UPSTREAM] = this.#code(e.upstream, FIELD_UPSTREAM);
    this.#count = i + 1;
    return true;
  }

  /** Close the open batch and hand it over, or null when it is empty. The next batch starts a new dictionary. */
  take(): EncodedBatch | null {
    const v = this.#views;
    if (v === null || this.#count === 0) return null;
    const n = this.#count;
    const text = this.#text;
    const batch: EncodedBatch = {
      buffer: v.buffer, capacity: this.capacity, count: n,
      text: (n === this.capacity ? text : text.slice(0, 2 * n)).join(''), strings: this.#strings,
    };
    // Keep no caller's string alive past the hand-over.
    text.fill('', 0, 2 * n);
    this.#lastWord.fill(null);
    this.#codes.clear();
    this.#strings = [];
    this.#views = null;
    this.#count = 0;
    return batch;
  }

  /** Take back a buffer the writer is done with, for a later batch. */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === batchByteLength(this.capacity) && this.#spare.length < 4) this.#spare.push(buffer);
  }

  #open(): BatchViews {
    const buffer = this.#spare.pop() ?? new ArrayBuffer(batchByteLength(this.capacity));
    this.#views = batchViews(buffer, this.capacity);
    return this.#views;
  }

  #code(s: string | null, field: number): number {
    if (typeof s !== 'string') return NO_STRING;
    // Most fields repeat the same string object from one entry to the next: compare before hashing.
    if (s === this.#lastWord[field]) return this.#lastCode[field] ?? NO_STRING;
    let known = this.#codes.get(s);
    if (known === undefined) {
      known = this.#strings.length;
      this.#strings.push(s);
      this.#codes.set(s, known);
    }
    this.#lastWord[field] = s;
    this.#lastCode[field] = known;
    return known;
  }
}

/**
 * Why `batch` cannot be decoded as it came (from another thread, so not trusted to be well formed),
 * or null when it can: a buffer laid out for its capacity, text as long as its lengths say, and every
 * code a word of its own dictionary (type and rcode always one). A batch with a problem is refused
 * whole: no row of it is ever written with words it did not mean.
 */
export function batchProblem(batch: EncodedBatch): string | null {
  const { buffer, capacity, count, strings, text } = batch;
  if (!Number.isInteger(capacity) || capacity < 1) return `invalid capacity ${String(capacity)}`;
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength !== batchByteLength(capacity)) return `buffer is not laid out for ${capacity} entries`;
  if (!Number.isInteger(count) || count < 0 || count > capacity) return `invalid entry count ${String(count)}`;
  if (typeof text !== 'string') return 'text is not a string';
  if (!Array.isArray(strings) || !strings.every((s) => typeof s === 'string')) return 'dictionary is not a list of words';
  const v = batchViews(buffer, capacity);
  let length = 0;
  for (let i = 0; i < 2 * count; i++) length += v.lengths[i] ?? 0;
  if (length !== text.length) return `text has ${text.length} characters, its entries ${length}`;
  const words = strings.length;
  for (let i = 0; i < count; i++) {
    if (((v.flags[i] ?? 0) & 7) >= ACTIONS_BY_CODE.length) return `entry ${i}: unknown action code ${(v.flags[i] ?? 0) & 7}`;
    const c = i * STRING_FIELDS;
    for (let f = 0; f < STRING_FIELDS; f++) {
      const code = v.codes[c + f] ?? NO_STRING;
      const required = f === FIELD_TYPE || f === FIELD_RCODE;
      if (code < (required ? 0 : NO_STRING) || code >= words) return `entry ${i}: word code ${code} of field ${f} is not in the batch's ${words}-word dictionary`;
    }
  }
  return null;
}
