/**
 * Failed-login counting per key (an address, a username) over a sliding window, in memory. A key
 * that reached its limit is refused until its oldest failure in the window ages out.
 */
export interface LoginThrottleOptions {
  /** @default 900000 (15 minutes) */
  windowMs?: number;
  /** Failures allowed per address in the window. @default 10 */
  maxPerAddress?: number;
  /** Failures allowed per username in the window. @default 5 */
  maxPerUser?: number;
  /** Keys remembered at most; the oldest are forgotten first. @default 10000 */
  maxKeys?: number;
}

export class LoginThrottle {
  readonly #windowMs: number;
  readonly #maxPerAddress: number;
  readonly #maxPerUser: number;
  readonly #maxKeys: number;
  readonly #failures = new Map<string, number[]>();

  constructor(options: LoginThrottleOptions = {}) {
    this.#windowMs = options.windowMs ?? 900_000;
    this.#maxPerAddress = options.maxPerAddress ?? 10;
    this.#maxPerUser = options.maxPerUser ?? 5;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Milliseconds until `address` and `username` may try again, or 0 when they may now. */
  retryAfter(address: string, username: string, now: number): number {
    return Math.max(this.#wait(`a:${address}`, this.#maxPerAddress, now), this.#wait(`u:${username}`, this.#maxPerUser, now));
  }

  failed(address: string, username: string, now: number): void {
    for (const key of [`a:${address}`, `u:${username}`]) {
      const list = this.#recent(key, now);
      list.push(now);
      this.#failures.delete(key);
      this.#failures.set(key, list);
    }
    while (this.#failures.size > this.#maxKeys) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
  }

  /** A successful login clears the username's failures (not the address's). */
  succeeded(username: string): void {
    this.#failures.delete(`u:${username}`);
  }

  #recent(key: string, now: number): number[] {
    return (this.#failures.get(key) ?? []).filter((t) => t > now - this.#windowMs);
  }

  #wait(key: string, max: number, now: number): number {
    const list = this.#recent(key, now);
    if (list.length < max) return 0;
    // Free again when enough failures leave the window to fall under the limit.
    const unlockAt = (list[list.length - max] ?? now) + this.#windowMs;
    return Math.max(1, unlockAt - now);
  }
}
