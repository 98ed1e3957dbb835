import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { ERROR_CODES, RambuError } from '../errors.js';
import { migrate } from './migrations.js';
import { SqliteAuditStore } from './sqlite-audit.js';
import { SqliteExemptionStore } from './sqlite-exemptions.js';
import { SqliteFlowStore } from './sqlite-flows.js';
import { SqliteProbeStore } from './sqlite-probes.js';
import { SqliteQueryLog } from './sqlite-query-log.js';
import type { SqliteQueryLogOptions } from './sqlite-query-log.js';
import { SqliteSessionStore } from './sqlite-sessions.js';
import { SqliteUserStore } from './sqlite-users.js';
import type { Store } from './types.js';

/** The database file's name inside the data directory. */
export const DATABASE_FILE = 'rambu.db';

export interface OpenStoreOptions {
  /** Data directory; created when missing. */
  dir: string;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
  logger?: Logger;
  /** Query-log rows older than this are pruned. @default 30 */
  retentionDays?: number;
  /** How often to prune the query log and expired sessions; 0 turns it off (the CLI). @default 3600000 */
  pruneIntervalMs?: number;
  /** Tuning of the query-log buffer and page scans. */
  queryLog?: Omit<SqliteQueryLogOptions, 'logger' | 'retentionDays'>;
}

/** The SQLite back-end: every repository over one WAL database. */
export interface SqliteStore extends Store {
  readonly queryLog: SqliteQueryLog;
  /** Flow aggregates and the flow decoder's templates. */
  readonly flows: SqliteFlowStore;
  /** Probe results of the critical services. */
  readonly probes: SqliteProbeStore;
  /** The underlying connection, for benchmarks and maintenance. */
  readonly db: Database;
  readonly file: string;
}

/**
 * Open (creating and migrating as needed) `rambu.db` in `dir`. Throws RambuError `STORAGE_FAILED`
 * when the directory or the database cannot be used.
 */
export function openStore(options: OpenStoreOptions): SqliteStore {
  const now = options.now ?? Date.now;
  const logger = options.logger?.child({ subsystem: 'store' });
  const file = join(options.dir, DATABASE_FILE);
  let db: Database | undefined;
  try {
    mkdirSync(options.dir, { recursive: true });
    db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only a power cut may lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // 32 MiB of page cache keeps the query log's index pages hot while batches are inserted.
    db.pragma('cache_size = -32768');
    // Short: a CLI reader never holds the write lock, and a long wait would stall the event loop.
    db.pragma('busy_timeout = 1000');
    const from = migrate(db);
    if (from !== (db.pragma('user_version', { simple: true }) as number)) {
      logger?.info({ file, from, to: db.pragma('user_version', { simple: true }) }, 'database migrated');
    }
  } catch (err) {
    db?.close();
    throw new RambuError(ERROR_CODES.STORAGE_FAILED, `cannot open database "${file}": ${(err as Error).message}`, { cause: err });
  }

  const queryLog = new SqliteQueryLog(db, file, { ...options.queryLog, logger, retentionDays: options.retentionDays });
  const sessions = new SqliteSessionStore(db, now);
  const interval = options.pruneIntervalMs ?? 3_600_000;
  let pruning = false;
  const timer = interval > 0
    ? setInterval(() => {
      if (pruning) return;
      pruning = true;
      Promise.all([queryLog.prune(now()), sessions.pruneExpired(now())])
        .catch((err: unknown) => logger?.error({ err }, 'pruning failed'))
        .finally(() => { pruning = false; });
    }, interval).unref()
    : null;

  let closed = false;
  return {
    db,
    file,
    queryLog,
    flows: new SqliteFlowStore(db),
    probes: new SqliteProbeStore(db),
    users: new SqliteUserStore(db, now),
    sessions,
    exemptions: new SqliteExemptionStore(db, now),
    audit: new SqliteAuditStore(db),
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== null) clearInterval(timer);
      try {
        await queryLog.close();
      } finally {
        db.close();
      }
    },
  };
}
