import type { QueryAction, QueryLogEntry } from './types.js';

/**
 * The columnar batch in which query-log entries travel from the DNS thread to the writer thread: one
 * ArrayBuffer per batch, transferred (not copied) both ways and reused. Low-cardinality strings
 * (type, service, rule, exemption, rcode, upstream) become small integer codes of a per-process
 * dictionary whose new words ride along with the batch that first uses them. Clients and names are
 * too many to intern here: the batch keeps the caller's strings (no copy, no hashing) and joins them
 * into one string when it is handed over, with their lengths in the buffer. `append` thus allocates
 * nothing and costs a few array stores and map lookups.
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

/** A batch ready to hand to the writer. */
export interface EncodedBatch {
  buffer: ArrayBuffer;
  count: number;
  /** Every entry's client then name, joined. */
  text: string;
  /** Dictionary words first used by this batch, in code order. */
  strings: string[];
  /** The dictionary starts over after this batch (it reached its bound). */
  resetStrings: boolean;
}

export interface BatchEncoderOptions {
  /** Entries per batch. */
  capacity: number;
  /**
   * Dictionary words before it starts over. It holds types, services, rules, exemptions, rcodes and
   * upstreams, a few dozen words; the bound matters only when one of them churns (random `TYPE<n>`
   * queries), and keeps the copies on both threads to a few hundred KB. @default 4096
   */
  maxStrings?: number | undefined;
}

/** Fills batches from entries; see the module comment. */
export class BatchEncoder {
  readonly capacity: number;
  readonly #maxStrings: number;
  readonly #codes = new Map<string, number>();
  #strings: string[] = [];
  /** Words handed out with earlier batches of this dictionary generation. */
  #shipped = 0;
  #resetPending = false;
  #views: BatchViews | null = null;
  #count = 0;
  /** Client and name of each entry, held until the batch is handed over. */
  readonly #text: string[];
  readonly #spare: ArrayBuffer[] = [];
  /** Per field, the last word coded and its code. */
  readonly #lastWord: (string | null)[] = new Array<string | null>(STRING_FIELDS).fill(null);
  readonly #lastCode = new Int32Array(STRING_FIELDS);

  constructor(options: BatchEncoderOptions) {
    this.capacity = Math.max(1, Math.floor(options.capacity));
    this.#maxStrings = options.maxStrings ?? 4096;
    this.#text = new Array<string>(this.capacity * 2).fill('');
  }

  /** Entries in the open batch. */
  get count(): number {
    return this.#count;
  }

  /** The words a fresh writer must learn before the next batch: those handed out so far. */
  shippedStrings(): string[] {
    return this.#strings.slice(0, this.#shipped);
  }

  /**
   * Add `e` to the open batch. False (and nothing written) when the batch is full or its dictionary
   * must start over: `take()` it and call again, which then succeeds. Never false for an empty batch.
   */
  encode(e: QueryLogEntry): boolean {
    const i = this.#count;
    if (i >= this.capacity || this.#resetPending) return false;
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

  /** Close the open batch and hand it over, or null when it is empty. */
  take(): EncodedBatch | null {
    const v = this.#views;
    if (v === null || this.#count === 0) return null;
    const n = this.#count;
    const text = this.#text;
    const batch: EncodedBatch = {
      buffer: v.buffer, count: n, text: (n === this.capacity ? text : text.slice(0, 2 * n)).join(''),
      strings: this.#strings.slice(this.#shipped), resetStrings: this.#resetPending,
    };
    // Keep no caller's string alive past the hand-over.
    text.fill('', 0, 2 * n);
    this.#shipped = this.#strings.length;
    if (this.#resetPending) {
      this.#lastWord.fill(null);
      this.#codes.clear();
      this.#strings = [];
      this.#shipped = 0;
      this.#resetPending = false;
    }
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
    if (known === undefined) known = this.#add(s);
    this.#lastWord[field] = s;
    this.#lastCode[field] = known;
    return known;
  }

  #add(s: string): number {
    const code = this.#strings.length;
    this.#strings.push(s);
    this.#codes.set(s, code);
    // Start over after this batch, never inside it: its codes must all belong to one generation.
    if (code + 1 >= this.#maxStrings) this.#resetPending = true;
    return code;
  }
}
