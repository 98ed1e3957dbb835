import type { Logger } from 'pino';
import { openStore, type SqliteStore } from './open-store.js';
import {
  deferredPostgresStore, openFailedUnreachable, openPostgresStore, SharedFlowStore, startLogShipper, type LogShipper, type PostgresStore,
  type PostgresStoreOptions, type SharedChange, type ShipperStats,
} from './postgres/index.js';
import { SharedQueryLog, type GatewayQueryLog } from './shared-query-log.js';
import type { FlowStore } from './sqlite-flows.js';
import type { QueryLogStats, Store } from './types.js';

/** The `storage` settings that choose and reach a back-end. */
export interface StorageChoice {
  backend: 'sqlite' | 'postgres';
  /** The local data directory: the SQLite database (everything, or only the query log when shared). */
  path: string;
  retentionDays: number;
  /** postgres:// URL; required with the postgres back-end. */
  url: string | null;
  passwordFile: string | null;
  gatewayName: string;
}

/** The store a gateway runs on: every repository, plus how to hear changes made on other gateways. */
export interface GatewayStore extends Store {
  readonly backend: StorageChoice['backend'];
  /**
   * Entries always go to the local SQLite log, with its batch intake and writer thread; on the shared
   * store they are shipped into PostgreSQL and reads are every gateway's.
   */
  readonly queryLog: GatewayQueryLog;
  /** How the shipping into the shared log stands; null on the SQLite back-end or when not live. */
  shipping(): ShipperStats | null;
  /**
   * The flow aggregates: the local ones on SQLite; on the shared store written locally and to
   * PostgreSQL with this gateway's name, and read as every gateway's.
   */
  readonly flows: FlowStore;
  /** The local SQLite database (the query log always lives there). */
  readonly local: SqliteStore;
  /** The shared store, or null on the SQLite back-end. */
  readonly shared: PostgresStore | null;
  /** Changes made in the shared store by any gateway; never called on the SQLite back-end. */
  onChange(listener: (change: SharedChange) => void): () => void;
}

export interface OpenGatewayStoreOptions {
  logger?: Logger;
  /** @default 3600000; 0 for the CLI */
  pruneIntervalMs?: number;
  /** Announce this gateway, beat and listen (serve); off for one-shot commands. @default true */
  live?: boolean;
  /** This gateway's console address and version, for the registry. */
  address?: string;
  version?: string;
  /** When the local query log's schema upgrade runs: before returning, or after DNS starts. @default 'foreground' */
  logMigration?: 'foreground' | 'background';
  /**
   * When PostgreSQL cannot be reached at start, open anyway: the shared repositories fail with
   * STORE_UNAVAILABLE until a background retry connects (serve); otherwise throw (the CLI). @default false
   */
  startOffline?: boolean;
  /** How often the shipping thread looks for new rows once caught up. @default 500 */
  shipIntervalMs?: number;
}

/** Queries a second since the previous call, from the log's counts (every query is logged, kept or dropped). */
export function queryRate(stats: () => QueryLogStats, now: () => number = Date.now): () => number {
  const total = (): number => { const s = stats(); return s.written + s.buffered + s.dropped + s.failed; };
  let at = now();
  let count = total();
  return () => {
    const t = now();
    const c = total();
    const rate = t > at ? ((c - count) * 1000) / (t - at) : 0;
    at = t;
    count = c;
    return Math.round(rate * 10) / 10;
  };
}

/**
 * Open the store `storage` names. On `postgres`, users, sessions, exemptions and the audit log are
 * the shared database's and the query log stays in the local SQLite file: each gateway logs its own
 * queries. Throws RambuError `RAMBU_STORAGE_*` (see docs/errors.md) with nothing left open.
 */
export async function openGatewayStore(storage: StorageChoice, options: OpenGatewayStoreOptions = {}): Promise<GatewayStore> {
  const local = openStore({
    dir: storage.path, retentionDays: storage.retentionDays, queryLog: { gatewayName: storage.gatewayName },
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.pruneIntervalMs === undefined ? {} : { pruneIntervalMs: options.pruneIntervalMs }),
    ...(options.logMigration === undefined ? {} : { logMigration: options.logMigration }),
  });
  if (storage.backend === 'sqlite' || storage.url === null) {
    return { backend: 'sqlite', local, shared: null, queryLog: local.queryLog, users: local.users, sessions: local.sessions,
      exemptions: local.exemptions, audit: local.audit, flows: local.flows, onChange: () => () => undefined, shipping: () => null, close: () => local.close() };
  }
  const sharedOptions: PostgresStoreOptions = {
    url: storage.url, passwordFile: storage.passwordFile, gatewayName: storage.gatewayName, live: options.live ?? true,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.address === undefined ? {} : { address: options.address }),
    ...(options.version === undefined ? {} : { version: options.version }),
  };
  let shared: PostgresStore;
  try {
    shared = await openPostgresStore(sharedOptions);
  } catch (err) {
    if (options.startOffline === true && openFailedUnreachable(err)) {
      options.logger?.warn({ err: (err as Error).message }, 'shared store unreachable at start: running from the local snapshot and retrying');
      shared = deferredPostgresStore(sharedOptions, options.logger);
    } else {
      await local.close();
      throw err;
    }
  }
  // A serve ships its log and reports its rate and lag; a one-shot command only reads.
  let shipper: LogShipper | null = null;
  if (options.live ?? true) {
    shipper = startLogShipper({
      file: local.file, config: shared.clientConfig, gateway: storage.gatewayName, retentionMs: storage.retentionDays * 86_400_000,
      intervalMs: options.shipIntervalMs ?? 500,
    }, options.logger?.child({ subsystem: 'log-shipping' }));
    const s = shipper;
    const rate = queryRate(() => local.queryLog.stats());
    shared.reportWith(() => ({ queriesPerSecond: rate(), storeLagMs: s.stats().lagMs }));
  }
  const flows = new SharedFlowStore({
    local: local.flows, db: shared.db, gateway: storage.gatewayName,
    ...(options.logger === undefined ? {} : { logger: options.logger.child({ subsystem: 'flows' }) }),
  });
  return {
    backend: 'postgres', local, shared, flows, queryLog: new SharedQueryLog(local.queryLog, shared.queryLog), users: shared.users,
    sessions: shared.sessions, exemptions: shared.exemptions, audit: shared.audit, onChange: (listener) => shared.onChange(listener),
    shipping: () => shipper?.stats() ?? null,
    async close() {
      try {
        await flows.close();
        await local.close();
        // After the local log's last batch is written: the shipping thread may still send it.
        await shipper?.close();
      } finally {
        await shared.close();
      }
    },
  };
}
