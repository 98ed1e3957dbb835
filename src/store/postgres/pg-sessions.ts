import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './guarded-pool.js';
import type { Session, SessionStore } from '../types.js';

interface RawSession { username: string; csrf_token: string; created_at: string; expires_at: string }

/** The database holds only a SHA-256 of each session id, so a leaked database (or dump) opens no session. */
const hashId = (id: string): string => createHash('sha256').update(id).digest('base64url');

/** Login sessions in the shared store: a session made on one gateway's console is valid on every other. */
export class PgSessionStore implements SessionStore {
  readonly #pool: Db;
  readonly #now: () => number;

  constructor(pool: Db, now: () => number) {
    this.#pool = pool;
    this.#now = now;
  }

  async create(username: string, expiresAt: number): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = { username, csrfToken: randomBytes(32).toString('base64url'), createdAt: this.#now(), expiresAt };
    await this.#pool.query('INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [hashId(id), username, session.csrfToken, session.createdAt, expiresAt]);
    return { id, session };
  }

  async get(id: string, now: number): Promise<Session | null> {
    const r = (await this.#pool.query<RawSession>('SELECT username, csrf_token, created_at, expires_at FROM sessions WHERE id_hash = $1',
      [hashId(id)])).rows[0];
    if (r === undefined) return null;
    if (Number(r.expires_at) <= now) {
      await this.delete(id);
      return null;
    }
    return { username: r.username, csrfToken: r.csrf_token, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at) };
  }

  async delete(id: string): Promise<void> {
    await this.#pool.query('DELETE FROM sessions WHERE id_hash = $1', [hashId(id)]);
  }

  async deleteForUser(username: string, exceptId?: string): Promise<void> {
    await this.#pool.query('DELETE FROM sessions WHERE username = $1 AND id_hash <> $2', [username, exceptId === undefined ? '' : hashId(exceptId)]);
  }

  async pruneExpired(now: number): Promise<number> {
    return (await this.#pool.query('DELETE FROM sessions WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }
}
