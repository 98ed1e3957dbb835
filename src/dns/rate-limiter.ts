/** Limits of the per-client token bucket. */
export interface RateLimitOptions {
  /** Sustained queries per second per client; 0 disables limiting. */
  qps: number;
  /** Bucket size: queries a client may send at once after being quiet. */
  burst: number;
  /**
   * Clients tracked at most; when full, the longest-untouched one is forgotten (it starts again with
   * a full bucket, which only ever errs toward answering).
   * @default 65536
   */
  maxClients?: number;
}

interface Bucket { tokens: number; at: number }

/**
 * A token bucket per client address, refilled with the injected clock. Memory is bounded by
 * `maxClients`; the Map's insertion order doubles as the eviction order (touched buckets move last).
 */
export class RateLimiter {
  readonly #qps: number;
  readonly #burst: number;
  readonly #max: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions) {
    this.#qps = options.qps;
    this.#burst = Math.max(1, options.burst);
    this.#max = Math.max(1, options.maxClients ?? 65536);
  }

  get enabled(): boolean {
    return this.#qps > 0;
  }

  get trackedClients(): number {
    return this.#buckets.size;
  }

  /** Take one token for `client` at `now` (epoch ms); false when it has none left. */
  take(client: string, now: number): boolean {
    if (this.#qps <= 0) return true;
    let b = this.#buckets.get(client);
    if (b === undefined) {
      if (this.#buckets.size >= this.#max) {
        const oldest = this.#buckets.keys().next();
        if (oldest.done !== true) this.#buckets.delete(oldest.value);
      }
      b = { tokens: this.#burst, at: now };
    } else {
      this.#buckets.delete(client);
      const elapsed = now - b.at;
      if (elapsed > 0) {
        b.tokens = Math.min(this.#burst, b.tokens + (elapsed * this.#qps) / 1000);
        b.at = now;
      }
    }
    this.#buckets.set(client, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
