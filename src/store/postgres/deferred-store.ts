import type { Logger } from 'pino';
import { RambuError } from '../../errors.js';
import { STORE_ERROR_CODES, StoreError } from '../store-error.js';
import type { SharedChange } from './change-feed.js';
import { isUnreachable } from './guarded-pool.js';
import { clientConfig, describeUrl, openPostgresStore, type PostgresStore, type PostgresStoreOptions } from './open-postgres-store.js';

/** Whether opening failed only because the server could not be reached (not a password, not a foreign database). */
export function openFailedUnreachable(err: unknown): boolean {
  return err instanceof RambuError && err.code === 'RAMBU_STORAGE_FAILED' && isUnreachable(err.cause);
}

/**
 * A shared store for a gateway that starts while PostgreSQL is down: every repository call fails with
 * StoreError `STORE_UNAVAILABLE` until a retry (every `retryMs`) opens the real store; then calls go
 * to it and listeners hear `resync`, so the gateway re-reads what it started without. Any other
 * failure while retrying (a password changed meanwhile) is logged and retried too.
 */
export function deferredPostgresStore(options: PostgresStoreOptions & { retryMs?: number }, logger?: Logger): PostgresStore {
  const where = describeUrl(options.url);
  const listeners = new Set<(change: SharedChange) => void>();
  let real: PostgresStore | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let report: Parameters<PostgresStore['reportWith']>[0] | null = null;

  const attempt = (): void => {
    timer = null;
    openPostgresStore(options).then(async (store) => {
      if (closed) { await store.close(); return; }
      real = store;
      if (report !== null) store.reportWith(report);
      for (const l of listeners) store.onChange(l);
      logger?.info({ where }, 'shared store reachable again: re-reading');
      for (const l of listeners) l('resync');
    }, (err: unknown) => {
      if (!openFailedUnreachable(err)) logger?.error({ err: (err as Error).message }, 'shared store still cannot be opened');
      if (!closed) { timer = setTimeout(attempt, options.retryMs ?? 2_000); timer.unref(); }
    });
  };
  timer = setTimeout(attempt, options.retryMs ?? 2_000);
  timer.unref();

  const unavailable = (): StoreError => new StoreError(STORE_ERROR_CODES.STORE_UNAVAILABLE, `the shared store ${where} is unreachable: not connected since this gateway started`);
  /** An object whose every method is the real repository's once it is open, and a rejection before. */
  const forward = <T extends object>(pick: (s: PostgresStore) => T): T => new Proxy({} as T, {
    get: (_target, prop) => (...args: unknown[]) => {
      if (real === null) return Promise.reject(unavailable());
      const repo = pick(real) as Record<string | symbol, (...a: unknown[]) => unknown>;
      return repo[prop]!.apply(repo, args);
    },
  });

  return {
    users: forward((s) => s.users),
    sessions: forward((s) => s.sessions),
    exemptions: forward((s) => s.exemptions),
    audit: forward((s) => s.audit),
    gateways: forward((s) => s.gateways),
    policy: forward((s) => s.policy),
    queryLog: forward((s) => s.queryLog),
    db: forward((s) => s.db),
    clientConfig: clientConfig(options, where),
    reportWith(fn) { report = fn; real?.reportWith(fn); },
    where,
    onChange(listener) {
      listeners.add(listener);
      const off = real?.onChange(listener);
      return () => { listeners.delete(listener); off?.(); };
    },
    connected: () => real?.connected() ?? false,
    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      listeners.clear();
      await real?.close();
    },
  };
}
