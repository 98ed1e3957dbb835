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

  // 2: a compact query log. Every string of a row (client, name, type, service, rule, exemption,
  // rcode, upstream) becomes the id of a word in querylog_text; the action a small code (allow 0,
  // block 1, refused 2, ratelimited 3, error 4); latency whole microseconds. The table is keyed and
  // stored in time order, which makes a separate time index unnecessary, and the action and service
  // indexes leave out the rows nobody filters for. Ids and times carry over, so cursors stay valid.
  `
  ALTER TABLE querylog RENAME TO querylog_v1;

  -- last_time: the newest row that may use the word (give or take an hour), for pruning.
  CREATE TABLE querylog_text (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE,
    last_time INTEGER NOT NULL
  );
  -- next_id: the id of the next row written.
  CREATE TABLE querylog_state (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE querylog (
    time INTEGER NOT NULL,
    id INTEGER NOT NULL,
    client INTEGER NOT NULL,
    name INTEGER NOT NULL,
    type INTEGER NOT NULL,
    action INTEGER NOT NULL,
    service INTEGER,
    rule INTEGER,
    exemption INTEGER,
    rcode INTEGER NOT NULL,
    latency_us INTEGER NOT NULL,
    upstream INTEGER,
    cached INTEGER NOT NULL,
    PRIMARY KEY (time, id)
  ) WITHOUT ROWID;

  INSERT INTO querylog_text (text, last_time)
    SELECT text, max(time) FROM (
      SELECT client AS text, time FROM querylog_v1 UNION ALL SELECT name, time FROM querylog_v1
      UNION ALL SELECT type, time FROM querylog_v1 UNION ALL SELECT service, time FROM querylog_v1
      UNION ALL SELECT rule, time FROM querylog_v1 UNION ALL SELECT exemption, time FROM querylog_v1
      UNION ALL SELECT rcode, time FROM querylog_v1 UNION ALL SELECT upstream, time FROM querylog_v1
    ) WHERE text IS NOT NULL GROUP BY text;
  INSERT INTO querylog (time, id, client, name, type, action, service, rule, exemption, rcode, latency_us, upstream, cached)
    SELECT v.time, v.id,
      (SELECT id FROM querylog_text WHERE text = v.client), (SELECT id FROM querylog_text WHERE text = v.name),
      (SELECT id FROM querylog_text WHERE text = v.type),
      CASE v.action WHEN 'allow' THEN 0 WHEN 'block' THEN 1 WHEN 'refused' THEN 2 WHEN 'ratelimited' THEN 3 ELSE 4 END,
      (SELECT id FROM querylog_text WHERE text = v.service), (SELECT id FROM querylog_text WHERE text = v.rule),
      (SELECT id FROM querylog_text WHERE text = v.exemption), (SELECT id FROM querylog_text WHERE text = v.rcode),
      CAST(round(v.latency_ms * 1000) AS INTEGER), (SELECT id FROM querylog_text WHERE text = v.upstream), v.cached
    FROM querylog_v1 AS v INDEXED BY querylog_time ORDER BY v.time, v.id;
  INSERT INTO querylog_state (key, value) VALUES ('next_id', (SELECT coalesce(max(id), 0) + 1 FROM querylog_v1));
  DROP TABLE querylog_v1;

  CREATE INDEX querylog_client_time ON querylog (client, time);
  CREATE INDEX querylog_action_time ON querylog (action, time) WHERE action <> 0;
  CREATE INDEX querylog_service_time ON querylog (service, time) WHERE service IS NOT NULL;
  `,

  // 3: querylog.name holds either a querylog_text id, as before, or the name itself inline, as a
  // BLOB of its UTF-8 bytes (see QueryLogWriter). No table changes: the step only raises the version,
  // so that an older rambu, which would read an inline name as empty, refuses the database instead.
  `
  `,

  // 4: the answer index (src/answers/): which address each client was given, for which name and
  // service, until when, so that a restart still knows the answers in use. One row per (client,
  // address), the newest; rows past `expires` (epoch ms) are pruned.
  `
  CREATE TABLE IF NOT EXISTS answers (
    client TEXT NOT NULL,
    address TEXT NOT NULL,
    name TEXT NOT NULL,
    service TEXT,
    expires INTEGER NOT NULL,
    PRIMARY KEY (client, address)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS answers_expires ON answers (expires);
  `,

  // 5: flow aggregates: bytes, packets and flows per minute by (client, group, service), and by remote
  // /24 or /48 for traffic no DNS answer accounts for; the flow decoder's templates, kept across restarts.
  `
  CREATE TABLE IF NOT EXISTS flow_minute (
    minute INTEGER NOT NULL,
    client TEXT NOT NULL,
    grp TEXT NOT NULL,
    service TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    packets INTEGER NOT NULL,
    flows INTEGER NOT NULL,
    PRIMARY KEY (minute, client, grp, service)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS flow_remote_minute (
    minute INTEGER NOT NULL,
    prefix TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    packets INTEGER NOT NULL,
    flows INTEGER NOT NULL,
    PRIMARY KEY (minute, prefix)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS flow_templates (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    saved INTEGER NOT NULL,
    snapshot TEXT NOT NULL
  );
  `,

  // 6: probe results: one row per timed request of a critical service (phases in ms, NULL when the
  // probe did not get that far).
  `
  CREATE TABLE IF NOT EXISTS probe_results (
    time INTEGER NOT NULL,
    name TEXT NOT NULL,
    ok INTEGER NOT NULL,
    status INTEGER,
    dns_ms REAL,
    connect_ms REAL,
    tls_ms REAL,
    first_byte_ms REAL,
    total_ms REAL,
    error TEXT
  );
  CREATE INDEX IF NOT EXISTS probe_results_time ON probe_results (time);
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Steps from this one on create tables of their own and touch no query-log table; they are written
 * to run twice harmlessly (IF NOT EXISTS), so that {@link applyLogIndependentSteps} can run them
 * ahead of a query-log upgrade that is left for the background.
 */
const FIRST_LOG_INDEPENDENT_STEP = 3;

/**
 * Create the tables of the steps that do not depend on the query log's schema, without raising the
 * version: the repositories that use them (answers, flows, probes) can open while a large log's
 * step 2 still waits for the writer thread, and `migrate()` later runs the same steps as no-ops.
 */
export function applyLogIndependentSteps(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    for (let v = Math.max(current, FIRST_LOG_INDEPENDENT_STEP); v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] ?? '');
  })();
}

/**
 * Bring `db` up to version `to` (tests stop at an older one); each step runs in its own transaction.
 * Returns the version it started from.
 */
export function migrate(db: Database, to: number = SCHEMA_VERSION): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`database schema version ${current} is newer than this rambu (${SCHEMA_VERSION}): upgrade rambu`);
  }
  for (let v = current; v < Math.min(to, SCHEMA_VERSION); v++) {
    const sql = MIGRATIONS[v] ?? '';
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return current;
}

