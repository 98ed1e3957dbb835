/**
 * Shipping a gateway's query log into the shared one. Every row is written to the local SQLite log
 * first (its writer thread, as on the SQLite back-end); this copies the rows after the gateway's
 * mark, oldest id first, a batch at a time, into PostgreSQL: one statement per batch, whose arrays
 * `unnest()` into rows, that also adds the batch to the per-minute aggregates and moves the mark, so
 * a batch is in the shared log once or not at all. While PostgreSQL is unreachable the local log is
 * the buffer, on disk and bounded by its retention: rows it pruned before they were shipped are
 * counted as dropped (ids are consecutive, so they are the gap before the next row).
 */
import type { Database, Statement } from 'better-sqlite3';
import { COLUMNS, type RawRow } from '../query-log-reader.js';
import type { Db } from './guarded-pool.js';
import { DAY_MS, ensurePartitions } from './query-log-partitions.js';

/** Rows per shipped batch: about 1 MB of arrays, a few tens of ms of PostgreSQL's time. */
export const SHIP_BATCH = 5_000;

/** Make the local log findable by id (its key is time, id): once, cheap while new rows append at its end. */
export function prepareLocalLog(db: Database): void {
  db.exec('CREATE INDEX IF NOT EXISTS querylog_id ON querylog (id)');
}

const SHIP = `WITH mark AS (
    INSERT INTO querylog_shipped AS s (gateway, last_id, updated_at) VALUES ($1, $3, $4)
    ON CONFLICT (gateway) DO UPDATE SET last_id = EXCLUDED.last_id, updated_at = EXCLUDED.updated_at WHERE s.last_id = $2
    RETURNING 1
  ), shipped AS (
    INSERT INTO querylog (time, gateway, client, name, type, action, service, rule, exemption, rcode, latency_us, upstream, cached)
    SELECT u.time, $1, u.client, u.name, u.type, u.action, u.service, u.rule, u.exemption, u.rcode, u.latency_us, u.upstream, u.cached
    FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[], $9::smallint[], $10::text[], $11::text[], $12::text[],
      $13::text[], $14::integer[], $15::text[], $16::boolean[])
      AS u(time, client, name, type, action, service, rule, exemption, rcode, latency_us, upstream, cached)
    WHERE EXISTS (SELECT 1 FROM mark)
    RETURNING time, action, client, service
  ), minutes AS (
    INSERT INTO querylog_minute AS m (minute, gateway, total, blocked)
    SELECT time - time % 60000, $1, count(*), count(*) FILTER (WHERE action = 1) FROM shipped GROUP BY 1
    ON CONFLICT (minute, gateway) DO UPDATE SET total = m.total + EXCLUDED.total, blocked = m.blocked + EXCLUDED.blocked
    RETURNING 1
  ), blocked AS (
    INSERT INTO querylog_blocked_minute AS b (minute, gateway, client, service, count)
    SELECT time - time % 60000, $1, client, coalesce(service, ''), count(*) FROM shipped WHERE action = 1 GROUP BY 1, 3, 4
    ON CONFLICT (minute, gateway, client, service) DO UPDATE SET count = b.count + EXCLUDED.count
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM mark)::int AS marked, (SELECT count(*) FROM shipped)::int AS rows`;

/** Where one gateway's shipping stands. */
export interface ShipState {
  /** The last local id in the shared log; 0 before the first batch. */
  mark: number;
  /** Whether the shared store holds a mark for this gateway. */
  known: boolean;
}

export interface ShipResult {
  /** Rows written to the shared log by this call. */
  shipped: number;
  /** Rows the local log no longer held (pruned before they were shipped). */
  dropped: number;
  /** Whether rows after this batch were already waiting. */
  more: boolean;
}

/** Reads of the local log for shipping; statements prepared once. */
export class LocalLogSource {
  readonly #after: Statement;
  readonly #last: Statement;
  readonly #first: Statement;

  constructor(db: Database) {
    this.#after = db.prepare(`SELECT ${COLUMNS} FROM querylog AS q INDEXED BY querylog_id WHERE q.id > ? ORDER BY q.id LIMIT ?`);
    this.#last = db.prepare('SELECT max(id) FROM querylog').pluck();
    this.#first = db.prepare('SELECT time FROM querylog INDEXED BY querylog_id WHERE id > ? ORDER BY id LIMIT 1').pluck();
  }

  after(id: number, limit: number): RawRow[] {
    return this.#after.all(id, limit) as RawRow[];
  }

  /** The highest id the local log holds, 0 when empty. */
  lastId(): number {
    return (this.#last.get() as number | null) ?? 0;
  }

  /** The time of the oldest row after `id`, or null when there is none. */
  firstTimeAfter(id: number): number | null {
    return (this.#first.get(id) as number | undefined) ?? null;
  }
}

/** Read this gateway's mark from the shared store. */
export async function readMark(db: Db, gateway: string): Promise<ShipState> {
  const r = await db.query<{ last_id: string }>('SELECT last_id FROM querylog_shipped WHERE gateway = $1', [gateway]);
  const row = r.rows[0];
  return row === undefined ? { mark: 0, known: false } : { mark: Number(row.last_id), known: true };
}

/**
 * Ship the next batch after `state.mark` and move the mark (in `state` too). A mark moved meanwhile
 * by someone else (two processes shipping under one gateway name) ships nothing: `state` is read
 * again and the next call goes on from there. A local log that was started afresh (its last id below
 * the mark) is shipped from its start.
 */
export async function shipBatch(source: LocalLogSource, db: Db, gateway: string, state: ShipState, options: { now: number; batch?: number; days?: Set<number> }): Promise<ShipResult> {
  const limit = options.batch ?? SHIP_BATCH;
  const last = source.lastId();
  const from = state.mark > last ? 0 : state.mark;
  const rows = source.after(from, limit);
  if (rows.length === 0) return { shipped: 0, dropped: 0, more: false };
  const first = rows[0]!;
  const dropped = state.known && from > 0 ? Math.max(0, first.id - from - 1) : 0;
  const n = rows.length;
  const time = new Array<number>(n); const client = new Array<string>(n); const name = new Array<string>(n);
  const type = new Array<string>(n); const action = new Array<number>(n); const service = new Array<string | null>(n);
  const rule = new Array<string | null>(n); const exemption = new Array<string | null>(n); const rcode = new Array<string>(n);
  const latency = new Array<number>(n); const upstream = new Array<string | null>(n); const cached = new Array<boolean>(n);
  let oldest = Infinity;
  let newest = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    time[i] = r.time; client[i] = r.client ?? ''; name[i] = r.name ?? ''; type[i] = r.type ?? ''; action[i] = r.action;
    service[i] = r.service; rule[i] = r.rule; exemption[i] = r.exemption; rcode[i] = r.rcode ?? '';
    latency[i] = r.latency_us; upstream[i] = r.upstream; cached[i] = r.cached === 1;
    if (r.time < oldest) oldest = r.time;
    if (r.time > newest) newest = r.time;
  }
  // The days this batch needs, made unless known to exist (a missing one fails the whole statement).
  const days = options.days ?? new Set<number>();
  let need = false;
  for (let d = Math.floor(oldest / DAY_MS) * DAY_MS; d <= newest; d += DAY_MS) if (!days.has(d)) need = true;
  if (need) {
    await ensurePartitions(db, oldest, newest);
    for (let d = Math.floor(oldest / DAY_MS) * DAY_MS; d <= newest; d += DAY_MS) days.add(d);
  }
  const lastId = rows[n - 1]!.id;
  const r = await db.query<{ marked: number; rows: number }>(SHIP, [gateway, state.mark, lastId, options.now,
    time, client, name, type, action, service, rule, exemption, rcode, latency, upstream, cached]);
  if (r.rows[0]?.marked !== 1) {
    Object.assign(state, await readMark(db, gateway));
    return { shipped: 0, dropped: 0, more: true };
  }
  state.mark = lastId;
  state.known = true;
  return { shipped: r.rows[0].rows, dropped, more: n === limit };
}
