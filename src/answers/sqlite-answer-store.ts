/**
 * The answer index on disk: the `answers` table (store migration 4), one row per (client, address)
 * with the newest answer. Written in batches off the DNS path, read once at start, pruned as rows
 * expire. A restart at 06:59 thus still knows the addresses handed out before it.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { AnswerEntry } from './answer-index.js';

interface AnswerRow {
  client: string;
  address: string;
  name: string;
  service: string | null;
  expires: number;
}

export class SqliteAnswerStore {
  readonly #db: Database;
  readonly #upsert: Statement<[string, string, string, string | null, number]>;
  readonly #prune: Statement<[number]>;
  readonly #first: Statement<[number, number], AnswerRow>;
  readonly #next: Statement<[number, number, string, string, number], AnswerRow>;

  constructor(db: Database) {
    this.#db = db;
    this.#upsert = db.prepare('INSERT OR REPLACE INTO answers (client, address, name, service, expires) VALUES (?, ?, ?, ?, ?)');
    this.#prune = db.prepare('DELETE FROM answers WHERE expires <= ?');
    const columns = 'SELECT client, address, name, service, expires FROM answers';
    const order = 'ORDER BY expires, client, address LIMIT ?';
    this.#first = db.prepare<[number, number], AnswerRow>(`${columns} WHERE expires > ? ${order}`);
    this.#next = db.prepare<[number, number, string, string, number], AnswerRow>(`${columns} WHERE expires > ? AND (expires, client, address) > (?, ?, ?) ${order}`);
  }

  /** Write `entries` in one transaction. */
  save(entries: readonly AnswerEntry[]): void {
    if (entries.length === 0) return;
    this.#db.transaction(() => {
      for (const e of entries) this.#upsert.run(e.client, e.address, e.name, e.service, e.expires);
    })();
  }

  /**
   * Up to `limit` answers live at `now`, soonest to expire first (so a full index keeps the
   * longest), after `after` (the last row of the previous page; null for the first). Pages let a
   * large table load a slice at a time while DNS is answered.
   */
  loadPage(now: number, after: AnswerEntry | null, limit: number): AnswerEntry[] {
    return after === null
      ? this.#first.all(now, limit)
      : this.#next.all(now, after.expires, after.client, after.address, limit);
  }

  /** Delete the rows expired at `now`; returns how many. */
  prune(now: number): number {
    return this.#prune.run(now).changes;
  }
}
