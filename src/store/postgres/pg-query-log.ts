/**
 * The shared query log's reads: every gateway's rows and aggregates, as the console and `rambu log`
 * page through them. Pages are keyset-paginated on (time, seq), newest first; the daily partitions
 * are scanned newest first and a page stops as soon as it is full. A name substring, and every
 * equality filter but the first (a client with a rare action counts as one: it has its own index),
 * is checked row by row, so, as on SQLite, such a page examines at
 * most `scanBudget` candidate rows (found through the first filter's index) and says `partial` when
 * it stopped there: its time does not grow with the table.
 */
import { decodeCursor, encodeCursor } from '../cursor.js';
import { ACTION_CODES, ACTIONS_BY_CODE } from '../query-log-batch.js';
import type {
  ClientCount, MinuteCount, QueryLogFilter, QueryLogPage, QueryLogPageOptions, QueryLogRow, ServiceCount,
} from '../types.js';
import type { Db } from './guarded-pool.js';

const MINUTE = 60_000;

interface PgRow {
  seq: string; time: string; gateway: string; client: string; name: string; type: string; action: number;
  service: string | null; rule: string | null; exemption: string | null; rcode: string; latency_us: number;
  upstream: string | null; cached: boolean;
}

const COLUMNS = 'seq, time, gateway, client, name, type, action, service, rule, exemption, rcode, latency_us, upstream, cached';

function toRow(r: PgRow): QueryLogRow {
  return {
    id: Number(r.seq), time: Number(r.time), gateway: r.gateway, client: r.client, name: r.name, type: r.type,
    action: ACTIONS_BY_CODE[r.action] ?? 'error', service: r.service, rule: r.rule, exemption: r.exemption, rcode: r.rcode,
    latencyMs: r.latency_us / 1000, upstream: r.upstream, cached: r.cached,
  };
}

const floorMinute = (t: number): number => Math.floor(t / MINUTE) * MINUTE;

/** Reads of the shared query log. */
export class PgQueryLogReader {
  readonly #db: Db;
  readonly #scanBudget: number;

  constructor(db: Db, options: { scanBudget?: number } = {}) {
    this.#db = db;
    this.#scanBudget = options.scanBudget ?? 50_000;
  }

  async query(filter: QueryLogFilter, options: QueryLogPageOptions = {}): Promise<QueryLogPage> {
    const limit = Math.max(1, Math.min(options.limit ?? 100, 1000));
    const cursor = options.cursor === undefined ? undefined : decodeCursor(options.cursor, 2) as [number, number];
    // Conditions with `?` for their values, numbered when a statement is put together.
    const where: Condition[] = [];
    // Equality filters, most selective first: the first picks the index, the others are checked row by row.
    const equal: Condition[] = [];
    // A literal, so that the planner may use the partial indexes (action <> 0) for the rare actions.
    const code = filter.action === undefined ? undefined : ACTION_CODES[filter.action];
    const action = filter.action === undefined ? undefined : code === 0 ? 'action = 0' : `action = ${code} AND action <> 0`;
    // A client and a rare action together have an index of their own: one filter, not two.
    const clientAction = filter.client !== undefined && action !== undefined && code !== 0;
    if (filter.client !== undefined) equal.push([clientAction ? `client = ? AND ${action}` : 'client = ?', filter.client]);
    if (filter.service !== undefined) equal.push(['service = ?', filter.service]);
    if (action !== undefined && !clientAction) equal.push([action]);
    if (filter.gateway !== undefined) equal.push(['gateway = ?', filter.gateway]);
    if (filter.since !== undefined) where.push(['time >= ?', filter.since]);
    if (filter.until !== undefined) where.push(['time < ?', filter.until]);
    if (cursor !== undefined) where.push(['time <= ? AND (time, seq) < (?, ?)', cursor[0], cursor[0], cursor[1]]);
    const order = 'ORDER BY time DESC, seq DESC';
    const needle = filter.name === undefined || filter.name === '' ? undefined : filter.name.toLowerCase();
    let boundary: { time: string; seq: string } | undefined;
    if (needle !== undefined || equal.length > 1) {
      // Rows the other filters may reject are bounded: the budget-th candidate of the first filter
      // alone, through its index; this page looks no further back.
      const [text, values] = statement('SELECT time, seq FROM querylog', [...equal.slice(0, 1), ...where], `${order} OFFSET ${this.#scanBudget - 1} LIMIT 1`);
      boundary = (await this.#db.query<{ time: string; seq: string }>(text, values)).rows[0];
      if (boundary !== undefined) where.push(['time >= ? AND (time, seq) >= (?, ?)', boundary.time, boundary.time, boundary.seq]);
    }
    where.push(...equal);
    if (needle !== undefined) where.push(['strpos(name, ?) > 0', needle]);
    const [text, values] = statement(`SELECT ${COLUMNS} FROM querylog`, where, `${order} LIMIT ${limit + 1}`);
    const raw = (await this.#db.query<PgRow>(text, values)).rows;
    const rows = raw.slice(0, limit).map(toRow);
    const last = rows[rows.length - 1];
    if (raw.length > limit && last !== undefined) return { rows, nextCursor: encodeCursor([last.time, last.id]), partial: false };
    if (boundary !== undefined) {
      return { rows, nextCursor: encodeCursor([Number(boundary.time), Number(boundary.seq)]), partial: rows.length < limit };
    }
    return { rows, nextCursor: null, partial: false };
  }

  async queriesPerMinute(since: number, until: number): Promise<MinuteCount[]> {
    const r = await this.#db.query<{ minute: string; total: string; blocked: string }>(`SELECT minute, sum(total) AS total, sum(blocked) AS blocked
      FROM querylog_minute WHERE minute >= $1 AND minute < $2 GROUP BY minute ORDER BY minute`, [floorMinute(since), until]);
    return r.rows.map((x) => ({ minute: Number(x.minute), total: Number(x.total), blocked: Number(x.blocked) }));
  }

  async blockedByService(since: number, until: number): Promise<ServiceCount[]> {
    const r = await this.#db.query<{ service: string; count: string }>(`SELECT service, sum(count) AS count FROM querylog_blocked_minute
      WHERE minute >= $1 AND minute < $2 GROUP BY service ORDER BY count DESC, service`, [floorMinute(since), until]);
    return r.rows.map((x) => ({ service: x.service === '' ? null : x.service, count: Number(x.count) }));
  }

  async blockedByClient(since: number, until: number, limit?: number): Promise<ClientCount[]> {
    const r = await this.#db.query<{ client: string; count: string }>(`SELECT client, sum(count) AS count FROM querylog_blocked_minute
      WHERE minute >= $1 AND minute < $2 GROUP BY client ORDER BY count DESC, client ${limit === undefined ? '' : `LIMIT ${Math.max(0, Math.trunc(limit))}`}`,
    [floorMinute(since), until]);
    return r.rows.map((x) => ({ client: x.client, count: Number(x.count) }));
  }

  async wouldBlockByService(since: number, until: number): Promise<ServiceCount[]> {
    const r = await this.#db.query<{ service: string | null; count: string }>(`SELECT service, count(*) AS count FROM querylog
      WHERE action = ${ACTION_CODES.monitor} AND action <> 0 AND time >= $1 AND time < $2 GROUP BY service ORDER BY count DESC, service`, [since, until]);
    return r.rows.map((x) => ({ service: x.service === '' ? null : x.service, count: Number(x.count) }));
  }
}

/** SQL with `?` for each of the values that follow it. */
type Condition = [string, ...unknown[]];

/** `head WHERE conditions tail`, the `?` numbered `$1`, `$2`... in order, and their values. */
function statement(head: string, conditions: readonly Condition[], tail: string): [string, unknown[]] {
  const values: unknown[] = [];
  const parts = conditions.map(([sql, ...v]) => {
    let k = 0;
    const numbered = sql.replace(/\?/g, () => { values.push(v[k++]); return `$${values.length}`; });
    return numbered;
  });
  return [`${head} ${parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`} ${tail}`, values];
}
