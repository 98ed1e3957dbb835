import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { StoreError, type Store } from '../store/index.js';

/**
 * On first run (no user at all), create `admin` with a generated password and return it so that the
 * serve command can print it once; null when users exist. The password is never logged.
 */
export async function ensureAdmin(store: Pick<Store, 'users' | 'audit'>, logger?: Logger): Promise<{ username: string; password: string } | null> {
  if ((await store.users.count()) > 0) return null;
  // 18 random bytes: 24 base64url characters, easy to copy, ~144 bits.
  const password = randomBytes(18).toString('base64url');
  try {
    await store.users.create({ username: 'admin', role: 'admin', password });
  } catch (err) {
    // Another gateway on the same shared store made it first: its console printed the password.
    if (err instanceof StoreError && err.code === 'USER_EXISTS') return null;
    throw err;
  }
  await store.audit.record({
    time: Date.now(), user: 'rambu', action: 'user.create', target: 'user:admin', before: null,
    after: { username: 'admin', role: 'admin', disabled: false },
  });
  logger?.info({ username: 'admin' }, 'first run: created the admin user');
  return { username: 'admin', password };
}
