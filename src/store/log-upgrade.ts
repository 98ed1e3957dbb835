/**
 * Schema step 2 (the compact query log) for a log that holds rows, in the background: the work of
 * migrations.ts's step 2 split so that no transaction holds the database for long. `rambu serve`
 * answers DNS first; the writer thread then switches the schema in a few short transactions (the
 * old table is renamed and kept, the compact one starts empty, new rows go there at once) and copies
 * the old rows over in chunks, oldest id first, between batches, deleting each chunk from the old
 * table as it goes. A restart resumes where it stopped: the old table holds what is left.
 *
 * Ids carry over (new rows get ids above every old one), so cursors and the aggregates, which step 2
 * does not touch, stay valid.
 */
import type { Database } from 'better-sqlite3';
import { applyLogIndependentSteps, migrate } from './migrations.js';

/** Rows copied per transaction: about a tenth of a second of the writer's time. */
export const UPGRADE_CHUNK = 20_000;

function hasTable(db: Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/**
 * Run every schema step but step 2 over a log that holds rows, which is left for the background
 * ({@link switchLogSchema}, {@link copyOldRows}, on the writer thread). Returns the version it
 * started from and whether the log's upgrade is pending (left now, or unfinished by a previous run).
 */
export function migrateForeground(db: Database): { from: number; pending: boolean } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from === 0) migrate(db, 1);
  if (!logUpgradePending(db)) migrate(db);
  const pending = logUpgradePending(db);
  // The tables of later steps that do not touch the log exist at once (answers, flows, probes).
  if (pending) applyLogIndependentSteps(db);
  return { from, pending };
}

/** Whether the query log still has rows of schema 1 to upgrade (switched or not). */
export function logUpgradePending(db: Database): boolean {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === 1) return db.prepare('SELECT 1 FROM querylog LIMIT 1').get() !== undefined;
  return hasTable(db, 'querylog_v1');
}

/**
 * Bring a schema 1 database to the current schema with its log rows left in `querylog_v1`, then
 * run any later steps. Each old index goes in a transaction of its own (freeing an index's pages
 * takes time on a large log), so a write of the console waits for one of them at most.
 */
export function switchLogSchema(db: Database): void {
  if ((db.pragma('user_version', { simple: true }) as number) !== 1) return;
  // Their names are the compact table's: they go first. (Nothing reads the old table meanwhile.)
  for (const index of ['querylog_client_time', 'querylog_action_time', 'querylog_service_time']) db.exec(`DROP INDEX IF EXISTS ${index}`);
  db.transaction(() => {
    db.exec(`
      ALTER TABLE querylog RENAME TO querylog_v1;
      CREATE TABLE querylog_text (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE, last_time INTEGER NOT NULL);
      CREATE TABLE querylog_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE querylog (
        time INTEGER NOT NULL, id INTEGER NOT NULL, client INTEGER NOT NULL, name INTEGER NOT NULL, type INTEGER NOT NULL,
        action INTEGER NOT NULL, service INTEGER, rule INTEGER, exemption INTEGER, rcode INTEGER NOT NULL,
        latency_us INTEGER NOT NULL, upstream INTEGER, cached INTEGER NOT NULL, PRIMARY KEY (time, id)
      ) WITHOUT ROWID;
      INSERT INTO querylog_state (key, value) VALUES ('next_id', (SELECT coalesce(max(id), 0) + 1 FROM querylog_v1));
      CREATE INDEX querylog_client_time ON querylog (client, time);
      CREATE INDEX querylog_action_time ON querylog (action, time) WHERE action <> 0;
      CREATE INDEX querylog_service_time ON querylog (service, time) WHERE service IS NOT NULL;
    `);
    db.pragma('user_version = 2');
  }).immediate();
  migrate(db);
}

const WORDS = `
  INSERT INTO querylog_text (text, last_time)
    SELECT text, max(time) FROM (
      SELECT client AS text, time FROM v UNION ALL SELECT name, time FROM v UNION ALL SELECT type, time FROM v
      UNION ALL SELECT service, time FROM v UNION ALL SELECT rule, time FROM v UNION ALL SELECT exemption, time FROM v
      UNION ALL SELECT rcode, time FROM v UNION ALL SELECT upstream, time FROM v
    ) WHERE text IS NOT NULL GROUP BY text
  ON CONFLICT (text) DO UPDATE SET last_time = max(last_time, excluded.last_time)`;
const ROWS = `
  INSERT INTO querylog (time, id, client, name, type, action, service, rule, exemption, rcode, latency_us, upstream, cached)
    SELECT v.time, v.id,
      (SELECT id FROM querylog_text WHERE text = v.client), (SELECT id FROM querylog_text WHERE text = v.name),
      (SELECT id FROM querylog_text WHERE text = v.type),
      CASE v.action WHEN 'allow' THEN 0 WHEN 'block' THEN 1 WHEN 'refused' THEN 2 WHEN 'ratelimited' THEN 3 ELSE 4 END,
      (SELECT id FROM querylog_text WHERE text = v.service), (SELECT id FROM querylog_text WHERE text = v.rule),
      (SELECT id FROM querylog_text WHERE text = v.exemption), (SELECT id FROM querylog_text WHERE text = v.rcode),
      CAST(round(v.latency_ms * 1000) AS INTEGER), (SELECT id FROM querylog_text WHERE text = v.upstream), v.cached
    FROM v`;

/**
 * Copy the oldest-id `limit` rows of `querylog_v1` into the compact log and delete them there, in
 * one transaction; drop the old table once it is empty. Returns whether rows are left.
 */
export function copyOldRows(db: Database, limit: number = UPGRADE_CHUNK): boolean {
  if (!hasTable(db, 'querylog_v1')) return false;
  return db.transaction(() => {
    const upTo = db.prepare('SELECT max(id) FROM (SELECT id FROM querylog_v1 ORDER BY id LIMIT ?)').pluck().get(limit) as number | null;
    if (upTo === null) {
      db.exec('DROP TABLE querylog_v1');
      return false;
    }
    const chunk = `WITH v AS (SELECT * FROM querylog_v1 WHERE id <= ${Math.floor(upTo)})`;
    db.exec(`${chunk} ${WORDS}`);
    db.exec(`${chunk} ${ROWS}`);
    db.prepare('DELETE FROM querylog_v1 WHERE id <= ?').run(upTo);
    return true;
  }).immediate();
}
