/**
 * The query handler's way to an upstream answer: one exchange per question in flight, shared by
 * every query that asks the same question (name, type, class, DO and CD bits) meanwhile, and the
 * answer cached when it was fetched with checking enabled.
 */
import type { AnswerCache } from './answer-cache.js';
import { createAnswerEntry, type AnswerEntry, type TtlLimits } from './answer-entry.js';
import type { Forwarder } from './forwarder.js';
import type { Question } from './message-codec.js';

export class UpstreamFetch {
  readonly #forwarder: Pick<Forwarder, 'resolve'>;
  readonly #cache: AnswerCache;
  readonly #now: () => number;
  readonly #limits: TtlLimits;
  readonly #inflight = new Map<string, Promise<AnswerEntry>>();

  constructor(forwarder: Pick<Forwarder, 'resolve'>, cache: AnswerCache, now: () => number, limits: TtlLimits) {
    this.#forwarder = forwarder;
    this.#cache = cache;
    this.#now = now;
    this.#limits = limits;
  }

  /**
   * The answer to `q` (its name normalized) from the upstreams, or the exchange already under way
   * for it. Rejects as {@link Forwarder.resolve} does when every upstream fails.
   */
  get(q: Question, dnssecOk: boolean, cd: boolean): Promise<AnswerEntry> {
    const key = `${q.name}|${q.type}|${q.class}|${dnssecOk ? 1 : 0}${cd ? '|cd' : ''}`;
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#fetch(q, dnssecOk, cd);
      this.#inflight.set(key, pending);
      const done = (): void => { this.#inflight.delete(key); };
      pending.then(done, done);
    }
    return pending;
  }

  async #fetch(q: Question, dnssecOk: boolean, cd: boolean): Promise<AnswerEntry> {
    const fwd = await this.#forwarder.resolve(q, dnssecOk, cd);
    const entry = createAnswerEntry(fwd.response, q, this.#now(), this.#limits, fwd.upstream);
    // Answers fetched with checking disabled may be bogus: serve them, never cache them.
    if (!cd) this.#cache.set(entry, dnssecOk);
    return entry;
  }
}
