import type { Database } from 'better-sqlite3';
import type { Exemption, ExemptionDraft, ExemptionStatus, ExemptionStore } from './types.js';

interface RawExemption {
  id: number; name: string; groups_json: string; clients_json: string; allow_json: string; from_time: number | null;
  until_time: number; reason: string; created_by: string; created_at: number; revoked_at: number | null; revoked_by: string | null;
}

const toExemption = (r: RawExemption): Exemption => ({
  id: r.id, name: r.name, groups: JSON.parse(r.groups_json) as string[], clients: JSON.parse(r.clients_json) as string[],
  allow: JSON.parse(r.allow_json) as string[], from: r.from_time, until: r.until_time, reason: r.reason,
  createdBy: r.created_by, createdAt: r.created_at, revokedAt: r.revoked_at, revokedBy: r.revoked_by,
});

/** SQL condition selecting each status at `?` (now), as a function of how many times it needs now. */
const STATUS_SQL: Record<ExemptionStatus, { sql: string; nows: number }> = {
  revoked: { sql: 'revoked_at IS NOT NULL', nows: 0 },
  expired: { sql: 'revoked_at IS NULL AND until_time <= ?', nows: 1 },
  pending: { sql: 'revoked_at IS NULL AND until_time > ? AND from_time IS NOT NULL AND from_time > ?', nows: 2 },
  active: { sql: 'revoked_at IS NULL AND until_time > ? AND (from_time IS NULL OR from_time <= ?)', nows: 2 },
};

/** The console's exemptions on SQLite. Revoking keeps the row, for the record. */
export class SqliteExemptionStore implements ExemptionStore {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(db: Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async create(draft: ExemptionDraft): Promise<Exemption> {
    const createdAt = this.#now();
    const { lastInsertRowid } = this.#db.prepare(`INSERT INTO exemptions (name, groups_json, clients_json, allow_json,
      from_time, until_time, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      draft.name, JSON.stringify(draft.groups), JSON.stringify(draft.clients), JSON.stringify(draft.allow), draft.from,
      draft.until, draft.reason, draft.createdBy, createdAt);
    return { ...draft, id: Number(lastInsertRowid), createdAt, revokedAt: null, revokedBy: null };
  }

  async get(id: number): Promise<Exemption | null> {
    const r = this.#db.prepare('SELECT * FROM exemptions WHERE id = ?').get(id) as RawExemption | undefined;
    return r === undefined ? null : toExemption(r);
  }

  async list(options: { now: number; status?: ExemptionStatus }): Promise<Exemption[]> {
    const status = options.status === undefined ? undefined : STATUS_SQL[options.status];
    const where = status === undefined ? '' : `WHERE ${status.sql}`;
    const params = status === undefined ? [] : Array.from({ length: status.nows }, () => options.now);
    return (this.#db.prepare(`SELECT * FROM exemptions ${where} ORDER BY id DESC`).all(...params) as RawExemption[])
      .map(toExemption);
  }

  async effective(now: number): Promise<Exemption[]> {
    return (this.#db.prepare('SELECT * FROM exemptions WHERE revoked_at IS NULL AND until_time > ? ORDER BY id')
      .all(now) as RawExemption[]).map(toExemption);
  }

  async revoke(id: number, by: string, at: number): Promise<Exemption | null> {
    this.#db.prepare('UPDATE exemptions SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL').run(at, by, id);
    return this.get(id);
  }
}
