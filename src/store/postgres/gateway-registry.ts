import type { Db } from './guarded-pool.js';

/** One gateway as the shared store knows it. */
export interface GatewayRecord {
  name: string;
  /** Where its console listens, `host:port`, as it announced itself. */
  address: string;
  version: string;
  startedAt: number;
  /** Epoch ms of its last heartbeat. */
  lastSeen: number;
  /** Queries a second it answered over its last heartbeat interval. */
  queriesPerSecond: number;
  /** Age of its oldest query-log row not yet in the shared log, ms, at its last heartbeat; null before it reported one. */
  storeLagMs: number | null;
}

/** What a gateway reports with each heartbeat. */
export interface GatewayBeat {
  queriesPerSecond: number;
  storeLagMs: number | null;
}

interface RawGateway {
  name: string; address: string; version: string; started_at: string; last_seen: string; queries_per_second: number; store_lag_ms: string | null;
}

/** The registry of gateways sharing one database: each announces itself at start and then beats. */
export class GatewayRegistry {
  readonly #pool: Db;
  readonly #now: () => number;

  constructor(pool: Db, now: () => number) {
    this.#pool = pool;
    this.#now = now;
  }

  /** Record (or replace) `gateway` as started now. */
  async announce(gateway: { name: string; address: string; version: string }): Promise<void> {
    const now = this.#now();
    await this.#pool.query(`INSERT INTO gateways (name, address, version, started_at, last_seen) VALUES ($1, $2, $3, $4, $4)
      ON CONFLICT (name) DO UPDATE SET address = EXCLUDED.address, version = EXCLUDED.version, started_at = EXCLUDED.started_at, last_seen = EXCLUDED.last_seen`,
    [gateway.name, gateway.address, gateway.version, now]);
  }

  /** Mark `name` as seen now, with what it reports. */
  async beat(name: string, report?: GatewayBeat): Promise<void> {
    if (report === undefined) {
      await this.#pool.query('UPDATE gateways SET last_seen = $2 WHERE name = $1', [name, this.#now()]);
      return;
    }
    await this.#pool.query('UPDATE gateways SET last_seen = $2, queries_per_second = $3, store_lag_ms = $4 WHERE name = $1',
      [name, this.#now(), report.queriesPerSecond, report.storeLagMs === null ? null : Math.round(report.storeLagMs)]);
  }

  /** Every gateway, by name. */
  async list(): Promise<GatewayRecord[]> {
    return (await this.#pool.query<RawGateway>('SELECT * FROM gateways ORDER BY name')).rows.map((r) => ({
      name: r.name, address: r.address, version: r.version, startedAt: Number(r.started_at), lastSeen: Number(r.last_seen),
      queriesPerSecond: Number(r.queries_per_second), storeLagMs: r.store_lag_ms === null ? null : Number(r.store_lag_ms),
    }));
  }
}
