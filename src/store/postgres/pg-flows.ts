/**
 * Flow aggregates on the shared store: every gateway's per-minute sums, with the gateway that
 * collected them, so that each console shows the traffic of all (or of one, with the `gateway`
 * filter). The collector's sums go to the local SQLite tables first, as on the SQLite back-end, and
 * then to PostgreSQL, a statement per drain; while PostgreSQL is away they wait in memory (bounded,
 * the surplus counted and dropped) and reports read the local tables: this gateway's traffic only.
 */
import type { Logger } from 'pino';
import type { FlowMinuteRow, FlowRemoteRow, FlowStore, TrafficKey, TrafficRange, TrafficTotal } from '../sqlite-flows.js';
import type { Db } from './guarded-pool.js';

export interface SharedFlowStoreOptions {
  /** This gateway's local flow store: the first copy, the templates, the fallback for reports. */
  local: FlowStore;
  db: Db;
  gateway: string;
  logger?: Logger;
  /** Rows waiting for the store while it is away; more are dropped (counted). @default 100000 */
  maxHeld?: number;
  /** How often rows that waited are tried again. @default 5000 */
  retryMs?: number;
}

const COLUMN: Record<TrafficKey, string> = { service: 'service', group: 'grp', client: 'client' };
const ADD_ROWS = `INSERT INTO flow_minute AS f (minute, gateway, client, grp, service, bytes, packets, flows)
  SELECT u.minute, $1, u.client, u.grp, u.service, u.bytes, u.packets, u.flows
  FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[]) AS u(minute, client, grp, service, bytes, packets, flows)
  ON CONFLICT (minute, gateway, client, grp, service) DO UPDATE SET bytes = f.bytes + EXCLUDED.bytes, packets = f.packets + EXCLUDED.packets, flows = f.flows + EXCLUDED.flows`;
const ADD_REMOTES = `INSERT INTO flow_remote_minute AS f (minute, gateway, prefix, bytes, packets, flows)
  SELECT u.minute, $1, u.prefix, u.bytes, u.packets, u.flows
  FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(minute, prefix, bytes, packets, flows)
  ON CONFLICT (minute, gateway, prefix) DO UPDATE SET bytes = f.bytes + EXCLUDED.bytes, packets = f.packets + EXCLUDED.packets, flows = f.flows + EXCLUDED.flows`;

/** Sum rows of one key, so that a backlog is written once per key. */
function merge<T extends { bytes: number; packets: number; flows: number }>(rows: T[], key: (r: T) => string): T[] {
  const by = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    const was = by.get(k);
    if (was === undefined) by.set(k, { ...r });
    else { was.bytes += r.bytes; was.packets += r.packets; was.flows += r.flows; }
  }
  return [...by.values()];
}

export class SharedFlowStore implements FlowStore {
  readonly #local: FlowStore;
  readonly #db: Db;
  readonly #gateway: string;
  readonly #logger: Logger | undefined;
  readonly #maxHeld: number;
  #rows: FlowMinuteRow[] = [];
  #remotes: FlowRemoteRow[] = [];
  #writing: Promise<void> | null = null;
  #reachable = true;
  #timer: NodeJS.Timeout;
  /** Rows written to the shared tables, and rows dropped while the store was away. */
  readonly counts = { shipped: 0, dropped: 0 };

  constructor(options: SharedFlowStoreOptions) {
    this.#local = options.local;
    this.#db = options.db;
    this.#gateway = options.gateway;
    this.#logger = options.logger;
    this.#maxHeld = options.maxHeld ?? 100_000;
    this.#timer = setInterval(() => { void this.flush(); }, options.retryMs ?? 5_000);
    this.#timer.unref();
  }

  async add(rows: readonly FlowMinuteRow[], remotes: readonly FlowRemoteRow[]): Promise<void> {
    await this.#local.add(rows, remotes);
    const room = this.#maxHeld - this.#rows.length - this.#remotes.length;
    const take = Math.max(0, Math.min(room, rows.length + remotes.length));
    if (take < rows.length + remotes.length) this.counts.dropped += rows.length + remotes.length - take;
    this.#rows.push(...rows.slice(0, take));
    this.#remotes.push(...remotes.slice(0, Math.max(0, take - rows.length)));
    void this.flush();
  }

  /**
   * Write what waits to the shared tables, one write at a time; rows added during a write go in the
   * next. Resolves once nothing waits, or a write failed (they wait for the retry).
   */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#writing !== null) {
        await this.#writing;
        if (!this.#reachable) return;
        continue;
      }
      if (this.#rows.length === 0 && this.#remotes.length === 0) return;
      this.#writing = this.#write().finally(() => { this.#writing = null; });
      await this.#writing;
      if (!this.#reachable) return;
    }
  }

  async #write(): Promise<void> {
    const rows = merge(this.#rows, (r) => `${r.minute}\u0000${r.client}\u0000${r.group}\u0000${r.service}`);
    const remotes = merge(this.#remotes, (r) => `${r.minute}\u0000${r.prefix}`);
    this.#rows = [];
    this.#remotes = [];
    try {
      if (rows.length > 0) {
        await this.#db.query(ADD_ROWS, [this.#gateway, rows.map((r) => r.minute), rows.map((r) => r.client), rows.map((r) => r.group),
          rows.map((r) => r.service), rows.map((r) => r.bytes), rows.map((r) => r.packets), rows.map((r) => r.flows)]);
        this.counts.shipped += rows.length;
      }
      // Written rows are not written again if the remotes fail.
      rows.length = 0;
      if (remotes.length > 0) {
        await this.#db.query(ADD_REMOTES, [this.#gateway, remotes.map((r) => r.minute), remotes.map((r) => r.prefix),
          remotes.map((r) => r.bytes), remotes.map((r) => r.packets), remotes.map((r) => r.flows)]);
        this.counts.shipped += remotes.length;
      }
      if (!this.#reachable) this.#logger?.info('shared flow aggregates reachable again: the sums that waited are written');
      this.#reachable = true;
    } catch (err) {
      if (this.#reachable) this.#logger?.warn({ err: (err as Error).message }, 'shared flow aggregates unreachable: sums wait in memory, reports show this gateway\'s');
      this.#reachable = false;
      this.#rows = rows.concat(this.#rows);
      this.#remotes = remotes.concat(this.#remotes);
    }
  }

  /** Reads of every gateway's sums (or `range.gateway`'s); this gateway's local ones while the store is away. */
  async #read<T>(range: TrafficRange, shared: () => Promise<T[]>, local: () => Promise<T[]>): Promise<T[]> {
    try {
      return await shared();
    } catch (err) {
      this.#logger?.debug({ err: (err as Error).message }, 'shared flow aggregates unreadable: reporting the local ones');
      return range.gateway === undefined || range.gateway === this.#gateway ? local() : [];
    }
  }

  #where(range: TrafficRange, values: unknown[]): string {
    values.push(range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER);
    let where = `minute >= $${values.length - 1} AND minute < $${values.length}`;
    if (range.gateway !== undefined) {
      values.push(range.gateway);
      where += ` AND gateway = $${values.length}`;
    }
    return where;
  }

  async traffic(by: TrafficKey, range: TrafficRange = {}): Promise<TrafficTotal[]> {
    const column = COLUMN[by];
    return this.#read(range, async () => {
      const values: unknown[] = [];
      const where = this.#where(range, values);
      const r = await this.#db.query<{ key: string; bytes: string; packets: string; flows: string }>(`SELECT ${column} AS key, sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows
        FROM flow_minute WHERE ${where} GROUP BY ${column} ORDER BY sum(bytes) DESC, key`, values);
      return r.rows.map((x) => ({ key: x.key, bytes: Number(x.bytes), packets: Number(x.packets), flows: Number(x.flows) }));
    }, () => this.#local.traffic(by, range));
  }

  async series(by: TrafficKey, bucketMs: number, range: TrafficRange = {}, offsetMs = 0): Promise<{ time: number; key: string; bytes: number }[]> {
    const column = COLUMN[by];
    return this.#read(range, async () => {
      const values: unknown[] = [offsetMs, bucketMs];
      const where = this.#where(range, values);
      const r = await this.#db.query<{ time: string; key: string; bytes: string }>(`SELECT minute - (minute + $1::bigint) % $2::bigint AS time, ${column} AS key, sum(bytes) AS bytes
        FROM flow_minute WHERE ${where} GROUP BY 1, 2 ORDER BY 1, sum(bytes) DESC`, values);
      return r.rows.map((x) => ({ time: Number(x.time), key: x.key, bytes: Number(x.bytes) }));
    }, () => this.#local.series(by, bucketMs, range, offsetMs));
  }

  async topRemotes(range: TrafficRange = {}, limit = 20): Promise<TrafficTotal[]> {
    return this.#read(range, async () => {
      const values: unknown[] = [];
      const where = this.#where(range, values);
      values.push(limit);
      const r = await this.#db.query<{ key: string; bytes: string; packets: string; flows: string }>(`SELECT prefix AS key, sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows
        FROM flow_remote_minute WHERE ${where} GROUP BY prefix ORDER BY sum(bytes) DESC, key LIMIT $${values.length}`, values);
      return r.rows.map((x) => ({ key: x.key, bytes: Number(x.bytes), packets: Number(x.packets), flows: Number(x.flows) }));
    }, () => this.#local.topRemotes(range, limit));
  }

  /** Local minutes before `before`, and this gateway's shared ones (each gateway prunes its own). */
  async prune(before: number): Promise<number> {
    const local = await this.#local.prune(before);
    try {
      const a = await this.#db.query('DELETE FROM flow_minute WHERE gateway = $1 AND minute < $2', [this.#gateway, before]);
      const b = await this.#db.query('DELETE FROM flow_remote_minute WHERE gateway = $1 AND minute < $2', [this.#gateway, before]);
      return local + (a.rowCount ?? 0) + (b.rowCount ?? 0);
    } catch (err) {
      this.#logger?.debug({ err: (err as Error).message }, 'shared flow aggregates not pruned: next time');
      return local;
    }
  }

  loadTemplates(): Promise<string | null> {
    return this.#local.loadTemplates();
  }

  saveTemplates(snapshot: string, now: number): Promise<void> {
    return this.#local.saveTemplates(snapshot, now);
  }

  /** Stop retrying and write what waits, once. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
