/**
 * The DNS threads' side of the answer index: after each A or AAAA answer the query handler appends
 * the response as sent (client, question name, service, time and the bytes), a copy and four array
 * pushes, and nothing else. Reading the addresses out of the responses happens later, in the main
 * thread, a batch at a time ({@link readAnswerBatch}). A feed not taken in time stops growing at
 * `maxBytes` and counts what it drops.
 */

/** A batch of answers in transit from a DNS thread to the index: `ends[i]` is where response i ends
 *  in `bytes` (it starts where response i-1 ends). */
export interface AnswerBatchData {
  bytes: Uint8Array;
  ends: number[];
  clients: string[];
  names: string[];
  services: (string | null)[];
  times: number[];
}

export interface AnswerFeedOptions {
  /** Bytes of responses held before appends are dropped. @default 4194304 */
  maxBytes?: number;
}

const INITIAL_BYTES = 64 * 1024;

export class AnswerFeed {
  readonly #maxBytes: number;
  #bytes: Uint8Array;
  #used = 0;
  #ends: number[] = [];
  #clients: string[] = [];
  #names: string[] = [];
  #services: (string | null)[] = [];
  #times: number[] = [];
  /** Answers not kept because the feed was full. */
  dropped = 0;

  constructor(options: AnswerFeedOptions = {}) {
    this.#maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
    this.#bytes = new Uint8Array(Math.min(INITIAL_BYTES, this.#maxBytes));
  }

  /** Answers waiting to be taken. */
  get size(): number {
    return this.#ends.length;
  }

  /** Append one answer: `response` is the message sent to `client` for `name` at `time`. */
  push(client: string, name: string, service: string | null, response: Uint8Array, time: number): void {
    // No answer records (NODATA): nothing to index.
    if (response[6] === 0 && response[7] === 0) return;
    const end = this.#used + response.length;
    if (end > this.#maxBytes) {
      this.dropped++;
      return;
    }
    if (end > this.#bytes.length) {
      const grown = new Uint8Array(Math.min(this.#maxBytes, Math.max(end, this.#bytes.length * 2)));
      grown.set(this.#bytes.subarray(0, this.#used));
      this.#bytes = grown;
    }
    this.#bytes.set(response, this.#used);
    this.#used = end;
    this.#ends.push(end);
    this.#clients.push(client);
    this.#names.push(name);
    this.#services.push(service);
    this.#times.push(time);
  }

  /** The answers appended since the last take, or null when there are none. */
  take(): AnswerBatchData | null {
    if (this.#ends.length === 0) return null;
    const batch: AnswerBatchData = {
      bytes: this.#bytes.slice(0, this.#used),
      ends: this.#ends,
      clients: this.#clients,
      names: this.#names,
      services: this.#services,
      times: this.#times,
    };
    this.#used = 0;
    this.#ends = [];
    this.#clients = [];
    this.#names = [];
    this.#services = [];
    this.#times = [];
    return batch;
  }
}
