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
  readonly #live: Statement<[number], AnswerRow>;

  constructor(db: Database) {
    this.#db = db;
    this.#upsert = db.prepare('INSERT OR REPLACE INTO answers (client, address, name, service, expires) VALUES (?, ?, ?, ?, ?)');
    this.#prune = db.prepare('DELETE FROM answers WHERE expires <= ?');
    this.#live = db.prepare<[number], AnswerRow>('SELECT client, address, name, service, expires FROM answers WHERE expires > ? ORDER BY expires');
  }

  /** Write `entries` in one transaction. */
  save(entries: readonly AnswerEntry[]): void {
    if (entries.length === 0) return;
    this.#db.transaction(() => {
      for (const e of entries) this.#upsert.run(e.client, e.address, e.name, e.service, e.expires);
    })();
  }

  /** Each answer still live at `now`, soonest to expire first (so a full index keeps the longest). */
  load(now: number, each: (entry: AnswerEntry) => void): number {
    let n = 0;
    for (const row of this.#live.iterate(now)) {
      each(row);
      n++;
    }
    return n;
  }

  /** Delete the rows expired at `now`; returns how many. */
  prune(now: number): number {
    return this.#prune.run(now).changes;
  }
}
