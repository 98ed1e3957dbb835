import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { ERROR_CODES, RambuError } from '../errors.js';
import { copyOldRows, migrateForeground } from './log-upgrade.js';
import { migrate, SCHEMA_VERSION } from './migrations.js';
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

/**
 * The database holds password hashes and session tokens: the data directory is made 0700 and the
 * database 0600 (SQLite gives its -wal and -shm files the database's mode). A database an older
 * version left readable to others is narrowed to 0600 too; an existing directory is left as the
 * administrator set it up.
 */
function privateFiles(dir: string, file: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch {
      // Not the owner (a reader such as `rambu log` run as another user): leave the mode to the owner.
    }
  }
}

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
  queryLog?: Omit<SqliteQueryLogOptions, 'logger' | 'retentionDays' | 'migrating'>;
  /**
   * `background`: schema steps of a query log that holds rows run on the writer thread after
   * `openStore` returns (`queryLog.migrating` says whether they still run), so that `rambu serve`
   * answers DNS at once whatever the log's size; the rest of the store is ready at once.
   * `foreground`: every step runs before `openStore` returns. @default 'foreground'
   */
  logMigration?: 'foreground' | 'background';
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

/** Throws when `db` is not empty and not rambu's: no rambu schema version but tables of its own. */
function refuseForeign(db: Database): void {
  // Reading the schema also makes SQLite read the header, so a file that is no database fails here.
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  if ((db.pragma('user_version', { simple: true }) as number) === 0 && tables.length > 0) {
    throw new Error(`not a rambu database (no schema version, tables ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', ...' : ''}): left as it is`);
  }
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
  let migrating = false;
  try {
    privateFiles(options.dir, file);
    db = new BetterSqlite3(file);
    // Before anything writes: a file that is not rambu's (corrupt, or another program's database) is
    // refused as it is, never turned into rambu's.
    refuseForeign(db);
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only a power cut may lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // The query log's writer thread has its own connection; this one reads pages for the console and
    // writes users, sessions and saved answers. 8 MiB of page cache: what it fills stays resident, and
    // the file's pages are in the system's cache anyway.
    db.pragma('cache_size = -8192');
    // Short: a CLI reader never holds the write lock, and a long wait would stall the event loop.
    db.pragma('busy_timeout = 1000');
    const { from, pending } = options.logMigration === 'background' ? migrateForeground(db) : { from: migrate(db), pending: false };
    // An upgrade a serve left half-way (stopped while it copied the old rows) is finished here.
    if (options.logMigration !== 'background') while (copyOldRows(db));
    migrating = pending;
    const at = db.pragma('user_version', { simple: true }) as number;
    if (from !== at) logger?.info({ file, from, to: at }, 'database migrated');
    if (pending) logger?.info({ file, from: at, to: SCHEMA_VERSION }, 'query log migration running in the background');
  } catch (err) {
    db?.close();
    throw new RambuError(ERROR_CODES.STORAGE_FAILED, `cannot open database "${file}": ${(err as Error).message}`, { cause: err });
  }

  const queryLog = new SqliteQueryLog(db, file, { ...options.queryLog, logger, retentionDays: options.retentionDays, migrating });
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
