import type { Database, Statement } from 'better-sqlite3';
import { decodeCursor, encodeCursor } from './cursor.js';
import { ACTION_CODES, ACTIONS_BY_CODE } from './query-log-batch.js';
import type {
  ClientCount, MinuteCount, QueryLogFilter, QueryLogPage, QueryLogPageOptions, QueryLogRow, ServiceCount,
} from './types.js';

const MINUTE = 60_000;
const word = (column: string): string => `(SELECT text FROM querylog_text WHERE id = q.${column}) AS ${column}`;
/** A name is a word id, or the name itself inline as a BLOB of its UTF-8 bytes (see QueryLogWriter). */
const NAME = `CASE typeof(q.name) WHEN 'blob' THEN CAST(q.name AS TEXT)
  ELSE (SELECT text FROM querylog_text WHERE id = q.name) END AS name`;
/** Every column of a row with its words looked up, for a query over `querylog AS q`. */
export const COLUMNS = ['q.id', 'q.time', word('client'), NAME, word('type'), 'q.action', word('service'), word('rule'),
  word('exemption'), word('rcode'), 'q.latency_us', word('upstream'), 'q.cached'].join(', ');
/**
 * A name substring, bound as text then as UTF-8 bytes: words that contain it, or an inline name that
 * does (a byte search, which is a character search in UTF-8; the type check keeps a word id, which
 * instr would read as digits, out of it).
 */
const NAME_CONTAINS = `(q.name IN (SELECT id FROM querylog_text WHERE instr(text, ?) > 0)
  OR (typeof(q.name) = 'blob' AND instr(q.name, ?) > 0))`;

export interface RawRow {
  id: number; time: number; client: string | null; name: string | null; type: string | null; action: number;
  service: string | null; rule: string | null; exemption: string | null; rcode: string | null; latency_us: number;
  upstream: string | null; cached: number;
}

/**
 * Reads of the query log on the main thread's connection (WAL lets them run beside the writer
 * thread). Rows hold dictionary ids, so a filter's words are looked up first: a client or service
 * that was never logged answers an empty page without touching the rows. A name substring cannot be
 * answered that way, as names met once, and every name under load, are stored in their rows, not in
 * the dictionary: it is a residual filter like the others, checked row by row within the scan budget,
 * so a name never logged pages back through the log in partial pages (about 20 ms each over 2,000,000
 * rows, bench/querylog.ts) instead of getting one empty page at once.
 */
export class QueryLogReader {
  readonly #db: Database;
  readonly #scanBudget: number;
  readonly #textId: Statement;

  constructor(db: Database, options: { scanBudget: number }) {
    this.#db = db;
    this.#scanBudget = options.scanBudget;
    this.#textId = db.prepare('SELECT id FROM querylog_text WHERE text = ?').pluck();
  }

  query(filter: QueryLogFilter, options: QueryLogPageOptions): QueryLogPage {
    const limit = Math.max(1, Math.min(options.limit ?? 100, 1000));
    const cursor = options.cursor === undefined ? undefined : decodeCursor(options.cursor, 2) as [number, number];
    const client = filter.client === undefined ? undefined : this.#textId.get(filter.client) as number | undefined;
    const service = filter.service === undefined ? undefined : this.#textId.get(filter.service) as number | undefined;
    const needle = filter.name === undefined || filter.name === '' ? undefined : filter.name.toLowerCase();
    if ((filter.client !== undefined && client === undefined) || (filter.service !== undefined && service === undefined)) {
      return { rows: [], nextCursor: null, partial: false };
    }
    const action = filter.action === undefined ? undefined : ACTION_CODES[filter.action];

    // The one equality filter that picks the index; the others are checked row by row. The action
    // index leaves out 'allow' (most rows), so that filter walks the time order instead.
    const where: string[] = [];
    const params: number[] = [];
    let from: string;
    let residualService = service !== undefined;
    let residualAction = action !== undefined;
    if (client !== undefined) {
      from = 'querylog AS q INDEXED BY querylog_client_time';
      where.push('q.client = ?');
      params.push(client);
    } else if (service !== undefined) {
      from = 'querylog AS q INDEXED BY querylog_service_time';
      where.push('q.service = ?');
      params.push(service);
      residualService = false;
    } else if (action !== undefined && action !== ACTION_CODES.allow) {
      // The literal `<> 0` repeats the partial index's condition so that SQLite may use it.
      from = 'querylog AS q INDEXED BY querylog_action_time';
      where.push('q.action = ? AND q.action <> 0');
      params.push(action);
      residualAction = false;
    } else {
      from = 'querylog AS q NOT INDEXED';
    }
    if (filter.since !== undefined) { where.push('q.time >= ?'); params.push(filter.since); }
    if (filter.until !== undefined) { where.push('q.time < ?'); params.push(filter.until); }
    if (cursor !== undefined) { where.push('(q.time, q.id) < (?, ?)'); params.push(cursor[0], cursor[1]); }

    const residual: string[] = [];
    const residualParams: (string | number | Buffer)[] = [];
    if (residualService && service !== undefined) { residual.push('q.service = ?'); residualParams.push(service); }
    if (residualAction && action !== undefined) { residual.push('q.action = ?'); residualParams.push(action); }
    if (needle !== undefined) {
      residual.push(NAME_CONTAINS);
      residualParams.push(needle, Buffer.from(needle, 'utf8'));
    }

    const order = 'ORDER BY q.time DESC, q.id DESC';
    let boundary: { time: number; id: number } | undefined;
    if (residual.length > 0) {
      // Rows that the residual filters may reject are bounded: find the budget-th candidate through the
      // index alone and scan no further back than it on this page.
      boundary = this.#db.prepare(`SELECT q.time, q.id FROM ${from} ${clause(where)} ${order} LIMIT 1 OFFSET ?`)
        .get(...params, this.#scanBudget - 1) as { time: number; id: number } | undefined;
      if (boundary !== undefined) {
        where.push('(q.time, q.id) >= (?, ?)');
        params.push(boundary.time, boundary.id);
      }
    }
    const raw = this.#db.prepare(`SELECT ${COLUMNS} FROM ${from} ${clause([...where, ...residual])} ${order} LIMIT ?`)
      .all(...params, ...residualParams, limit + 1) as RawRow[];
    const rows = raw.slice(0, limit).map(toRow);
    const last = rows[rows.length - 1];
    if (raw.length > limit && last !== undefined) {
      return { rows, nextCursor: encodeCursor([last.time, last.id]), partial: false };
    }
    if (boundary !== undefined) {
      return { rows, nextCursor: encodeCursor([boundary.time, boundary.id]), partial: rows.length < limit };
    }
    return { rows, nextCursor: null, partial: false };
  }

  queriesPerMinute(since: number, until: number): MinuteCount[] {
    return this.#db.prepare('SELECT minute, total, blocked FROM querylog_minute WHERE minute >= ? AND minute < ? ORDER BY minute')
      .all(floorMinute(since), until) as MinuteCount[];
  }

  blockedByService(since: number, until: number): ServiceCount[] {
    const rows = this.#db.prepare(`SELECT service, SUM(count) AS count FROM querylog_blocked_minute
      WHERE minute >= ? AND minute < ? GROUP BY service ORDER BY count DESC, service`)
      .all(floorMinute(since), until) as { service: string; count: number }[];
    return rows.map((r) => ({ service: r.service === '' ? null : r.service, count: r.count }));
  }

  wouldBlockByService(since: number, until: number): ServiceCount[] {
    return wouldBlockByService(this.#db, since, until);
  }

  blockedByClient(since: number, until: number, limit?: number): ClientCount[] {
    return this.#db.prepare(`SELECT client, SUM(count) AS count FROM querylog_blocked_minute
      WHERE minute >= ? AND minute < ? GROUP BY client ORDER BY count DESC, client LIMIT ?`)
      .all(floorMinute(since), until, limit ?? -1) as ClientCount[];
  }
}

/** Rows a rule on trial would have blocked, read from the rows themselves (the partial action index keeps it to them). */
function wouldBlockByService(db: Database, since: number, until: number): ServiceCount[] {
  const rows = db.prepare(`SELECT (SELECT text FROM querylog_text WHERE id = q.service) AS service, COUNT(*) AS count
    FROM querylog AS q INDEXED BY querylog_action_time WHERE q.action = ? AND q.action <> 0 AND q.time >= ? AND q.time < ?
    GROUP BY q.service ORDER BY count DESC, service`)
    .all(ACTION_CODES.monitor, since, until) as { service: string | null; count: number }[];
  return rows.map((r) => ({ service: r.service === '' ? null : r.service, count: r.count }));
}

function clause(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

function floorMinute(t: number): number {
  return Math.floor(t / MINUTE) * MINUTE;
}

function toRow(r: RawRow): QueryLogRow {
  return {
    id: r.id, time: r.time, client: r.client ?? '', name: r.name ?? '', type: r.type ?? '', action: ACTIONS_BY_CODE[r.action] ?? 'error',
    service: r.service, rule: r.rule, exemption: r.exemption, rcode: r.rcode ?? '', latencyMs: r.latency_us / 1000,
    upstream: r.upstream, cached: r.cached === 1,
  };
}
