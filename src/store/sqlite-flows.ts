/**
 * Flow aggregates on SQLite: rows per minute by (client, group, service) and by unresolved remote
 * prefix, summed on conflict so that any number of drains of the same minute add up; reports group
 * them by service, group or client over a time range. The decoder's template snapshot lives here too.
 */
import type { Database, Statement } from 'better-sqlite3';

/** One minute's sums for a (client, group, service). */
export interface FlowMinuteRow {
  /** Epoch ms of the minute's start. */
  minute: number;
  client: string;
  group: string;
  service: string;
  bytes: number;
  packets: number;
  flows: number;
}

export interface FlowRemoteRow {
  minute: number;
  prefix: string;
  bytes: number;
  packets: number;
  flows: number;
}

/** What a traffic report groups by. */
export const TRAFFIC_KEYS = ['service', 'group', 'client'] as const;
export type TrafficKey = (typeof TRAFFIC_KEYS)[number];

/** One row of a traffic report. */
export interface TrafficTotal {
  key: string;
  bytes: number;
  packets: number;
  flows: number;
}

export interface TrafficRange {
  /** Epoch ms, inclusive: minutes starting at or after it. */
  from?: number;
  /** Epoch ms, exclusive: minutes starting before it. */
  to?: number;
  /** Only the sums this gateway collected (`storage.gatewayName`); on the SQLite back-end every row is this gateway's. */
  gateway?: string;
}

/** The flow repository: what a columnar back-end would implement instead. */
export interface FlowStore {
  add(rows: readonly FlowMinuteRow[], remotes: readonly FlowRemoteRow[]): Promise<void>;
  /** Totals by `by` over `range`, most bytes first. */
  traffic(by: TrafficKey, range?: TrafficRange): Promise<TrafficTotal[]>;
  /**
   * Bytes by `by` per bucket of `bucketMs` (a multiple of a minute) over `range`, oldest first.
   * Buckets start where epoch ms + `offsetMs` is a multiple of `bucketMs` (a local day: the zone's
   * UTC offset). @default offsetMs 0
   */
  series(by: TrafficKey, bucketMs: number, range?: TrafficRange, offsetMs?: number): Promise<{ time: number; key: string; bytes: number }[]>;
  /** Unresolved remote prefixes with the most bytes over `range`. */
  topRemotes(range?: TrafficRange, limit?: number): Promise<TrafficTotal[]>;
  /** Delete minutes before `before` (epoch ms); returns rows deleted. */
  prune(before: number): Promise<number>;
  loadTemplates(): Promise<string | null>;
  saveTemplates(snapshot: string, now: number): Promise<void>;
}

const COLUMN: Record<TrafficKey, string> = { service: 'service', group: 'grp', client: 'client' };

export class SqliteFlowStore implements FlowStore {
  readonly #db: Database;
  readonly #addRow: Statement;
  readonly #addRemote: Statement;
  readonly #add: (rows: readonly FlowMinuteRow[], remotes: readonly FlowRemoteRow[]) => void;

  constructor(db: Database) {
    this.#db = db;
    this.#addRow = db.prepare(`INSERT INTO flow_minute (minute, client, grp, service, bytes, packets, flows) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (minute, client, grp, service) DO UPDATE SET bytes = bytes + excluded.bytes, packets = packets + excluded.packets, flows = flows + excluded.flows`);
    this.#addRemote = db.prepare(`INSERT INTO flow_remote_minute (minute, prefix, bytes, packets, flows) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (minute, prefix) DO UPDATE SET bytes = bytes + excluded.bytes, packets = packets + excluded.packets, flows = flows + excluded.flows`);
    this.#add = db.transaction((rows: readonly FlowMinuteRow[], remotes: readonly FlowRemoteRow[]) => {
      for (const r of rows) this.#addRow.run(r.minute, r.client, r.group, r.service, r.bytes, r.packets, r.flows);
      for (const r of remotes) this.#addRemote.run(r.minute, r.prefix, r.bytes, r.packets, r.flows);
    });
  }

  async add(rows: readonly FlowMinuteRow[], remotes: readonly FlowRemoteRow[]): Promise<void> {
    if (rows.length > 0 || remotes.length > 0) this.#add(rows, remotes);
  }

  async traffic(by: TrafficKey, range: TrafficRange = {}): Promise<TrafficTotal[]> {
    const column = COLUMN[by];
    return this.#db.prepare(`SELECT ${column} AS key, sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows
      FROM flow_minute WHERE minute >= ? AND minute < ? GROUP BY ${column} ORDER BY bytes DESC, key`)
      .all(range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER) as TrafficTotal[];
  }

  async series(by: TrafficKey, bucketMs: number, range: TrafficRange = {}, offsetMs = 0): Promise<{ time: number; key: string; bytes: number }[]> {
    const column = COLUMN[by];
    return this.#db.prepare(`SELECT minute - (minute + ?) % ? AS time, ${column} AS key, sum(bytes) AS bytes
      FROM flow_minute WHERE minute >= ? AND minute < ? GROUP BY time, ${column} ORDER BY time, bytes DESC`)
      .all(offsetMs, bucketMs, range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER) as { time: number; key: string; bytes: number }[];
  }

  async topRemotes(range: TrafficRange = {}, limit = 20): Promise<TrafficTotal[]> {
    return this.#db.prepare(`SELECT prefix AS key, sum(bytes) AS bytes, sum(packets) AS packets, sum(flows) AS flows
      FROM flow_remote_minute WHERE minute >= ? AND minute < ? GROUP BY prefix ORDER BY bytes DESC, key LIMIT ?`)
      .all(range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER, limit) as TrafficTotal[];
  }

  async prune(before: number): Promise<number> {
    const a = this.#db.prepare('DELETE FROM flow_minute WHERE minute < ?').run(before).changes;
    return a + this.#db.prepare('DELETE FROM flow_remote_minute WHERE minute < ?').run(before).changes;
  }

  async loadTemplates(): Promise<string | null> {
    const row = this.#db.prepare('SELECT snapshot FROM flow_templates WHERE id = 1').get() as { snapshot: string } | undefined;
    return row?.snapshot ?? null;
  }

  async saveTemplates(snapshot: string, now: number): Promise<void> {
    this.#db.prepare('INSERT INTO flow_templates (id, saved, snapshot) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET saved = excluded.saved, snapshot = excluded.snapshot').run(now, snapshot);
  }
}
