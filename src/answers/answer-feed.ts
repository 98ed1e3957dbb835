/**
 * The DNS threads' side of the answer index: after each A or AAAA answer the query handler appends
 * the response as sent (client, question name, service, time and the bytes): a copy and a few
 * stores into arrays allocated once, nothing else; an answer that repeats one appended moments
 * ago (a cache hit for a name the client just asked, see {@link RepeatFilter}) not even that.
 * Reading the addresses out of the responses happens later, in the main thread, a batch at a time.
 * A feed not taken in time stops at `maxAnswers` answers or `maxBytes` bytes and counts what it drops.
 */
import { RepeatFilter, type RepeatFilterOptions } from './repeat-filter.js';

/** A batch of answers in transit from a DNS thread to the index: `ends[i]` is where response i ends
 *  in `bytes` (it starts where response i-1 ends). */
export interface AnswerBatchData {
  bytes: Uint8Array;
  ends: Uint32Array;
  times: Float64Array;
  clients: string[];
  names: string[];
  services: (string | null)[];
}

/** One answer of a feed or batch: the response is `bytes[start, end)`. */
export type AnswerVisitor = (client: string, name: string, service: string | null, bytes: Uint8Array, start: number, end: number, time: number) => void;

/** Hand each answer of `batch` to `each`. */
export function forEachAnswer(batch: AnswerBatchData, each: AnswerVisitor): void {
  let start = 0;
  for (let i = 0; i < batch.ends.length; i++) {
    const end = batch.ends[i]!;
    each(batch.clients[i]!, batch.names[i]!, batch.services[i] ?? null, batch.bytes, start, end, batch.times[i]!);
    start = end;
  }
}

export interface AnswerFeedOptions {
  /** Answers held before appends are dropped. @default 8192 */
  maxAnswers?: number;
  /** Bytes of responses held before appends are dropped. @default 2097152 */
  maxBytes?: number;
  /** The filter of repeated answers ({ slots: 0 } turns it off). */
  repeats?: RepeatFilterOptions;
}

export class AnswerFeed {
  readonly #bytes: Uint8Array;
  readonly #ends: Uint32Array;
  readonly #times: Float64Array;
  readonly #clients: string[];
  readonly #names: string[];
  readonly #services: (string | null)[];
  #used = 0;
  #size = 0;
  readonly #repeats: RepeatFilter;
  /** Answers not kept because the feed was full. */
  dropped = 0;

  constructor(options: AnswerFeedOptions = {}) {
    const answers = options.maxAnswers ?? 8192;
    this.#repeats = new RepeatFilter(options.repeats);
    this.#bytes = new Uint8Array(options.maxBytes ?? 2 * 1024 * 1024);
    this.#ends = new Uint32Array(answers);
    this.#times = new Float64Array(answers);
    // Filled, so the arrays stay packed and of one element kind.
    this.#clients = new Array<string>(answers).fill('');
    this.#names = new Array<string>(answers).fill('');
    this.#services = new Array<string | null>(answers).fill(null);
  }

  /** Answers not appended because they repeated one appended moments before. */
  get repeated(): number {
    return this.#repeats.repeats;
  }

  /** Answers waiting to be taken. */
  get size(): number {
    return this.#size;
  }

  /**
   * Append one answer: `response` is the message sent to `client` for `name` at `time`. True when it
   * was appended; false when it had no records, repeated one appended moments before, or the feed was full.
   */
  push(client: string, name: string, service: string | null, response: Uint8Array, time: number): boolean {
    // No answer records (NODATA): nothing to index.
    if (response[6] === 0 && response[7] === 0) return false;
    if (this.#repeats.isRepeat(client, name, service, response, time)) return false;
    const end = this.#used + response.length;
    const i = this.#size;
    if (end > this.#bytes.length || i === this.#ends.length) {
      this.dropped++;
      return false;
    }
    this.#bytes.set(response, this.#used);
    this.#used = end;
    this.#ends[i] = end;
    this.#times[i] = time;
    this.#clients[i] = client;
    this.#names[i] = name;
    this.#services[i] = service;
    this.#size = i + 1;
    return true;
  }

  /**
   * Hand each answer appended since the last take to `each`, in place, and empty the feed: for a
   * reader on the feed's own thread, which needs no copy (the main thread's DNS server).
   */
  drain(each: AnswerVisitor): void {
    let start = 0;
    const n = this.#size;
    for (let i = 0; i < n; i++) {
      const end = this.#ends[i]!;
      each(this.#clients[i]!, this.#names[i]!, this.#services[i]!, this.#bytes, start, end, this.#times[i]!);
      start = end;
    }
    this.#used = 0;
    this.#size = 0;
  }

  /** The answers appended since the last take (copied out), or null when there are none. */
  take(): AnswerBatchData | null {
    const n = this.#size;
    if (n === 0) return null;
    const batch: AnswerBatchData = {
      bytes: this.#bytes.slice(0, this.#used),
      ends: this.#ends.slice(0, n),
      times: this.#times.slice(0, n),
      clients: this.#clients.slice(0, n),
      names: this.#names.slice(0, n),
      services: this.#services.slice(0, n),
    };
    this.#used = 0;
    this.#size = 0;
    return batch;
  }
}

/** The buffers of `batch` to transfer with postMessage. */
export function batchTransferList(batch: AnswerBatchData): ArrayBuffer[] {
  return [batch.bytes.buffer as ArrayBuffer, batch.ends.buffer as ArrayBuffer, batch.times.buffer as ArrayBuffer];
}
