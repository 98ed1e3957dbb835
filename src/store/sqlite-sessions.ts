import { createHash, randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { Session, SessionStore } from './types.js';

interface RawSession { username: string; csrf_token: string; created_at: number; expires_at: number }

/** The database holds only a SHA-256 of each session id, so a leaked database opens no session. */
const hashId = (id: string): string => createHash('sha256').update(id).digest('base64url');

/** Login sessions on SQLite: random 32-byte ids, a CSRF token each, a fixed expiry. */
export class SqliteSessionStore implements SessionStore {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(db: Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async create(username: string, expiresAt: number): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = { username, csrfToken: randomBytes(32).toString('base64url'), createdAt: this.#now(), expiresAt };
    this.#db.prepare('INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(hashId(id), username, session.csrfToken, session.createdAt, expiresAt);
    return { id, session };
  }

  async get(id: string, now: number): Promise<Session | null> {
    const r = this.#db.prepare('SELECT username, csrf_token, created_at, expires_at FROM sessions WHERE id_hash = ?')
      .get(hashId(id)) as RawSession | undefined;
    if (r === undefined) return null;
    if (r.expires_at <= now) {
      await this.delete(id);
      return null;
    }
    return { username: r.username, csrfToken: r.csrf_token, createdAt: r.created_at, expiresAt: r.expires_at };
  }

  async delete(id: string): Promise<void> {
    this.#db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(hashId(id));
  }

  async deleteForUser(username: string, exceptId?: string): Promise<void> {
    this.#db.prepare('DELETE FROM sessions WHERE username = ? AND id_hash != ?')
      .run(username, exceptId === undefined ? '' : hashId(exceptId));
  }

  async pruneExpired(now: number): Promise<number> {
    return this.#db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes;
  }
}
