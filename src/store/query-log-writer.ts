import type { Database, Statement } from 'better-sqlite3';
import {
  FIELD_EXEMPTION, FIELD_RCODE, FIELD_RULE, FIELD_SERVICE, FIELD_TYPE, FIELD_UPSTREAM, FLAG_CACHED, NO_STRING,
  STRING_FIELDS,
} from './query-log-batch.js';
import type { BatchViews } from './query-log-batch.js';

const MINUTE = 60_000;
const ACTION_BLOCK = 1;
/**
 * A word's `last_time` is refreshed only when a batch is this much newer than the last refresh, so
 * that most batches touch no dictionary row; pruning keeps words this much longer to stay correct.
 */
export const TEXT_SLACK_MS = 3_600_000;
const MAX_CACHED_WORDS = 200_000;
const PRUNE_CHUNK = 20_000;

/** `text` as a string of its own, not a view into a larger one. */
function flat(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

/**
 * Writes query-log batches into the compact schema: rows hold integer ids of `querylog_text` words,
 * names included. Runs on the writer thread (and, for bulk loads, wherever `insertMany` is called).
 * Each batch is one IMMEDIATE transaction with its per-minute aggregates, so concurrent writers
 * serialise cleanly and the row ids stay unique.
 */
export class QueryLogWriter {
  readonly #db: Database;
  /** The encoder's dictionary: code -> word, database id (-1 when not resolved yet) and refresh time. */
  #words: string[] = [];
  #wordIds: number[] = [];
  #wordTimes: number[] = [];
  /**
   * Clients and names seen lately -> database id. Every id in it was refreshed at or after
   * `#seenSince`, so the whole map is dropped once batches are TEXT_SLACK_MS newer than that, and
   * when it is full. Plain number values and flat keys keep an entry at about 70 bytes.
   */
  readonly #seen = new Map<string, number>();
  #seenSince = -Infinity;
  readonly #insert: Statement;
  readonly #upsertText: Statement;
  readonly #nextId: Statement;
  readonly #setNextId: Statement;
  readonly #upsertMinute: Statement;
  readonly #upsertBlocked: Statement;
  readonly #write: (views: BatchViews, count: number, text: string) => void;

  constructor(db: Database) {
    this.#db = db;
    this.#insert = db.prepare(`INSERT INTO querylog (time, id, client, name, type, action, service, rule, exemption, rcode,
      latency_us, upstream, cached) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#upsertText = db.prepare(`INSERT INTO querylog_text (text, last_time) VALUES (?, ?)
      ON CONFLICT (text) DO UPDATE SET last_time = max(last_time, excluded.last_time) RETURNING id`).pluck();
    this.#nextId = db.prepare("SELECT value FROM querylog_state WHERE key = 'next_id'").pluck();
    this.#setNextId = db.prepare("UPDATE querylog_state SET value = ? WHERE key = 'next_id'");
    this.#upsertMinute = db.prepare(`INSERT INTO querylog_minute (minute, total, blocked) VALUES (?, ?, ?)
      ON CONFLICT (minute) DO UPDATE SET total = total + excluded.total, blocked = blocked + excluded.blocked`);
    this.#upsertBlocked = db.prepare(`INSERT INTO querylog_blocked_minute (minute, client, service, count)
      VALUES (?, ?, ?, ?) ON CONFLICT (minute, client, service) DO UPDATE SET count = count + excluded.count`);
    const tx = db.transaction((views: BatchViews, count: number, text: string) => { this.#writeRows(views, count, text); });
    this.#write = (views, count, text) => tx.immediate(views, count, text);
  }

  /** Learn the dictionary words that follow the known ones (codes continue from the last). */
  addStrings(words: readonly string[]): void {
    for (const w of words) {
      this.#words.push(w);
      this.#wordIds.push(-1);
      this.#wordTimes.push(-Infinity);
    }
  }

  /** The encoder started its dictionary over. */
  resetStrings(): void {
    this.#words = [];
    this.#wordIds = [];
    this.#wordTimes = [];
  }

  /** Write `count` entries of a batch (`text`: their clients and names, joined) in one transaction. */
  write(views: BatchViews, count: number, text: string): void {
    this.#write(views, count, text);
  }

  /**
   * Delete rows older than `cutoff` in chunks, yielding between them (so batches keep flowing), then
   * the aggregates and the dictionary words no row can still use. Stops early when `stop()` says so.
   */
  async prune(cutoff: number, stop: () => boolean): Promise<number> {
    const db = this.#db;
    const boundary = db.prepare('SELECT time, id FROM querylog WHERE time < ? ORDER BY time, id LIMIT 1 OFFSET ?');
    const delUpTo = db.prepare('DELETE FROM querylog WHERE (time, id) <= (?, ?)');
    const delBefore = db.prepare('DELETE FROM querylog WHERE time < ?');
    let deleted = 0;
    for (;;) {
      const last = boundary.get(cutoff, PRUNE_CHUNK - 1) as { time: number; id: number } | undefined;
      if (last === undefined) {
        deleted += delBefore.run(cutoff).changes;
        break;
      }
      deleted += delUpTo.run(last.time, last.id).changes;
      await new Promise((resolve) => setImmediate(resolve));
      if (stop()) return deleted;
    }
    db.prepare('DELETE FROM querylog_minute WHERE minute < ?').run(cutoff - MINUTE);
    db.prepare('DELETE FROM querylog_blocked_minute WHERE minute < ?').run(cutoff - MINUTE);
    const words = db.prepare('DELETE FROM querylog_text WHERE last_time < ?').run(cutoff - TEXT_SLACK_MS).changes;
    if (words > 0) {
      // Some cached ids may be gone: resolve every word again on its next use.
      this.#wordIds.fill(-1);
      this.#seen.clear();
      this.#seenSince = -Infinity;
    }
    return deleted;
  }

  #writeRows(v: BatchViews, count: number, text: string): void {
    let newest = -Infinity;
    for (let i = 0; i < count; i++) {
      const t = v.time[i] ?? 0;
      if (t > newest && Number.isFinite(t)) newest = t;
    }
    if (newest === -Infinity) newest = 0;
    let id = this.#nextId.get() as number;
    const minutes = new Map<number, [total: number, blocked: number]>();
    const blocked = new Map<string, number>();
    const { codes, flags, latency, lengths, time } = v;
    let at = 0;
    for (let i = 0; i < count; i++) {
      const t = Number.isFinite(time[i]) ? Math.floor(time[i] ?? 0) : 0;
      const c = i * STRING_FIELDS;
      const clientEnd = at + (lengths[2 * i] ?? 0);
      const client = text.slice(at, clientEnd);
      at = clientEnd + (lengths[2 * i + 1] ?? 0);
      const name = text.slice(clientEnd, at).toLowerCase();
      const f = flags[i] ?? 0;
      const action = f & 7;
      const lat = latency[i] ?? 0;
      const serviceCode = codes[c + FIELD_SERVICE] ?? NO_STRING;
      this.#insert.run(t, id++, this.#wordId(client, newest), this.#wordId(name, newest), this.#required(codes[c + FIELD_TYPE], newest),
        action, this.#optional(serviceCode, newest), this.#optional(codes[c + FIELD_RULE], newest),
        this.#optional(codes[c + FIELD_EXEMPTION], newest), this.#required(codes[c + FIELD_RCODE], newest),
        Number.isFinite(lat) ? Math.round(lat * 1000) : 0, this.#optional(codes[c + FIELD_UPSTREAM], newest), (f & FLAG_CACHED) === 0 ? 0 : 1);
      const minute = Math.floor(t / MINUTE) * MINUTE;
      let m = minutes.get(minute);
      if (m === undefined) { m = [0, 0]; minutes.set(minute, m); }
      m[0]++;
      if (action === ACTION_BLOCK) {
        m[1]++;
        // The client goes last, so whatever it contains cannot break the key apart.
        const key = `${minute}\n${serviceCode}\n${client}`;
        blocked.set(key, (blocked.get(key) ?? 0) + 1);
      }
    }
    this.#setNextId.run(id);
    for (const [minute, [total, blockedCount]] of minutes) this.#upsertMinute.run(minute, total, blockedCount);
    for (const [key, n] of blocked) {
      const a = key.indexOf('\n');
      const b = key.indexOf('\n', a + 1);
      this.#upsertBlocked.run(Number(key.slice(0, a)), key.slice(b + 1), this.#words[Number(key.slice(a + 1, b))] ?? '', n);
    }
  }

  /** The database id of dictionary word `code`, null for no word. */
  #optional(code: number | undefined, newest: number): number | null {
    if (code === undefined || code < 0 || code >= this.#words.length) return null;
    const id = this.#wordIds[code] ?? -1;
    if (id >= 0 && (this.#wordTimes[code] ?? -Infinity) + TEXT_SLACK_MS >= newest) return id;
    const fresh = this.#upsertText.get(this.#words[code], newest) as number;
    this.#wordIds[code] = fresh;
    this.#wordTimes[code] = newest;
    return fresh;
  }

  /** Like #optional, with the empty word standing in for a missing one (the column is NOT NULL). */
  #required(code: number | undefined, newest: number): number {
    return this.#optional(code, newest) ?? this.#wordId('', newest);
  }

  /** The database id of a client or name. */
  #wordId(text: string, newest: number): number {
    if (this.#seenSince + TEXT_SLACK_MS < newest || this.#seen.size >= MAX_CACHED_WORDS) {
      this.#seen.clear();
      this.#seenSince = newest;
    }
    const known = this.#seen.get(text);
    if (known !== undefined) return known;
    const id = this.#upsertText.get(text, newest) as number;
    if (newest < this.#seenSince) this.#seenSince = newest;
    // A slice of the batch text would keep the whole batch alive as long as the key: store a copy.
    this.#seen.set(flat(text), id);
    return id;
  }
}
