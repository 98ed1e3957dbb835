/**
 * Logging bad flow input at a bounded rate: a flood of garbage must not become a flood of log lines.
 * One line per (exporter, code) a minute, and at most `perMinute` lines a minute in all; what was held
 * back is counted and said in the next line that goes out.
 */
export class BoundedLog {
  readonly #last = new Map<string, number>();
  #windowStart = 0;
  #inWindow = 0;
  /** Lines held back since the last one written. */
  suppressed = 0;

  constructor(readonly perMinute = 20) {}

  /** Whether a line about `key` may be written at `now`. */
  allow(key: string, now: number): boolean {
    if (now - this.#windowStart >= 60_000) { this.#windowStart = now; this.#inWindow = 0; }
    const last = this.#last.get(key);
    if ((last !== undefined && now - last < 60_000) || this.#inWindow >= this.perMinute) {
      this.suppressed++;
      return false;
    }
    if (this.#last.size >= 1024) this.#last.clear();
    this.#last.set(key, now);
    this.#inWindow++;
    return true;
  }

  /** Held-back count to report with the line being written; resets it. */
  takeSuppressed(): number {
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}
