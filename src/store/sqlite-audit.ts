import type { Database } from 'better-sqlite3';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { AuditEntry, AuditStore } from './types.js';

interface RawAudit { id: number; time: number; user: string; action: string; target: string; before_json: string | null; after_json: string | null }

const parse = (json: string | null): unknown => (json === null ? null : JSON.parse(json));
const toEntry = (r: RawAudit): AuditEntry => ({
  id: r.id, time: r.time, user: r.user, action: r.action, target: r.target, before: parse(r.before_json), after: parse(r.after_json),
});

/** The audit log on SQLite: append-only, read newest first with keyset pagination on the id. */
export class SqliteAuditStore implements AuditStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async record(entry: { time: number; user: string; action: string; target: string; before: unknown; after: unknown }): Promise<AuditEntry> {
    const before = entry.before === undefined || entry.before === null ? null : JSON.stringify(entry.before);
    const after = entry.after === undefined || entry.after === null ? null : JSON.stringify(entry.after);
    const { lastInsertRowid } = this.#db.prepare(
      'INSERT INTO audit (time, user, action, target, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?)')
      .run(entry.time, entry.user, entry.action, entry.target, before, after);
    return { id: Number(lastInsertRowid), time: entry.time, user: entry.user, action: entry.action, target: entry.target,
      before: parse(before), after: parse(after) };
  }

  async list(options: { limit?: number; cursor?: string; user?: string; action?: string } = {}): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    const limit = Math.max(1, Math.min(options.limit ?? 50, 1000));
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (options.cursor !== undefined) { where.push('id < ?'); params.push(decodeCursor(options.cursor, 1)[0] ?? 0); }
    if (options.user !== undefined) { where.push('user = ?'); params.push(options.user); }
    if (options.action !== undefined) { where.push('action = ?'); params.push(options.action); }
    const sql = `SELECT * FROM audit ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY id DESC LIMIT ?`;
    const raw = this.#db.prepare(sql).all(...params, limit + 1) as RawAudit[];
    const entries = raw.slice(0, limit).map(toEntry);
    const last = entries[entries.length - 1];
    return { entries, nextCursor: raw.length > limit && last !== undefined ? encodeCursor([last.id]) : null };
  }
}
