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
}

interface RawGateway { name: string; address: string; version: string; started_at: string; last_seen: string }

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

  /** Mark `name` as seen now. */
  async beat(name: string): Promise<void> {
    await this.#pool.query('UPDATE gateways SET last_seen = $2 WHERE name = $1', [name, this.#now()]);
  }

  /** Every gateway, by name. */
  async list(): Promise<GatewayRecord[]> {
    return (await this.#pool.query<RawGateway>('SELECT * FROM gateways ORDER BY name')).rows.map((r) => ({
      name: r.name, address: r.address, version: r.version, startedAt: Number(r.started_at), lastSeen: Number(r.last_seen),
    }));
  }
}
