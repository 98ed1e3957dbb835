import type pg from 'pg';
import { ERROR_CODES, RambuError } from '../../errors.js';

/**
 * The shared schema's migrations, applied in order by whichever gateway starts first. The table
 * `rambu_meta` marks the database as rambu's and records how many steps have run. Append new steps,
 * never edit one that has shipped.
 */
const MIGRATIONS: readonly string[] = [
  // 1: users, sessions, exemptions, audit log, the gateway registry; triggers that announce changes.
  `
  CREATE TABLE users (
    username text PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash text NOT NULL,
    disabled boolean NOT NULL DEFAULT false,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
  );

  CREATE TABLE sessions (
    id_hash text PRIMARY KEY,
    username text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
  );
  CREATE INDEX sessions_username ON sessions (username);
  CREATE INDEX sessions_expires ON sessions (expires_at);

  CREATE TABLE exemptions (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    groups jsonb NOT NULL,
    clients jsonb NOT NULL,
    allow jsonb NOT NULL,
    from_time bigint,
    until_time bigint NOT NULL,
    reason text NOT NULL,
    created_by text NOT NULL,
    created_at bigint NOT NULL,
    revoked_at bigint,
    revoked_by text
  );
  CREATE INDEX exemptions_until ON exemptions (until_time);

  CREATE TABLE audit (
    id bigserial PRIMARY KEY,
    time bigint NOT NULL,
    "user" text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    before jsonb,
    after jsonb,
    gateway text NOT NULL
  );
  CREATE INDEX audit_user ON audit ("user", id);
  CREATE INDEX audit_action ON audit (action, id);

  CREATE TABLE gateways (
    name text PRIMARY KEY,
    address text NOT NULL,
    version text NOT NULL,
    started_at bigint NOT NULL,
    last_seen bigint NOT NULL
  );

  -- One channel, the table name as payload: every writer (a gateway, rambu user, psql) is heard.
  CREATE FUNCTION rambu_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('rambu_change', TG_TABLE_NAME);
    RETURN NULL;
  END $$;
  CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION rambu_notify_change();
  CREATE TRIGGER sessions_changed AFTER UPDATE OR DELETE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION rambu_notify_change();
  CREATE TRIGGER exemptions_changed AFTER INSERT OR UPDATE OR DELETE ON exemptions FOR EACH STATEMENT EXECUTE FUNCTION rambu_notify_change();
  `,

  // 2: the shared policy document: one row, the YAML of the policy keys as the console saved it.
  `
  CREATE TABLE policy (
    id smallint PRIMARY KEY CHECK (id = 1),
    text text NOT NULL,
    version integer NOT NULL,
    updated_at bigint NOT NULL,
    updated_by text NOT NULL,
    gateway text NOT NULL
  );
  CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE ON policy FOR EACH STATEMENT EXECUTE FUNCTION rambu_notify_change();
  `,

  // 3: every gateway's query log, partitioned by UTC day (the partitions are made ahead by the
  // gateways, pg-query-log-partitions.ts), its per-minute aggregates, each gateway's shipping mark,
  // and the rate and lag each gateway reports with its heartbeat. seq orders rows of one
  // millisecond across gateways; action is the code of the local log (allow 0, block 1, ... monitor 5).
  `
  ALTER TABLE gateways ADD COLUMN queries_per_second double precision NOT NULL DEFAULT 0, ADD COLUMN store_lag_ms bigint;

  CREATE SEQUENCE querylog_seq;
  CREATE TABLE querylog (
    time bigint NOT NULL,
    seq bigint NOT NULL DEFAULT nextval('querylog_seq'),
    gateway text NOT NULL,
    client text NOT NULL,
    name text NOT NULL,
    type text NOT NULL,
    action smallint NOT NULL,
    service text,
    rule text,
    exemption text,
    rcode text NOT NULL,
    latency_us integer NOT NULL,
    upstream text,
    cached boolean NOT NULL
  ) PARTITION BY RANGE (time);
  CREATE INDEX querylog_time ON querylog (time, seq);
  CREATE INDEX querylog_client_time ON querylog (client, time, seq);
  CREATE INDEX querylog_gateway_time ON querylog (gateway, time, seq);
  CREATE INDEX querylog_service_time ON querylog (service, time, seq) WHERE service IS NOT NULL;
  CREATE INDEX querylog_action_time ON querylog (action, time, seq) WHERE action <> 0;

  CREATE TABLE querylog_minute (
    minute bigint NOT NULL,
    gateway text NOT NULL,
    total bigint NOT NULL,
    blocked bigint NOT NULL,
    PRIMARY KEY (minute, gateway)
  );
  CREATE TABLE querylog_blocked_minute (
    minute bigint NOT NULL,
    gateway text NOT NULL,
    client text NOT NULL,
    service text NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (minute, gateway, client, service)
  );
  -- The id of the last row of each gateway's local log that is in querylog.
  CREATE TABLE querylog_shipped (
    gateway text PRIMARY KEY,
    last_id bigint NOT NULL,
    updated_at bigint NOT NULL
  );
  `,

  // 4: a client's rows of one rare action (block, ratelimited, ...: not allow) newest first, for the
  // console's client + action page, which otherwise reads every row of the client and checks its
  // action. Made on the parent, so every partition has it, and the partitions made later too.
  `
  CREATE INDEX querylog_client_action_time ON querylog (client, action, time, seq) WHERE action <> 0;
  `,

  // 5: what the enforcement and bandwidth features keep, shared: the answers each gateway gave (one
  // row per gateway, client and address; a change takes a new id from answers_seq, so the other
  // gateways read what is new by id), and the per-minute flow aggregates of every gateway.
  `
  CREATE SEQUENCE answers_seq;
  CREATE TABLE answers (
    id bigint NOT NULL DEFAULT nextval('answers_seq') PRIMARY KEY,
    gateway text NOT NULL,
    client text NOT NULL,
    address text NOT NULL,
    name text NOT NULL,
    service text,
    expires bigint NOT NULL,
    updated_at bigint NOT NULL,
    UNIQUE (gateway, client, address)
  );
  CREATE INDEX answers_expires ON answers (expires);

  CREATE TABLE flow_minute (
    minute bigint NOT NULL,
    gateway text NOT NULL,
    client text NOT NULL,
    grp text NOT NULL,
    service text NOT NULL,
    bytes bigint NOT NULL,
    packets bigint NOT NULL,
    flows bigint NOT NULL,
    PRIMARY KEY (minute, gateway, client, grp, service)
  );
  CREATE TABLE flow_remote_minute (
    minute bigint NOT NULL,
    gateway text NOT NULL,
    prefix text NOT NULL,
    bytes bigint NOT NULL,
    packets bigint NOT NULL,
    flows bigint NOT NULL,
    PRIMARY KEY (minute, gateway, prefix)
  );
  `,
];

/** The shared schema version this build writes. */
export const SHARED_SCHEMA_VERSION = MIGRATIONS.length;

/** The NOTIFY channel the triggers use; the payload is the changed table's name. */
export const CHANGE_CHANNEL = 'rambu_change';

/** Advisory lock key for migrations: the bytes of "rambu-mg" as an int8 (0x72616d62752d6d67), so no other application collides by accident. */
const MIGRATION_LOCK = '8241989062704852327';

async function readVersion(client: pg.PoolClient): Promise<number | null> {
  const meta = await client.query<{ present: boolean }>("SELECT to_regclass('rambu_meta') IS NOT NULL AS present");
  if (meta.rows[0]?.present !== true) return null;
  const row = await client.query<{ value: string }>("SELECT value FROM rambu_meta WHERE key = 'schema_version'");
  return Number(row.rows[0]?.value ?? 0);
}

/**
 * Bring the shared schema up to date. Holds an advisory lock for the whole check so that two gateways
 * starting at once migrate once; each step and its version bump commit together. Throws RambuError
 * `RAMBU_STORAGE_SCHEMA_NEWER` (a newer rambu migrated the database) or `RAMBU_STORAGE_FOREIGN` (the
 * database holds tables but is not rambu's) before writing anything. Returns the version it found.
 */
export async function migrateShared(client: pg.PoolClient, where: string, to: number = SHARED_SCHEMA_VERSION): Promise<number> {
  await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK}::bigint)`);
  try {
    let version = await readVersion(client);
    if (version === null) {
      const tables = await client.query<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name LIMIT 5");
      if (tables.rows.length > 0) {
        throw new RambuError(ERROR_CODES.STORAGE_FOREIGN, `the database ${where} is not a rambu database: it holds other tables (${tables.rows.map((r) => r.name).join(', ')}): give rambu a database of its own`);
      }
    }
    const found = version ?? 0;
    if (found > SHARED_SCHEMA_VERSION) {
      throw new RambuError(ERROR_CODES.STORAGE_SCHEMA_NEWER, `the shared schema in ${where} is version ${found}, newer than this rambu (${SHARED_SCHEMA_VERSION}): upgrade rambu on this gateway`);
    }
    for (let v = found; v < Math.min(to, SHARED_SCHEMA_VERSION); v++) {
      await client.query('BEGIN');
      try {
        if (version === null) {
          await client.query("CREATE TABLE rambu_meta (key text PRIMARY KEY, value text NOT NULL); INSERT INTO rambu_meta VALUES ('application', 'rambu'), ('schema_version', '0')");
          version = 0;
        }
        await client.query(MIGRATIONS[v] ?? '');
        await client.query("UPDATE rambu_meta SET value = $1 WHERE key = 'schema_version'", [String(v + 1)]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
    return found;
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK}::bigint)`);
  }
}
