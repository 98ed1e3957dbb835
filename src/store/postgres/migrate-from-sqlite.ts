/**
 * `rambu store migrate --from sqlite --to postgres`: a gateway that ran on its own SQLite database
 * brings its users, login sessions, exemptions, audit log and query log into the shared store.
 *
 * Into an empty database, or one an earlier run of this migration for the same gateway filled (the
 * run leaves a mark in `rambu_meta`), so running it again after an interruption, or once more after
 * the gateway logged more queries, copies only what is missing: users by name, sessions by id,
 * exemptions and audit entries by their content, the query log from the gateway's shipping mark,
 * which `rambu serve` then goes on from. A database holding data of its own (another gateway's users, say) is refused unless
 * `force`, which merges: a user who exists in both keeps the shared store's account.
 *
 * Sessions that have not expired are copied (both stores keep the same SHA-256 of the id, so a browser
 * stays logged in), but only those of a user whose shared account is the one copied from here (same
 * password hash): with `force`, a session never opens a shared account it was not made for. Flows,
 * probes and the answer index stay local.
 */
import type { Database } from 'better-sqlite3';
import type pg from 'pg';
import { ERROR_CODES, RambuError } from '../../errors.js';
import { LocalLogSource, prepareLocalLog, readMark, shipBatch } from './log-shipping.js';
import { migrateShared } from './migrations.js';

export interface MigrateCounts { copied: number; skipped: number }

export interface MigrateReport {
  users: MigrateCounts;
  /** Unexpired login sessions; `skipped` also counts those of a user whose shared account is not this one. */
  sessions: MigrateCounts;
  exemptions: MigrateCounts;
  audit: MigrateCounts;
  /** Query-log rows copied, and rows of the local log already in the shared one before this run. */
  queryLog: { copied: number; alreadyThere: number };
  /** Whether an earlier run of this migration had been here. */
  again: boolean;
}

export interface MigrateOptions {
  /** The gateway's name in the shared store (`storage.gatewayName`): its rows and audit entries carry it. */
  gateway: string;
  /** `user@host:port/database`, for messages. */
  where: string;
  /** Merge into a database that holds data of its own. @default false */
  force?: boolean;
  now?: () => number;
  /** Called after each query-log batch with the rows copied so far. */
  progress?: (rows: number) => void;
}

const markKey = (gateway: string): string => `migrated_from_sqlite:${gateway}`;

interface LocalUser { username: string; role: string; password_hash: string; disabled: number; created_at: number; updated_at: number }
interface LocalSession { id_hash: string; username: string; csrf_token: string; created_at: number; expires_at: number; password_hash: string }
interface LocalExemption {
  name: string; groups_json: string; clients_json: string; allow_json: string; from_time: number | null; until_time: number;
  reason: string; created_by: string; created_at: number; revoked_at: number | null; revoked_by: string | null;
}
interface LocalAudit { time: number; user: string; action: string; target: string; before_json: string | null; after_json: string | null }

/**
 * Copy the SQLite store `local` (opened and migrated) into the shared database `client` connects to.
 * Throws RambuError `RAMBU_STORAGE_NOT_EMPTY` (nothing written) when the database holds data this
 * migration did not put there and `force` is not set, and the errors of opening the shared store.
 */
export async function migrateFromSqlite(local: Database, client: pg.ClientBase, options: MigrateOptions): Promise<MigrateReport> {
  const now = options.now ?? Date.now;
  await migrateShared(client as pg.PoolClient, options.where);
  const again = (await client.query('SELECT 1 FROM rambu_meta WHERE key = $1', [markKey(options.gateway)])).rows.length > 0;
  if (!again && options.force !== true) {
    const held = (await client.query<{ users: number; exemptions: number; audit: number }>(`SELECT
      (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM exemptions)::int AS exemptions, (SELECT count(*) FROM audit)::int AS audit`)).rows[0]!;
    if (held.users + held.exemptions + held.audit > 0) {
      throw new RambuError(ERROR_CODES.STORAGE_NOT_EMPTY, `the shared store ${options.where} already holds ${held.users} users, ${held.exemptions} exemptions and ${held.audit} audit entries that no migration of gateway "${options.gateway}" put there: migrate into an empty database, or pass --force to merge (users already there keep their accounts); nothing was written`);
    }
  }

  const users = local.prepare('SELECT username, role, password_hash, disabled, created_at, updated_at FROM users ORDER BY username').all() as LocalUser[];
  const sessions = local.prepare(`SELECT s.id_hash, s.username, s.csrf_token, s.created_at, s.expires_at, u.password_hash
    FROM sessions s JOIN users u ON u.username = s.username WHERE s.expires_at > ? ORDER BY s.created_at, s.id_hash`).all(now()) as LocalSession[];
  const exemptions = local.prepare('SELECT * FROM exemptions ORDER BY id').all() as LocalExemption[];
  const audit = local.prepare('SELECT time, user, action, target, before_json, after_json FROM audit ORDER BY id').all() as LocalAudit[];
  const report: MigrateReport = {
    users: { copied: 0, skipped: 0 }, sessions: { copied: 0, skipped: 0 }, exemptions: { copied: 0, skipped: 0 }, audit: { copied: 0, skipped: 0 },
    queryLog: { copied: 0, alreadyThere: 0 }, again,
  };
  const count = (c: MigrateCounts, inserted: number | null): void => { if (inserted === 1) c.copied++; else c.skipped++; };
  await client.query('BEGIN');
  try {
    await client.query(`INSERT INTO rambu_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [markKey(options.gateway), new Date(now()).toISOString()]);
    for (const u of users) {
      const r = await client.query(`INSERT INTO users (username, role, password_hash, disabled, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING`,
      [u.username, u.role, u.password_hash, u.disabled === 1, u.created_at, u.updated_at]);
      count(report.users, r.rowCount);
    }
    for (const x of sessions) {
      const r = await client.query(`INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at)
        SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM users WHERE username = $2 AND password_hash = $6)
        ON CONFLICT (id_hash) DO NOTHING`,
      [x.id_hash, x.username, x.csrf_token, x.created_at, x.expires_at, x.password_hash]);
      count(report.sessions, r.rowCount);
    }
    for (const e of exemptions) {
      const r = await client.query(`INSERT INTO exemptions (name, groups, clients, allow, from_time, until_time, reason, created_by, created_at, revoked_at, revoked_by)
        SELECT $1, $2::jsonb, $3::jsonb, $4::jsonb, $5, $6, $7, $8, $9, $10, $11
        WHERE NOT EXISTS (SELECT 1 FROM exemptions WHERE name = $1 AND created_by = $8 AND created_at = $9 AND until_time = $6)`,
      [e.name, e.groups_json, e.clients_json, e.allow_json, e.from_time, e.until_time, e.reason, e.created_by, e.created_at, e.revoked_at, e.revoked_by]);
      count(report.exemptions, r.rowCount);
    }
    for (const a of audit) {
      const r = await client.query(`INSERT INTO audit (time, "user", action, target, before, after, gateway)
        SELECT $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7
        WHERE NOT EXISTS (SELECT 1 FROM audit WHERE time = $1 AND "user" = $2 AND action = $3 AND target = $4)`,
      [a.time, a.user, a.action, a.target, a.before_json, a.after_json, options.gateway]);
      count(report.audit, r.rowCount);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }

  // The query log, from this gateway's mark: what an earlier run (or a serve) shipped is not copied again.
  prepareLocalLog(local);
  const source = new LocalLogSource(local);
  const state = await readMark(client, options.gateway);
  report.queryLog.alreadyThere = Math.min(state.mark, source.lastId());
  const days = new Set<number>();
  for (;;) {
    const r = await shipBatch(source, client, options.gateway, state, { now: now(), days });
    report.queryLog.copied += r.shipped;
    options.progress?.(report.queryLog.copied);
    if (!r.more && r.shipped === 0) break;
  }
  return report;
}
