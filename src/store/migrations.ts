import type { Database } from 'better-sqlite3';

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run. Append new
 * steps, never edit one that has shipped.
 */
const MIGRATIONS: readonly string[] = [
  // 1: query log, its aggregates, users, sessions, exemptions, audit log.
  `
  CREATE TABLE querylog (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    client TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    action TEXT NOT NULL,
    service TEXT,
    rule TEXT,
    exemption TEXT,
    rcode TEXT NOT NULL,
    latency_ms REAL NOT NULL,
    upstream TEXT,
    cached INTEGER NOT NULL
  );
  CREATE INDEX querylog_time ON querylog (time);
  CREATE INDEX querylog_client_time ON querylog (client, time);
  CREATE INDEX querylog_action_time ON querylog (action, time);
  CREATE INDEX querylog_service_time ON querylog (service, time);

  -- Kept up to date by every flush so that the overview never scans the raw log.
  CREATE TABLE querylog_minute (
    minute INTEGER PRIMARY KEY,
    total INTEGER NOT NULL,
    blocked INTEGER NOT NULL
  );
  -- service '' stands for "no service" (a primary key column cannot usefully be NULL).
  CREATE TABLE querylog_blocked_minute (
    minute INTEGER NOT NULL,
    client TEXT NOT NULL,
    service TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (minute, client, service)
  ) WITHOUT ROWID;

  CREATE TABLE users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_username ON sessions (username);
  CREATE INDEX sessions_expires ON sessions (expires_at);

  CREATE TABLE exemptions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    groups_json TEXT NOT NULL,
    clients_json TEXT NOT NULL,
    allow_json TEXT NOT NULL,
    from_time INTEGER,
    until_time INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoked_by TEXT
  );
  CREATE INDEX exemptions_until ON exemptions (until_time);

  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
  );
  CREATE INDEX audit_user ON audit (user, id);
  CREATE INDEX audit_action ON audit (action, id);
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring `db` up to {@link SCHEMA_VERSION}; each step runs in its own transaction. */
export function migrate(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`database schema version ${current} is newer than this rambu (${SCHEMA_VERSION}): upgrade rambu`);
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    const sql = MIGRATIONS[v] ?? '';
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return current;
}
