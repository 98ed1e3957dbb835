/**
 * Failed-login counting per key (an address, a username) over a sliding window, in memory.
 *
 * - An address that reached its limit is refused until its oldest failure in the window ages out.
 * - A username that reached its limit is refused only from the addresses that failed for it in the
 *   window (the username's entry remembers them). Someone who knows a username cannot keep its owner out: the right password from
 *   an address with no failures still logs in. A guesser spread over many addresses gets one try
 *   from each clean address, and each wrong one spends that address's own budget. A successful
 *   login does not reset the count, so the owner logging in does not hand the guesser new tries.
 * - The table is bounded: past `maxKeys`, the least recently failed keys that do not limit anyone
 *   now are forgotten, never a key that is limiting; so junk usernames cannot flush a real lock.
 */
export interface LoginThrottleOptions {
  /** @default 900000 (15 minutes) */
  windowMs?: number;
  /** Failures allowed per address in the window. @default 10 */
  maxPerAddress?: number;
  /** Failures allowed per username in the window. @default 5 */
  maxPerUser?: number;
  /** Keys remembered at most, unless more are limiting now. @default 10000 */
  maxKeys?: number;
}

interface Failure { at: number; address: string }

export class LoginThrottle {
  readonly #windowMs: number;
  readonly #maxPerAddress: number;
  readonly #maxPerUser: number;
  readonly #maxKeys: number;
  /** Failures per key (instant and address), in the order keys last failed (oldest first). */
  readonly #failures = new Map<string, Failure[]>();

  constructor(options: LoginThrottleOptions = {}) {
    this.#windowMs = options.windowMs ?? 900_000;
    this.#maxPerAddress = options.maxPerAddress ?? 10;
    this.#maxPerUser = options.maxPerUser ?? 5;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Milliseconds until `address` may try `username` again, or 0 when it may now. */
  retryAfter(address: string, username: string, now: number): number {
    const addressWait = this.#wait(`a:${address}`, this.#maxPerAddress, now);
    const failedHere = this.#recent(`u:${username}`, now).some((f) => f.address === address);
    const userWait = failedHere ? this.#wait(`u:${username}`, this.#maxPerUser, now) : 0;
    return Math.max(addressWait, userWait);
  }

  failed(address: string, username: string, now: number): void {
    for (const key of [`a:${address}`, `u:${username}`]) {
      const list = this.#recent(key, now);
      list.push({ at: now, address });
      this.#failures.delete(key);
      this.#failures.set(key, list);
    }
    if (this.#failures.size > this.#maxKeys) this.#evict(now);
  }

  /** Keys held now (for tests and metrics). */
  get size(): number {
    return this.#failures.size;
  }

  #evict(now: number): void {
    for (const [key, times] of this.#failures) {
      if (this.#failures.size <= this.#maxKeys) return;
      const max = key.startsWith('a:') ? this.#maxPerAddress : this.#maxPerUser;
      const recent = times.filter((f) => f.at > now - this.#windowMs);
      if (recent.length < max) this.#failures.delete(key);
    }
  }

  #recent(key: string, now: number): Failure[] {
    return (this.#failures.get(key) ?? []).filter((f) => f.at > now - this.#windowMs);
  }

  #wait(key: string, max: number, now: number): number {
    const list = this.#recent(key, now);
    if (list.length < max) return 0;
    // Free again when enough failures leave the window to fall under the limit.
    const unlockAt = (list[list.length - max]?.at ?? now) + this.#windowMs;
    return Math.max(1, unlockAt - now);
  }
}
