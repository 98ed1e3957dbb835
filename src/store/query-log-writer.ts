import BetterSqlite3 from 'better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';
import {
  FIELD_EXEMPTION, FIELD_RCODE, FIELD_RULE, FIELD_SERVICE, FIELD_TYPE, FIELD_UPSTREAM, FLAG_CACHED, NO_STRING,
  STRING_FIELDS,
} from './query-log-batch.js';
import { batchProblem, batchViews } from './query-log-batch.js';
import type { BatchViews, EncodedBatch } from './query-log-batch.js';
import { StoreError } from './store-error.js';
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
 * writer's heap at most. Clients always go through it; names only in batches slower than
 * {@link INLINE_NAMES_RATE}, so under load it holds the clients alone. When every name went through
 * it, under the DNS benchmark's mix, 65,536 words cost less CPU than 16,384 or 32,768 (8.7 and 7.1 µs
 * a row against 5.9: each miss is an index lookup) and no more than 131,072.
 */
export const CACHED_WORDS = 65_536;
/**
 * Rows a second of log time from which a batch logs every name inline (see QueryLogWriterOptions):
 * with the default batches (5,000 rows, or what 250 ms bring), from 4,000 queries a second. At
 * 10,000 a second (bench/querylog-append.ts, RATE=10000) the writer then spends 2.2 µs of CPU a row
 * instead of 4.1 under the DNS benchmark's mix (86 bytes a row instead of 89), and 5.3 instead of
 * 6.9 under the office mix (94 bytes instead of 77); below 4,000 nothing changes. It was 16,000.
 */
export const INLINE_NAMES_RATE = 4_000;
/** The shortest span a batch's rate is measured over: a few rows at one instant are no rate. */
const RATE_SPAN_MS = 250;
/** Rows per multi-row INSERT: one call and one statement step per 64 rows instead of per row. */
const ROWS_PER_INSERT = 64;
/** Parameters per row: a column each, and the name twice (its word id, or its text inline). */
const ROW_PARAMS = 14;
/**
 * One row's values. A name is bound as its word id with a null text, or as a null id with its text,
 * which is stored as a BLOB of its UTF-8 bytes: the column has INTEGER affinity, which would turn a
 * text such as "123" or "10.5" into a number, read back as a word id.
 */
const ROW_VALUES = '(?, ?, ?, coalesce(?, CAST(? AS BLOB)), ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const PRUNE_CHUNK = 20_000;
/** Dictionary words whose ids the writer keeps across batches; past it, it starts over (random `TYPE<n>` churn). */
const MAX_WORD_IDS = 4096;

/**
 * A connection to the (already migrated) database `file`, set up for the writer thread.
 *
 * Under load the writer appends: rows in time order, index entries at their ends, names inline (see
 * QueryLogWriter), so a page cache of 2 MiB holds what it touches, the indexes' upper levels and the
 * tables' ends. (When every name was a word, the dictionary's unique index dirtied a page at a random
 * place per new name, and 8 MiB saved 15 % of the writer's CPU; with names inline it saves nothing
 * measurable, and would cost about 6 MB more resident memory.)
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

export interface QueryLogWriterOptions {
  /**
   * A batch with at least this many rows per second of the log time it spans (counted as at least
   * 250 ms) logs every name inline, without looking it up: at such rates the writer's CPU matters more
   * than the bytes a word id saves, and a name cache cannot keep up with the names of a busy resolver
   * anyway. Slower batches make the names they meet again words. 0: always inline; Infinity: never.
   * @default INLINE_NAMES_RATE
   */
  inlineNamesRate?: number | undefined;
}

/**
 * Writes query-log batches into the compact schema: rows hold integer ids of `querylog_text` words
 * for every string but the name, which is a word id or the name itself, inline (a BLOB of its UTF-8
 * bytes). Runs on the writer thread (and, for bulk loads, wherever `insertMany` is called). Each batch
 * is one IMMEDIATE transaction with its per-minute aggregates, so concurrent writers serialise cleanly
 * and the row ids stay unique.
 *
 * Names. When every name was a word, under the DNS benchmark's mix (a quarter of all queries new
 * random subdomains) the dictionary's unique index took each new name at a random place: 5.6 µs of
 * CPU a row (bench/querylog-append.ts, MODE=writer), 6.1 on the writer thread at 50,000 queries a
 * second, 4.6 when the names recur as dnsperf replays its query file (MIX=replay: 123,000 names, twice
 * what the word cache holds). Now a fast batch (see QueryLogWriterOptions) logs every name inline,
 * looked up nowhere: 1.5 µs a row, 1.6 on the thread, 1.5 replayed, for 86 bytes a row on disk
 * instead of 88 (replayed: 86 instead of 74; the office mix at that rate, whose names repeat: 93
 * instead of 66). A slower batch logs a name inline the first time the word cache meets it and makes
 * it a word from the second time on, so that an office's log stays as compact as before (66 bytes a
 * row at 20 queries a second). Doing that at every rate would have cost 2.4 µs a row, and 4.1
 * replayed, as the cache misses most of the recurring names and each miss is a dictionary lookup.
 */
export class QueryLogWriter {
  readonly #db: Database;
  /**
   * Database ids of the batches' dictionary words (types, services, rules, rcodes...): word -> id
   * and the time its `last_time` was last refreshed. A few dozen words; bounded for churn.
   */
  #wordIds = new Map<string, { id: number; time: number }>();
  /** The batch being written: its dictionary, and each code's database id (-1 when not resolved yet). */
  #words: readonly string[] = [];
  #codeIds: number[] = [];
  /** Clients and names seen lately -> database id. */
  readonly #seen = new WordCache(CACHED_WORDS);
  readonly #insertMany: Statement;
  readonly #insertOne: Statement;
  /** Parameters of one multi-row INSERT, reused. */
  readonly #params: (number | string | null)[] = new Array<number | string | null>(ROWS_PER_INSERT * ROW_PARAMS).fill(null);
  readonly #one: (number | string | null)[] = new Array<number | string | null>(ROW_PARAMS).fill(null);
  /** A batch's rows' parameters in batch order, each row's client id, and the order they go in: reused. */
  #rows: (number | string | null)[] = [];
  #rowClients = new Int32Array(0);
  #order = new Uint32Array(0);
  /** Inserts a word or refreshes its `last_time` when older than the third parameter; no row when fresh. */
  readonly #upsertText: Statement;
  readonly #textId: Statement;
  readonly #nextId: Statement;
  readonly #setNextId: Statement;
  readonly #upsertMinute: Statement;
  readonly #upsertBlocked: Statement;
  readonly #write: (views: BatchViews, count: number, text: string) => void;
  readonly #inlineNamesRate: number;

  constructor(db: Database, options: QueryLogWriterOptions = {}) {
    this.#db = db;
    this.#inlineNamesRate = options.inlineNamesRate ?? INLINE_NAMES_RATE;
    // OR FAIL: a multi-row INSERT that may abort keeps a statement journal, which spills to a temp
    // file past 64 KiB (a fifth of the writer's time, measured); FAIL keeps none, and a failed row
    // fails the batch's transaction all the same.
    const insert = `INSERT OR FAIL INTO querylog (time, id, client, name, type, action, service, rule, exemption, rcode,
      latency_us, upstream, cached) VALUES `;
    this.#insertMany = db.prepare(insert + new Array<string>(ROWS_PER_INSERT).fill(ROW_VALUES).join(', '));
    this.#insertOne = db.prepare(insert + ROW_VALUES);
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

  /**
   * Write a batch in one transaction, or throw a {@link StoreError} `QUERY_LOG_BATCH` (nothing
   * written) when it cannot be decoded as it came (see {@link batchProblem}).
   */
  write(batch: EncodedBatch): void {
    const problem = batchProblem(batch);
    if (problem !== null) throw new StoreError('QUERY_LOG_BATCH', `query log batch refused: ${problem}`);
    if (this.#wordIds.size > MAX_WORD_IDS) this.#wordIds = new Map();
    this.#words = batch.strings;
    this.#codeIds = new Array<number>(batch.strings.length).fill(-1);
    try {
      this.#write(batchViews(batch.buffer, batch.capacity), batch.count, batch.text);
    } finally {
      this.#words = [];
      this.#codeIds = [];
    }
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
      this.#wordIds = new Map();
      this.#seen.clear();
    }
    return deleted;
  }

  #writeRows(v: BatchViews, count: number, text: string): void {
    const { codes, flags, latency, lengths, time } = v;
    let newest = -Infinity;
    let oldest = Infinity;
    for (let i = 0; i < count; i++) {
      const t = time[i] ?? 0;
      if (Number.isFinite(t)) {
        if (t > newest) newest = t;
        if (t < oldest) oldest = t;
      }
    }
    if (newest === -Infinity) newest = oldest = 0;
    const inline = count >= (this.#inlineNamesRate * Math.max(RATE_SPAN_MS, newest - oldest)) / 1000;
    this.#seen.begin(newest, TEXT_SLACK_MS);
    // Names arrive lowercase: one pass over the whole text spares lowercasing them one by one. (Only
    // as a test: a whole-text result could differ from one name's, e.g. a final sigma before a client.)
    const caseless = text.toLowerCase() === text;

    // Each row's values in batch order: words and names are resolved in the order the rows came.
    const rows = this.#rows.length >= count * ROW_PARAMS ? this.#rows : (this.#rows = new Array<number | string | null>(count * ROW_PARAMS).fill(null));
    const rowClients = this.#rowClients.length >= count ? this.#rowClients : (this.#rowClients = new Int32Array(count));
    const counts = new BatchCounts();
    let id = this.#nextId.get() as number;
    let client = '';
    let clientId = -1;
    let at = 0;
    let p = 0;
    let grouped = true;
    for (let i = 0; i < count; i++) {
      const t = Number.isFinite(time[i]) ? Math.floor(time[i] ?? 0) : 0;
      const c = i * STRING_FIELDS;
      const clientLength = lengths[2 * i] ?? 0;
      // Most batches repeat a few clients: compare in place before slicing and looking up.
      if (clientId < 0 || clientLength !== client.length || !text.startsWith(client, at)) {
        client = text.slice(at, at + clientLength);
        clientId = this.#wordId(client, newest);
      }
      if (i > 0 && clientId < rowClients[i - 1]!) grouped = false;
      rowClients[i] = clientId;
      at += clientLength;
      const nameEnd = at + (lengths[2 * i + 1] ?? 0);
      const lowercase = caseless ? text.slice(at, nameEnd) : text.slice(at, nameEnd).toLowerCase();
      const name = inline ? lowercase : this.#name(lowercase, newest);
      at = nameEnd;
      const f = flags[i] ?? 0;
      const action = f & 7;
      const lat = latency[i] ?? 0;
      const serviceCode = codes[c + FIELD_SERVICE] ?? NO_STRING;
      rows[p] = t;
      rows[p + 1] = id++;
      rows[p + 2] = clientId;
      rows[p + 3] = typeof name === 'number' ? name : null;
      rows[p + 4] = typeof name === 'string' ? name : null;
      rows[p + 5] = this.#required(codes[c + FIELD_TYPE], newest);
      rows[p + 6] = action;
      rows[p + 7] = this.#optional(serviceCode, newest);
      rows[p + 8] = this.#optional(codes[c + FIELD_RULE], newest);
      rows[p + 9] = this.#optional(codes[c + FIELD_EXEMPTION], newest);
      rows[p + 10] = this.#required(codes[c + FIELD_RCODE], newest);
      rows[p + 11] = Number.isFinite(lat) ? Math.round(lat * 1000) : 0;
      rows[p + 12] = this.#optional(codes[c + FIELD_UPSTREAM], newest);
      rows[p + 13] = (f & FLAG_CACHED) === 0 ? 0 : 1;
      p += ROW_PARAMS;
      counts.add(Math.floor(t / MINUTE) * MINUTE, action, clientId, client, serviceCode);
    }
    // Inserted one client after the other (see #clientOrder); the rows and their ids are the same.
    const order = grouped ? null : this.#clientOrder(rowClients, count);
    const params = this.#params;
    let q = 0;
    for (let k = 0; k < count; k++) {
      const from = (order === null ? k : order[k]!) * ROW_PARAMS;
      for (let j = 0; j < ROW_PARAMS; j++) params[q + j] = rows[from + j] ?? null;
      q += ROW_PARAMS;
      if (q === params.length) {
        // Spread, not the array: better-sqlite3 reads arguments faster than array elements.
        this.#insertMany.run(...params);
        q = 0;
      }
    }
    // The rest one row a statement.
    const one = this.#one;
    for (let r = 0; r < q; r += ROW_PARAMS) {
      for (let k = 0; k < ROW_PARAMS; k++) one[k] = params[r + k] ?? null;
      this.#insertOne.run(...one);
    }
    rows.fill(null, 0, count * ROW_PARAMS);
    this.#setNextId.run(id);
    for (const m of counts.minutes) this.#upsertMinute.run(m.minute, m.total, m.blocked);
    for (const b of counts.blocked) this.#upsertBlocked.run(b.minute, b.client, this.#words[b.service] ?? '', b.count);
  }

  /**
   * Rows 0..count-1 ordered by client id, each client's rows in their batch order (and with the ids
   * they had). Inserted in this order, the client index `querylog_client_time` takes a batch's entries
   * at one place per client, not at a place each row picks in turn: with many clients in every batch
   * (1,000 in bench:dns's many-clients shape) the writer's 2 MiB page cache no longer churns through
   * the index's leaves. bench/querylog-append.ts MODE=writer MIX=many: 4.7 to 4.9 µs of CPU a row
   * instead of 5.6 to 6.1, and 802 bytes read and 777 written a row instead of 3,024 and 2,673; one
   * client (MIX=dns) is not reordered, and costs what it did.
   */
  #clientOrder(clientIds: Int32Array, count: number): Uint32Array {
    if (this.#order.length < count) this.#order = new Uint32Array(count);
    const order = this.#order.subarray(0, count);
    for (let i = 0; i < count; i++) order[i] = i;
    order.sort((a, b) => (clientIds[a]! - clientIds[b]!) || (a - b));
    return order;
  }

  /** The database id of dictionary word `code` of the batch, null for no word. */
  #optional(code: number | undefined, newest: number): number | null {
    if (code === undefined || code < 0) return null;
    const resolved = this.#codeIds[code];
    if (resolved === undefined) return null;
    if (resolved >= 0) return resolved;
    const word = this.#words[code] ?? '';
    let known = this.#wordIds.get(word);
    // A word refreshed too long before this batch may have been pruned since: refresh it.
    if (known === undefined || known.time + TEXT_SLACK_MS < newest) {
      known = { id: this.#refresh(word, newest, newest), time: newest };
      this.#wordIds.set(word, known);
    }
    this.#codeIds[code] = known.id;
    return known.id;
  }

  /** Like #optional, with the empty word standing in for a missing one (the column is NOT NULL). */
  #required(code: number | undefined, newest: number): number {
    return this.#optional(code, newest) ?? this.#wordId('', newest);
  }

  /**
   * Name `text` as its database id, or as itself to be logged inline: a name the word cache has not
   * met before (a one-off random subdomain, say) does not become a word, which spares the dictionary
   * a row and its unique index an entry at a random place; a name met again does.
   */
  #name(text: string, newest: number): number | string {
    const seen = this.#seen;
    let id = seen.get(text);
    if (id < 0) {
      if (!seen.admit(text)) return text;
      id = this.#refresh(text, newest, seen.since);
      seen.hold(text, id);
    }
    return id;
  }

  /** The database id of a client (or of another word), whose rows the client index must find by id. */
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
