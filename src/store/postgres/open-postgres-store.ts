import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import pg from 'pg';
import { ERROR_CODES, RambuError } from '../../errors.js';
import type { AuditStore, ExemptionStore, SessionStore, UserStore } from '../types.js';
import { createChangeFeed, type ChangeFeed, type SharedChange } from './change-feed.js';
import { GatewayRegistry, type GatewayBeat } from './gateway-registry.js';
import { guardPool, type Db } from './guarded-pool.js';
import { migrateShared, SHARED_SCHEMA_VERSION } from './migrations.js';
import { PgAuditStore } from './pg-audit.js';
import { PgExemptionStore } from './pg-exemptions.js';
import { PgPolicyDocument } from './pg-policy.js';
import { PgQueryLogReader } from './pg-query-log.js';
import { PgSessionStore } from './pg-sessions.js';
import { PgUserStore } from './pg-users.js';

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database`; a password in it works but belongs in `passwordFile` or PGPASSWORD. */
  url: string;
  /** File whose first line is the password; null: the URL's, or PGPASSWORD, or ~/.pgpass. */
  passwordFile?: string | null;
  /** This gateway's name in the registry and the audit log. */
  gatewayName: string;
  /** Where this gateway's console listens, for the registry. @default '' */
  address?: string;
  /** This gateway's rambu version, for the registry. @default '' */
  version?: string;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
  logger?: Logger;
  /** Announce in the registry, beat every `heartbeatMs` and listen for changes; the CLI turns it off. @default true */
  live?: boolean;
  /** @default 10000 */
  heartbeatMs?: number;
  /** Migrate only up to this version (tests). */
  migrateTo?: number;
}

/** The shared repositories on one PostgreSQL database. */
export interface PostgresStore {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly exemptions: ExemptionStore;
  readonly audit: AuditStore;
  readonly gateways: GatewayRegistry;
  /** The policy document the gateways share. */
  readonly policy: PgPolicyDocument;
  /** Every gateway's query log. */
  readonly queryLog: PgQueryLogReader;
  /** Queries on the pool as the repositories make them (the shared flow aggregates). */
  readonly db: Db;
  /** How to connect (password included), for the query log's shipping thread. */
  readonly clientConfig: pg.ClientConfig;
  /** What this gateway reports with each heartbeat from now on. */
  reportWith(report: () => GatewayBeat): void;
  /** `user@host:port/database`, never the password: for messages and logs. */
  readonly where: string;
  /** Changes made anywhere (this gateway included); a no-op feed when not `live`. */
  onChange(listener: (change: SharedChange) => void): () => void;
  /** Whether the change feed is connected now: the store is reachable and this gateway hears changes. */
  connected(): boolean;
  close(): Promise<void>;
}

/** `user@host:port/database` from a postgres:// URL, without the password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username === '' ? '' : `${decodeURIComponent(u.username)}@`;
    return `${user}${u.hostname}${u.port === '' ? '' : `:${u.port}`}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** The connection settings of `options`; reads the password file. */
export function clientConfig(options: PostgresStoreOptions, where: string): pg.ClientConfig {
  const config: pg.ClientConfig = {
    connectionString: options.url,
    application_name: `rambu ${options.gatewayName}`.slice(0, 63),
    // Fail fast when the server is gone: a console request answers with an error in seconds, not minutes.
    connectionTimeoutMillis: 3_000,
    keepAlive: true,
  };
  if (options.passwordFile !== undefined && options.passwordFile !== null) {
    let text: string;
    try {
      text = readFileSync(options.passwordFile, 'utf8');
    } catch (err) {
      throw new RambuError(ERROR_CODES.STORAGE_FAILED, `cannot read the password file "${options.passwordFile}" for ${where}: ${(err as Error).message}`, { cause: err });
    }
    // Into the URL: pg lets the connection string's fields override separate ones, an empty password included.
    const u = new URL(options.url);
    u.password = encodeURIComponent(text.split(/\r?\n/)[0] ?? '');
    config.connectionString = u.toString();
  }
  return config;
}

/**
 * Connect to the shared store, check and migrate its schema, and (when `live`) announce this gateway
 * and listen for changes. Throws RambuError `RAMBU_STORAGE_FAILED` (unreachable, wrong password, no
 * such database), `RAMBU_STORAGE_FOREIGN` or `RAMBU_STORAGE_SCHEMA_NEWER`, having written nothing.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const now = options.now ?? Date.now;
  const logger = options.logger?.child({ subsystem: 'shared-store' });
  const where = describeUrl(options.url);
  const config = clientConfig(options, where);
  const pool = new pg.Pool({ ...config, max: 8, idleTimeoutMillis: 30_000 });
  // An idle connection that dies (server restart, network cut) must not take the process down.
  pool.on('error', (err) => logger?.warn({ err: err.message }, 'shared store connection lost'));

  let found: number;
  try {
    const client = await pool.connect();
    try {
      found = await migrateShared(client, where, options.migrateTo);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof RambuError) throw err;
    throw new RambuError(ERROR_CODES.STORAGE_FAILED, `cannot open the shared store ${where}: ${(err as Error).message}`, { cause: err });
  }
  if (found !== SHARED_SCHEMA_VERSION) logger?.info({ where, from: found, to: SHARED_SCHEMA_VERSION }, 'shared store migrated');

  // Set while a newer rambu's schema is in the database: this gateway then refuses changes.
  let newer: string | null = null;
  const db = guardPool(pool, where, () => newer);
  // The registry's heartbeat is this gateway's own row: it goes on under a newer schema.
  const gateways = new GatewayRegistry(guardPool(pool, where), now);
  const checkVersion = async (): Promise<void> => {
    const r = await pool.query<{ value: string }>("SELECT value FROM rambu_meta WHERE key = 'schema_version'");
    const found = Number(r.rows[0]?.value ?? 0);
    const was = newer;
    newer = found > SHARED_SCHEMA_VERSION
      ? `the shared schema in ${where} is version ${found}, newer than this rambu (${SHARED_SCHEMA_VERSION}): this gateway refuses changes until it is upgraded`
      : null;
    if (newer !== null && was === null) logger?.error({ where, found, ours: SHARED_SCHEMA_VERSION }, newer);
  };
  const live = options.live ?? true;
  let feed: ChangeFeed | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let report: (() => GatewayBeat) | null = null;
  if (live) {
    try {
      await gateways.announce({ name: options.gatewayName, address: options.address ?? '', version: options.version ?? '' });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new RambuError(ERROR_CODES.STORAGE_FAILED, `cannot register gateway "${options.gatewayName}" in ${where}: ${(err as Error).message}`, { cause: err });
    }
    feed = createChangeFeed(config, logger === undefined ? {} : { logger });
    heartbeat = setInterval(() => {
      checkVersion().then(() => gateways.beat(options.gatewayName, report?.()))
        .catch((err: unknown) => logger?.warn({ err: (err as Error).message }, 'shared store heartbeat failed'));
    }, options.heartbeatMs ?? 10_000);
    heartbeat.unref();
  }

  let closed = false;
  return {
    users: new PgUserStore(db, now),
    sessions: new PgSessionStore(db, now),
    exemptions: new PgExemptionStore(db, now),
    audit: new PgAuditStore(db, options.gatewayName),
    gateways,
    policy: new PgPolicyDocument(db, now, options.gatewayName),
    queryLog: new PgQueryLogReader(guardPool(pool, where)),
    db,
    clientConfig: config,
    reportWith: (fn) => { report = fn; },
    where,
    onChange: (listener) => feed?.subscribe(listener) ?? (() => undefined),
    connected: () => feed?.connected() ?? false,
    async close() {
      if (closed) return;
      closed = true;
      if (heartbeat !== null) clearInterval(heartbeat);
      await feed?.close();
      await pool.end();
    },
  };
}
