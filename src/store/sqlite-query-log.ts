import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import { decodeCursor, encodeCursor } from './cursor.js';
import type {
  ClientCount, MinuteCount, QueryLogEntry, QueryLogFilter, QueryLogPage, QueryLogPageOptions, QueryLogRow,
  QueryLogStats, QueryLogStore, ServiceCount,
} from './types.js';

export interface SqliteQueryLogOptions {
  logger?: Logger | undefined;
  /** Rows older than this many days are pruned. @default 30 */
  retentionDays?: number | undefined;
  /** Longest time an entry waits in memory. @default 250 */
  flushIntervalMs?: number | undefined;
  /** A buffer this long is flushed at once (on the next turn of the event loop). @default 5000 */
  batchSize?: number | undefined;
  /** Entries beyond this many unflushed ones are dropped and counted. @default 100000 */
  maxBuffer?: number | undefined;
  /**
   * Candidate rows one page may examine when filters cannot all be served by one index; bounds the
   * time of a page whatever the table size. @default 100000
   */
  scanBudget?: number | undefined;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const PRUNE_CHUNK = 5000;
const COLUMNS = 'id, time, client, name, type, action, service, rule, exemption, rcode, latency_ms, upstream, cached';

interface RawRow {
  id: number; time: number; client: string; name: string; type: string; action: QueryLogRow['action'];
  service: string | null; rule: string | null; exemption: string | null; rcode: string; latency_ms: number;
  upstream: string | null; cached: number;
}

/**
 * The query log on SQLite. `append` only pushes to memory; a timer (or, for a full batch, the next
 * turn of the event loop) writes the buffer in one transaction, so the DNS path never waits on disk.
 * Each flush also updates the per-minute aggregates that the overview reads.
 */
export class SqliteQueryLog implements QueryLogStore {
  readonly #db: Database;
  readonly #logger: Logger | undefined;
  readonly #retentionMs: number;
  readonly #flushIntervalMs: number;
  readonly #batchSize: number;
  readonly #maxBuffer: number;
  readonly #scanBudget: number;
  #buffer: QueryLogEntry[] = [];
  #timer: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;
  #closed = false;
  #dropped = 0;
  #failed = 0;
  #written = 0;
  readonly #insert: Statement;
  readonly #upsertMinute: Statement;
  readonly #upsertBlocked: Statement;

  constructor(db: Database, options: SqliteQueryLogOptions) {
    this.#db = db;
    this.#logger = options.logger;
    this.#retentionMs = (options.retentionDays ?? 30) * DAY;
    this.#flushIntervalMs = options.flushIntervalMs ?? 250;
    this.#batchSize = options.batchSize ?? 5000;
    this.#maxBuffer = options.maxBuffer ?? 100_000;
    this.#scanBudget = options.scanBudget ?? 100_000;
    this.#insert = db.prepare(`INSERT INTO querylog (time, client, name, type, action, service, rule, exemption,
      rcode, latency_ms, upstream, cached) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#upsertMinute = db.prepare(`INSERT INTO querylog_minute (minute, total, blocked) VALUES (?, ?, ?)
      ON CONFLICT (minute) DO UPDATE SET total = total + excluded.total, blocked = blocked + excluded.blocked`);
    this.#upsertBlocked = db.prepare(`INSERT INTO querylog_blocked_minute (minute, client, service, count)
      VALUES (?, ?, ?, ?) ON CONFLICT (minute, client, service) DO UPDATE SET count = count + excluded.count`);
  }

  append(entry: QueryLogEntry): void {
    if (this.#closed || this.#buffer.length >= this.#maxBuffer) {
      this.#dropped++;
      return;
    }
    this.#buffer.push(entry);
    if (this.#buffer.length >= this.#batchSize) {
      this.#immediate ??= setImmediate(() => { this.#immediate = null; this.#flushBuffer(); });
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => { this.#timer = null; this.#flushBuffer(); }, this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  async flush(): Promise<void> {
    this.#flushBuffer();
  }

  /** Flush, stop the timers and refuse (count as dropped) further entries. */
  close(): void {
    this.#flushBuffer();
    this.#closed = true;
  }

  stats(): QueryLogStats {
    return { buffered: this.#buffer.length, dropped: this.#dropped, failed: this.#failed, written: this.#written };
  }

  #flushBuffer(): void {
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null; }
    if (this.#immediate !== null) { clearImmediate(this.#immediate); this.#immediate = null; }
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    try {
      this.insertMany(batch);
    } catch (err) {
      // Losing log rows beats stalling DNS: count them, say why once per failing flush.
      this.#failed += batch.length;
      this.#logger?.error({ err, rows: batch.length }, 'query log flush failed; rows dropped');
    }
  }

  /**
   * Write entries synchronously, in transactions of up to 50,000 rows, aggregates included. The flush
   * path uses it; tests and benchmarks use it to load many rows quickly.
   */
  insertMany(entries: Iterable<QueryLogEntry>): number {
    let chunk: QueryLogEntry[] = [];
    let total = 0;
    for (const entry of entries) {
      chunk.push(entry);
      if (chunk.length >= 50_000) { total += this.#writeChunk(chunk); chunk = []; }
    }
    if (chunk.length > 0) total += this.#writeChunk(chunk);
    return total;
  }

  #writeChunk(chunk: readonly QueryLogEntry[]): number {
    const minutes = new Map<number, { total: number; blocked: number }>();
    const blocked = new Map<string, { minute: number; client: string; service: string; count: number }>();
    this.#db.transaction(() => {
      for (const e of chunk) {
        this.#insert.run(e.time, e.client, e.name.toLowerCase(), e.type, e.action, e.service, e.rule, e.exemption,
          e.rcode, e.latencyMs, e.upstream, e.cached ? 1 : 0);
        const minute = Math.floor(e.time / MINUTE) * MINUTE;
        let m = minutes.get(minute);
        if (m === undefined) { m = { total: 0, blocked: 0 }; minutes.set(minute, m); }
        m.total++;
        if (e.action === 'block') {
          m.blocked++;
          const service = e.service ?? '';
          const key = `${minute}\u0000${e.client}\u0000${service}`;
          const b = blocked.get(key);
          if (b === undefined) blocked.set(key, { minute, client: e.client, service, count: 1 });
          else b.count++;
        }
      }
      for (const [minute, m] of minutes) this.#upsertMinute.run(minute, m.total, m.blocked);
      for (const b of blocked.values()) this.#upsertBlocked.run(b.minute, b.client, b.service, b.count);
    })();
    this.#written += chunk.length;
    return chunk.length;
  }

  async query(filter: QueryLogFilter, options: QueryLogPageOptions = {}): Promise<QueryLogPage> {
    const limit = Math.max(1, Math.min(options.limit ?? 100, 1000));
    // The one equality filter that picks the index; the others are checked row by row.
    const indexed: { index: string; column: string; value: string } =
      filter.client !== undefined ? { index: 'querylog_client_time', column: 'client', value: filter.client }
        : filter.service !== undefined ? { index: 'querylog_service_time', column: 'service', value: filter.service }
          : filter.action !== undefined ? { index: 'querylog_action_time', column: 'action', value: filter.action }
            : { index: 'querylog_time', column: '', value: '' };
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (indexed.column !== '') { where.push(`${indexed.column} = ?`); params.push(indexed.value); }
    if (filter.since !== undefined) { where.push('time >= ?'); params.push(filter.since); }
    if (filter.until !== undefined) { where.push('time < ?'); params.push(filter.until); }
    if (options.cursor !== undefined) {
      const [time, id] = decodeCursor(options.cursor, 2) as [number, number];
      where.push('time <= ? AND (time < ? OR id < ?)');
      params.push(time, time, id);
    }

    const residual: string[] = [];
    const residualParams: (string | number)[] = [];
    if (filter.service !== undefined && indexed.column !== 'service') { residual.push('service = ?'); residualParams.push(filter.service); }
    if (filter.action !== undefined && indexed.column !== 'action') { residual.push('action = ?'); residualParams.push(filter.action); }
    if (filter.name !== undefined && filter.name !== '') { residual.push('instr(name, ?) > 0'); residualParams.push(filter.name.toLowerCase()); }

    const from = `FROM querylog INDEXED BY ${indexed.index}`;
    const order = 'ORDER BY time DESC, id DESC';
    let boundary: { time: number; id: number } | undefined;
    if (residual.length > 0) {
      // Rows that the residual filters may reject are bounded: find the budget-th candidate through the
      // index alone (no table reads) and scan no further back than it on this page.
      boundary = this.#db.prepare(`SELECT time, id ${from} ${clause(where)} ${order} LIMIT 1 OFFSET ?`)
        .get(...params, this.#scanBudget - 1) as { time: number; id: number } | undefined;
      if (boundary !== undefined) {
        where.push('time >= ? AND (time > ? OR id >= ?)');
        params.push(boundary.time, boundary.time, boundary.id);
      }
    }
    const raw = this.#db.prepare(`SELECT ${COLUMNS} ${from} ${clause([...where, ...residual])} ${order} LIMIT ?`)
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

  async prune(now: number): Promise<number> {
    const cutoff = now - this.#retentionMs;
    const del = this.#db.prepare(
      'DELETE FROM querylog WHERE id IN (SELECT id FROM querylog INDEXED BY querylog_time WHERE time < ? ORDER BY time LIMIT ?)');
    let deleted = 0;
    for (;;) {
      const { changes } = del.run(cutoff, PRUNE_CHUNK);
      deleted += changes;
      if (changes < PRUNE_CHUNK) break;
      // Let DNS and the console run between chunks.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#closed) return deleted;
    }
    this.#db.prepare('DELETE FROM querylog_minute WHERE minute < ?').run(cutoff - MINUTE);
    this.#db.prepare('DELETE FROM querylog_blocked_minute WHERE minute < ?').run(cutoff - MINUTE);
    if (deleted > 0) this.#logger?.info({ deleted, cutoff: new Date(cutoff).toISOString() }, 'query log pruned');
    return deleted;
  }

  async queriesPerMinute(since: number, until: number): Promise<MinuteCount[]> {
    return this.#db.prepare('SELECT minute, total, blocked FROM querylog_minute WHERE minute >= ? AND minute < ? ORDER BY minute')
      .all(floorMinute(since), until) as MinuteCount[];
  }

  async blockedByService(since: number, until: number): Promise<ServiceCount[]> {
    const rows = this.#db.prepare(`SELECT service, SUM(count) AS count FROM querylog_blocked_minute
      WHERE minute >= ? AND minute < ? GROUP BY service ORDER BY count DESC, service`)
      .all(floorMinute(since), until) as { service: string; count: number }[];
    return rows.map((r) => ({ service: r.service === '' ? null : r.service, count: r.count }));
  }

  async blockedByClient(since: number, until: number, limit?: number): Promise<ClientCount[]> {
    return this.#db.prepare(`SELECT client, SUM(count) AS count FROM querylog_blocked_minute
      WHERE minute >= ? AND minute < ? GROUP BY client ORDER BY count DESC, client LIMIT ?`)
      .all(floorMinute(since), until, limit ?? -1) as ClientCount[];
  }
}

function clause(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

function floorMinute(t: number): number {
  return Math.floor(t / MINUTE) * MINUTE;
}

function toRow(r: RawRow): QueryLogRow {
  return {
    id: r.id, time: r.time, client: r.client, name: r.name, type: r.type, action: r.action, service: r.service,
    rule: r.rule, exemption: r.exemption, rcode: r.rcode, latencyMs: r.latency_ms, upstream: r.upstream,
    cached: r.cached === 1,
  };
}
