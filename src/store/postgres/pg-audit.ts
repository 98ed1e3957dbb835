import type { Db } from './guarded-pool.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { AuditEntry, AuditStore } from '../types.js';

interface RawAudit { id: string; time: string; user: string; action: string; target: string; before: unknown; after: unknown }

const toEntry = (r: RawAudit): AuditEntry => ({
  id: Number(r.id), time: Number(r.time), user: r.user, action: r.action, target: r.target, before: r.before, after: r.after,
});

/** The audit log in the shared store: append-only, each entry naming the gateway it was made on. */
export class PgAuditStore implements AuditStore {
  readonly #pool: Db;
  readonly #gateway: string;

  constructor(pool: Db, gateway: string) {
    this.#pool = pool;
    this.#gateway = gateway;
  }

  async record(entry: { time: number; user: string; action: string; target: string; before: unknown; after: unknown }): Promise<AuditEntry> {
    const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
    const r = await this.#pool.query<RawAudit>(`INSERT INTO audit (time, "user", action, target, before, after, gateway)
      VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [entry.time, entry.user, entry.action, entry.target, json(entry.before), json(entry.after), this.#gateway]);
    return toEntry(r.rows[0]!);
  }

  async list(options: { limit?: number; cursor?: string; user?: string; action?: string } = {}): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    const limit = Math.max(1, Math.min(options.limit ?? 50, 1000));
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (sql: string, value: string | number): void => { params.push(value); where.push(sql.replace('?', `$${params.length}`)); };
    if (options.cursor !== undefined) add('id < ?', decodeCursor(options.cursor, 1)[0] ?? 0);
    if (options.user !== undefined) add('"user" = ?', options.user);
    if (options.action !== undefined) add('action = ?', options.action);
    params.push(limit + 1);
    const sql = `SELECT * FROM audit ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY id DESC LIMIT $${params.length}`;
    const raw = (await this.#pool.query<RawAudit>(sql, params)).rows;
    const entries = raw.slice(0, limit).map(toEntry);
    const last = entries[entries.length - 1];
    return { entries, nextCursor: raw.length > limit && last !== undefined ? encodeCursor([last.id]) : null };
  }
}
