import type { Database } from 'better-sqlite3';
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from './password.js';
import { STORE_ERROR_CODES, StoreError } from './store-error.js';
import type { Role, User, UserStore } from './types.js';

interface RawUser { username: string; role: Role; password_hash: string; disabled: number; created_at: number; updated_at: number }

const toUser = (r: RawUser): User => ({
  username: r.username, role: r.role, disabled: r.disabled === 1, createdAt: r.created_at, updatedAt: r.updated_at,
});

/** Console users on SQLite; passwords are stored as scrypt hashes only. */
export class SqliteUserStore implements UserStore {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(db: Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  #raw(username: string): RawUser | undefined {
    return this.#db.prepare('SELECT * FROM users WHERE username = ?').get(username) as RawUser | undefined;
  }

  async create(input: { username: string; role: Role; password: string }): Promise<User> {
    const hash = await hashPassword(input.password);
    const now = this.#now();
    try {
      this.#db.prepare('INSERT INTO users (username, role, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)')
        .run(input.username, input.role, hash, now, now);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new StoreError(STORE_ERROR_CODES.USER_EXISTS, `user "${input.username}" exists`, { cause: err });
      }
      throw err;
    }
    return { username: input.username, role: input.role, disabled: false, createdAt: now, updatedAt: now };
  }

  async get(username: string): Promise<User | null> {
    const r = this.#raw(username);
    return r === undefined ? null : toUser(r);
  }

  async list(): Promise<User[]> {
    return (this.#db.prepare('SELECT * FROM users ORDER BY username').all() as RawUser[]).map(toUser);
  }

  async update(username: string, change: { role?: Role; password?: string; disabled?: boolean }): Promise<User | null> {
    const hash = change.password === undefined ? undefined : await hashPassword(change.password);
    const r = this.#raw(username);
    if (r === undefined) return null;
    this.#db.prepare('UPDATE users SET role = ?, password_hash = ?, disabled = ?, updated_at = ? WHERE username = ?').run(
      change.role ?? r.role, hash ?? r.password_hash, (change.disabled ?? r.disabled === 1) ? 1 : 0, this.#now(), username);
    return this.get(username);
  }

  async delete(username: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM users WHERE username = ?').run(username).changes > 0;
  }

  async verify(username: string, password: string): Promise<User | null> {
    const r = this.#raw(username);
    // Unknown users cost a full scrypt too, so response time does not reveal which names exist.
    const ok = await verifyPassword(password, r?.password_hash ?? await DUMMY_HASH_PROMISE());
    return ok && r !== undefined && r.disabled === 0 ? toUser(r) : null;
  }

  async count(): Promise<number> {
    return (this.#db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  async countAdmins(): Promise<number> {
    return (this.#db.prepare("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0").get() as { n: number }).n;
  }
}
