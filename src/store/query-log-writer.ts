import BetterSqlite3 from 'better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';
import {
  FIELD_EXEMPTION, FIELD_RCODE, FIELD_RULE, FIELD_SERVICE, FIELD_TYPE, FIELD_UPSTREAM, FLAG_CACHED, NO_STRING,
  STRING_FIELDS,
} from './query-log-batch.js';
import type { BatchViews } from './query-log-batch.js';
import { WordCache } from './word-cache.js';

const MINUTE = 60_000;
const ACTION_BLOCK = 1;
/**
 * A word's `last_time` is refreshed only when a batch is this much newer than the last refresh, so
 * that most batches touch no dictionary row; pruning keeps words this much longer to stay correct.
 */
export const TEXT_SLACK_MS = 3_600_000;
/**
 * Clients and names the writer's word cache holds (see WordCache), about 80 bytes each: 5 MB of the
 * writer's heap at most. Under the DNS benchmark's mix (50,000 names that repeat, a quarter of all
 * queries new random subdomains) the writer spends 5.9 µs of CPU a row with 65,536 words, 5.8 with
 * 131,072, 7.1 with 32,768 and 8.7 with 16,384: each miss is an index lookup that often reads a page,
 * and the smaller caches end up with more heap, not less (their misses leave garbage). The map this
 * replaces held any 200,000 words and was dropped when full: up to 16 MB, and as much in garbage.
 */
export const CACHED_WORDS = 65_536;
/** Rows per multi-row INSERT: one call and one statement step per 64 rows instead of per row. */
const ROWS_PER_INSERT = 64;
const INSERT_COLUMNS = 13;
const PRUNE_CHUNK = 20_000;

/**
 * A connection to the (already migrated) database `file`, set up for the writer thread.
 *
 * Under the DNS benchmark's mix most of the writer's time goes to `querylog_text`, whose unique
 * index takes every new name at a random place: nearly every new name dirties a page that the commit
 * writes to the WAL and a checkpoint writes again. A page cache of 8 MiB instead of 2 MiB holds a
 * batch's dirty pages and saves 15 % of the writer's CPU there (reads fall from 2 KB to 0.4 KB a row),
 * for about 6 MB more resident memory that stays after the load; at an office's query rates the
 * writer's CPU is small either way, so the cache stays at 2 MiB: the index's upper levels and the
 * tables' ends.
 */
export function openWriterDatabase(file: string): Database {
  const db = new BetterSqlite3(file);
  try {
    // NORMAL is durable across process crashes in WAL mode; only a power cut may lose the last commits.
    db.pragma('synchronous = NORMAL');
    // Waiting here for a console write to finish costs DNS nothing.
    db.pragma('busy_timeout = 5000');
    // The rest of the file stays in the OS page cache, which is not charged to this process.
    db.pragma('cache_size = -2048');
    // A checkpoint every 10,000 pages (40 MB of WAL on disk) instead of every 1,000: each copies a page
    // once however many batches changed it, and syncs twice. A tenth of the writer's CPU and 30 % of
    // its writes saved, no memory (the WAL index grows by 32 KB per 4,096 pages). This is the only
    // connection that checkpoints: the main one stops when the writer starts.
    db.pragma('wal_autocheckpoint = 10000');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Queries and blocked queries of one minute in one batch. */
interface MinuteCount {
  minute: number;
  total: number;
  blocked: number;
}

/** Blocked queries of one minute, client and service in one batch. */
interface BlockedCount {
  minute: number;
  clientId: number;
  client: string;
  /** Dictionary code of the service, NO_STRING for none. */
  service: number;
  count: number;
}

/**
 * One batch's counts for the per-minute aggregate tables. Rows mostly repeat the last row's minute
 * (and, when blocked, its client and service), which is checked before anything is looked up.
 */
class BatchCounts {
  readonly minutes: MinuteCount[] = [];
  readonly blocked: BlockedCount[] = [];
  #minute: MinuteCount | null = null;
  #last: BlockedCount | null = null;
  /** `minute clientId service` -> entry of `blocked`; numbers only, so no client can break a key apart. */
  #index: Map<string, BlockedCount> | null = null;

  add(minute: number, action: number, clientId: number, client: string, service: number): void {
    let m = this.#minute;
    if (m === null || m.minute !== minute) {
      m = this.minutes.find((x) => x.minute === minute) ?? null;
      if (m === null) { m = { minute, total: 0, blocked: 0 }; this.minutes.push(m); }
      this.#minute = m;
    }
    m.total++;
    if (action !== ACTION_BLOCK) return;
    m.blocked++;
    let b = this.#last;
    if (b === null || b.minute !== minute || b.clientId !== clientId || b.service !== service) {
      const key = `${minute} ${clientId} ${service}`;
      this.#index ??= new Map();
      b = this.#index.get(key) ?? null;
      if (b === null) {
        b = { minute, clientId, client, service, count: 0 };
        this.#index.set(key, b);
        this.blocked.push(b);
      }
      this.#last = b;
    }
    b.count++;
  }
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
  /** Clients and names seen lately -> database id. */
  readonly #seen = new WordCache(CACHED_WORDS);
  readonly #insertMany: Statement;
  readonly #insertOne: Statement;
  /** Parameters of one multi-row INSERT, reused. */
  readonly #params: (number | null)[] = new Array<number | null>(ROWS_PER_INSERT * INSERT_COLUMNS).fill(null);
  readonly #one: (number | null)[] = new Array<number | null>(INSERT_COLUMNS).fill(null);
  /** Inserts a word or refreshes its `last_time` when older than the third parameter; no row when fresh. */
  readonly #upsertText: Statement;
  readonly #textId: Statement;
  readonly #nextId: Statement;
  readonly #setNextId: Statement;
  readonly #upsertMinute: Statement;
  readonly #upsertBlocked: Statement;
  readonly #write: (views: BatchViews, count: number, text: string) => void;

  constructor(db: Database) {
    this.#db = db;
    // OR FAIL: a multi-row INSERT that may abort keeps a statement journal, which spills to a temp
    // file past 64 KiB (a fifth of the writer's time, measured); FAIL keeps none, and a failed row
    // fails the batch's transaction all the same.
    const values = `(${new Array<string>(INSERT_COLUMNS).fill('?').join(', ')})`;
    const insert = `INSERT OR FAIL INTO querylog (time, id, client, name, type, action, service, rule, exemption, rcode,
      latency_us, upstream, cached) VALUES `;
    this.#insertMany = db.prepare(insert + new Array<string>(ROWS_PER_INSERT).fill(values).join(', '));
    this.#insertOne = db.prepare(insert + values);
    this.#upsertText = db.prepare(`INSERT INTO querylog_text (text, last_time) VALUES (?, ?)
      ON CONFLICT (text) DO UPDATE SET last_time = max(last_time, excluded.last_time) WHERE last_time < ? RETURNING id`).pluck();
    this.#textId = db.prepare('SELECT id FROM querylog_text WHERE text = ?').pluck();
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
    }
    return deleted;
  }

  #writeRows(v: BatchViews, count: number, text: string): void {
    const { codes, flags, latency, lengths, time } = v;
    let newest = -Infinity;
    for (let i = 0; i < count; i++) {
      const t = time[i] ?? 0;
      if (t > newest && Number.isFinite(t)) newest = t;
    }
    if (newest === -Infinity) newest = 0;
    this.#seen.begin(newest, TEXT_SLACK_MS);
    this.#forgetStaleWords(newest);
    // Names arrive lowercase: one pass over the whole text spares lowercasing them one by one. (Only
    // as a test: a whole-text result could differ from one name's, e.g. a final sigma before a client.)
    const caseless = text.toLowerCase() === text;

    const params = this.#params;
    const counts = new BatchCounts();
    let id = this.#nextId.get() as number;
    let client = '';
    let clientId = -1;
    let at = 0;
    let p = 0;
    for (let i = 0; i < count; i++) {
      const t = Number.isFinite(time[i]) ? Math.floor(time[i] ?? 0) : 0;
      const c = i * STRING_FIELDS;
      const clientLength = lengths[2 * i] ?? 0;
      // Most batches repeat a few clients: compare in place before slicing and looking up.
      if (clientId < 0 || clientLength !== client.length || !text.startsWith(client, at)) {
        client = text.slice(at, at + clientLength);
        clientId = this.#wordId(client, newest);
      }
      at += clientLength;
      const nameEnd = at + (lengths[2 * i + 1] ?? 0);
      const name = caseless ? text.slice(at, nameEnd) : text.slice(at, nameEnd).toLowerCase();
      at = nameEnd;
      const f = flags[i] ?? 0;
      const action = f & 7;
      const lat = latency[i] ?? 0;
      const serviceCode = codes[c + FIELD_SERVICE] ?? NO_STRING;
      params[p] = t;
      params[p + 1] = id++;
      params[p + 2] = clientId;
      params[p + 3] = this.#wordId(name, newest);
      params[p + 4] = this.#required(codes[c + FIELD_TYPE], newest);
      params[p + 5] = action;
      params[p + 6] = this.#optional(serviceCode, newest);
      params[p + 7] = this.#optional(codes[c + FIELD_RULE], newest);
      params[p + 8] = this.#optional(codes[c + FIELD_EXEMPTION], newest);
      params[p + 9] = this.#required(codes[c + FIELD_RCODE], newest);
      params[p + 10] = Number.isFinite(lat) ? Math.round(lat * 1000) : 0;
      params[p + 11] = this.#optional(codes[c + FIELD_UPSTREAM], newest);
      params[p + 12] = (f & FLAG_CACHED) === 0 ? 0 : 1;
      p += INSERT_COLUMNS;
      if (p === params.length) {
        // Spread, not the array: better-sqlite3 reads arguments faster than array elements.
        this.#insertMany.run(...params);
        p = 0;
      }
      counts.add(Math.floor(t / MINUTE) * MINUTE, action, clientId, client, serviceCode);
    }
    // The rest one row a statement, in order, so the ids stay increasing.
    const one = this.#one;
    for (let q = 0; q < p; q += INSERT_COLUMNS) {
      for (let k = 0; k < INSERT_COLUMNS; k++) one[k] = params[q + k] ?? null;
      this.#insertOne.run(...one);
    }
    this.#setNextId.run(id);
    for (const m of counts.minutes) this.#upsertMinute.run(m.minute, m.total, m.blocked);
    for (const b of counts.blocked) this.#upsertBlocked.run(b.minute, b.client, this.#words[b.service] ?? '', b.count);
  }

  /** Mark the dictionary words whose last refresh is too old for this batch as unresolved. */
  #forgetStaleWords(newest: number): void {
    const ids = this.#wordIds;
    const times = this.#wordTimes;
    for (let code = 0; code < ids.length; code++) {
      if ((ids[code] ?? -1) >= 0 && (times[code] ?? -Infinity) + TEXT_SLACK_MS < newest) ids[code] = -1;
    }
  }

  /** The database id of dictionary word `code`, null for no word. */
  #optional(code: number | undefined, newest: number): number | null {
    if (code === undefined || code < 0) return null;
    const id = this.#wordIds[code];
    if (id === undefined) return null;
    if (id >= 0) return id;
    const fresh = this.#refresh(this.#words[code] ?? '', newest, newest);
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
    const seen = this.#seen;
    let id = seen.get(text);
    if (id < 0) {
      id = this.#refresh(text, newest, seen.since);
      seen.offer(text, id);
    }
    return id;
  }

  /**
   * The id of `text`, inserted with `last_time` `newest` when new, and with `last_time` raised to
   * `newest` when older than `since`. A fresh word is only read: no page of the dictionary changes.
   */
  #refresh(text: string, newest: number, since: number): number {
    const id = this.#upsertText.get(text, newest, since) as number | undefined;
    return id ?? this.#textId.get(text) as number;
  }
}
