import type { Db } from './guarded-pool.js';
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from '../password.js';
import { STORE_ERROR_CODES, StoreError } from '../store-error.js';
import type { Role, User, UserStore } from '../types.js';

interface RawUser { username: string; role: Role; password_hash: string; disabled: boolean; created_at: string; updated_at: string }

const toUser = (r: RawUser): User => ({
  username: r.username, role: r.role, disabled: r.disabled, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

/** Console users in the shared PostgreSQL store; passwords as scrypt hashes, as on SQLite. */
export class PgUserStore implements UserStore {
  readonly #pool: Db;
  readonly #now: () => number;

  constructor(pool: Db, now: () => number) {
    this.#pool = pool;
    this.#now = now;
  }

  async #raw(username: string): Promise<RawUser | undefined> {
    return (await this.#pool.query<RawUser>('SELECT * FROM users WHERE username = $1', [username])).rows[0];
  }

  async create(input: { username: string; role: Role; password: string }): Promise<User> {
    const hash = await hashPassword(input.password);
    const now = this.#now();
    try {
      await this.#pool.query('INSERT INTO users (username, role, password_hash, disabled, created_at, updated_at) VALUES ($1, $2, $3, false, $4, $4)',
        [input.username, input.role, hash, now]);
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new StoreError(STORE_ERROR_CODES.USER_EXISTS, `user "${input.username}" exists`, { cause: err });
      }
      throw err;
    }
    return { username: input.username, role: input.role, disabled: false, createdAt: now, updatedAt: now };
  }

  async get(username: string): Promise<User | null> {
    const r = await this.#raw(username);
    return r === undefined ? null : toUser(r);
  }

  async list(): Promise<User[]> {
    return (await this.#pool.query<RawUser>('SELECT * FROM users ORDER BY username')).rows.map(toUser);
  }

  async update(username: string, change: { role?: Role; password?: string; disabled?: boolean }): Promise<User | null> {
    const hash = change.password === undefined ? null : await hashPassword(change.password);
    // One statement: a concurrent change on another gateway cannot interleave between read and write.
    const r = await this.#pool.query<RawUser>(`UPDATE users SET role = coalesce($2, role), password_hash = coalesce($3, password_hash),
      disabled = coalesce($4, disabled), updated_at = $5 WHERE username = $1 RETURNING *`,
    [username, change.role ?? null, hash, change.disabled ?? null, this.#now()]);
    const row = r.rows[0];
    return row === undefined ? null : toUser(row);
  }

  async delete(username: string): Promise<boolean> {
    return ((await this.#pool.query('DELETE FROM users WHERE username = $1', [username])).rowCount ?? 0) > 0;
  }

  async verify(username: string, password: string): Promise<User | null> {
    const r = await this.#raw(username);
    // Unknown users cost a full scrypt too, so response time does not reveal which names exist.
    const ok = await verifyPassword(password, r?.password_hash ?? await DUMMY_HASH_PROMISE());
    return ok && r !== undefined && !r.disabled ? toUser(r) : null;
  }

  async count(): Promise<number> {
    return Number((await this.#pool.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]?.n ?? 0);
  }

  async countAdmins(): Promise<number> {
    return Number((await this.#pool.query<{ n: string }>("SELECT count(*) AS n FROM users WHERE role = 'admin' AND NOT disabled")).rows[0]?.n ?? 0);
  }
}
