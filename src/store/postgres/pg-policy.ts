import type { Db } from './guarded-pool.js';

/** The policy document every gateway on the shared store runs. */
export interface SharedPolicy {
  text: string;
  /** 1 for the first document, one more on every save. */
  version: number;
  updatedAt: number;
  updatedBy: string;
  /** The gateway it was saved on. */
  gateway: string;
}

interface RawPolicy { text: string; version: number; updated_at: string; updated_by: string; gateway: string }

/** The shared policy document: one row, replaced whole on each save. */
export class PgPolicyDocument {
  readonly #db: Db;
  readonly #now: () => number;
  readonly #gateway: string;

  constructor(db: Db, now: () => number, gateway: string) {
    this.#db = db;
    this.#now = now;
    this.#gateway = gateway;
  }

  /** The document, or null before any gateway stored one. */
  async get(): Promise<SharedPolicy | null> {
    const r = (await this.#db.query<RawPolicy>('SELECT text, version, updated_at, updated_by, gateway FROM policy WHERE id = 1')).rows[0];
    return r === undefined ? null : { text: r.text, version: r.version, updatedAt: Number(r.updated_at), updatedBy: r.updated_by, gateway: r.gateway };
  }

  /** Store `text` as the first document unless one exists; returns the document in force either way. */
  async seed(text: string, by: string): Promise<SharedPolicy> {
    await this.#db.query(`INSERT INTO policy (id, text, version, updated_at, updated_by, gateway) VALUES (1, $1, 1, $2, $3, $4)
      ON CONFLICT (id) DO NOTHING`, [text, this.#now(), by, this.#gateway]);
    const doc = await this.get();
    if (doc === null) throw new Error('the shared policy document vanished after it was stored');
    return doc;
  }

  /** Replace the document; returns the new version. */
  async put(text: string, by: string): Promise<number> {
    const r = await this.#db.query<{ version: number }>(`INSERT INTO policy (id, text, version, updated_at, updated_by, gateway) VALUES (1, $1, 1, $2, $3, $4)
      ON CONFLICT (id) DO UPDATE SET text = EXCLUDED.text, version = policy.version + 1, updated_at = EXCLUDED.updated_at,
      updated_by = EXCLUDED.updated_by, gateway = EXCLUDED.gateway RETURNING version`, [text, this.#now(), by, this.#gateway]);
    return r.rows[0]?.version ?? 0;
  }
}
