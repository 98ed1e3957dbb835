import type { Db } from './guarded-pool.js';
import type { Exemption, ExemptionDraft, ExemptionStatus, ExemptionStore } from '../types.js';

interface RawExemption {
  id: string; name: string; groups: string[]; clients: string[]; allow: string[]; from_time: string | null;
  until_time: string; reason: string; created_by: string; created_at: string; revoked_at: string | null; revoked_by: string | null;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));
const toExemption = (r: RawExemption): Exemption => ({
  id: Number(r.id), name: r.name, groups: r.groups, clients: r.clients, allow: r.allow, from: num(r.from_time),
  until: Number(r.until_time), reason: r.reason, createdBy: r.created_by, createdAt: Number(r.created_at),
  revokedAt: num(r.revoked_at), revokedBy: r.revoked_by,
});

/** SQL condition selecting each status at $1 (now). */
const STATUS_SQL: Record<ExemptionStatus, string> = {
  revoked: 'revoked_at IS NOT NULL',
  expired: 'revoked_at IS NULL AND until_time <= $1',
  pending: 'revoked_at IS NULL AND until_time > $1 AND from_time IS NOT NULL AND from_time > $1',
  active: 'revoked_at IS NULL AND until_time > $1 AND (from_time IS NULL OR from_time <= $1)',
};

/** The console's exemptions in the shared store. Revoking keeps the row, for the record. */
export class PgExemptionStore implements ExemptionStore {
  readonly #pool: Db;
  readonly #now: () => number;

  constructor(pool: Db, now: () => number) {
    this.#pool = pool;
    this.#now = now;
  }

  async create(draft: ExemptionDraft): Promise<Exemption> {
    const createdAt = this.#now();
    const r = await this.#pool.query<{ id: string }>(`INSERT INTO exemptions (name, groups, clients, allow, from_time, until_time,
      reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, [
      draft.name, JSON.stringify(draft.groups), JSON.stringify(draft.clients), JSON.stringify(draft.allow), draft.from,
      draft.until, draft.reason, draft.createdBy, createdAt]);
    return { ...draft, id: Number(r.rows[0]?.id), createdAt, revokedAt: null, revokedBy: null };
  }

  async get(id: number): Promise<Exemption | null> {
    const r = (await this.#pool.query<RawExemption>('SELECT * FROM exemptions WHERE id = $1', [id])).rows[0];
    return r === undefined ? null : toExemption(r);
  }

  async list(options: { now: number; status?: ExemptionStatus }): Promise<Exemption[]> {
    if (options.status === undefined) {
      return (await this.#pool.query<RawExemption>('SELECT * FROM exemptions ORDER BY id DESC')).rows.map(toExemption);
    }
    const sql = STATUS_SQL[options.status];
    // $1 must appear for the parameter to be typed; the revoked condition does not use it.
    const where = sql.includes('$1') ? sql : `${sql} AND $1::bigint IS NOT NULL`;
    return (await this.#pool.query<RawExemption>(`SELECT * FROM exemptions WHERE ${where} ORDER BY id DESC`, [options.now]))
      .rows.map(toExemption);
  }

  async effective(now: number): Promise<Exemption[]> {
    return (await this.#pool.query<RawExemption>('SELECT * FROM exemptions WHERE revoked_at IS NULL AND until_time > $1 ORDER BY id', [now]))
      .rows.map(toExemption);
  }

  async revoke(id: number, by: string, at: number): Promise<Exemption | null> {
    await this.#pool.query('UPDATE exemptions SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL', [at, by, id]);
    return this.get(id);
  }
}
