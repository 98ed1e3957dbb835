/**
 * The query log's upgrade in the background (src/store/log-upgrade.ts) ends where the one-step
 * migration ends: the same rows, ids and fields, also when it was stopped half-way and resumed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { DATABASE_FILE, openStore, SCHEMA_VERSION } from '../../src/store/index.js';
import type { QueryLogRow, SqliteStore } from '../../src/store/index.js';
import { copyOldRows, logUpgradePending, switchLogSchema } from '../../src/store/log-upgrade.js';
import { migrate } from '../../src/store/migrations.js';
import { T0 } from './temp-store.js';

const ROWS = 45_000;

function schemaOneLog(dir: string): void {
  const db = new BetterSqlite3(join(dir, DATABASE_FILE));
  db.pragma('journal_mode = WAL');
  migrate(db, 1);
  db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
    INSERT INTO querylog (id, time, client, name, type, action, service, rule, exemption, rcode, latency_ms, upstream, cached)
    SELECT i * 2, ? + (i % 977) * 1000 + i, '10.2.' || (i % 50) || '.1', 'n' || (i % 3000) || '.example', CASE i % 2 WHEN 0 THEN 'A' ELSE 'TYPE65300' END,
      CASE WHEN i % 9 = 0 THEN 'block' ELSE 'allow' END, CASE WHEN i % 9 = 0 THEN 'vidio' END, CASE WHEN i % 9 = 0 THEN 'blokir' END,
      NULL, CASE WHEN i % 9 = 0 THEN 'NXDOMAIN' ELSE 'NOERROR' END, (i % 40) / 4.0, NULL, 0
    FROM n`).run(ROWS, T0);
  db.close();
}

async function allRows(store: SqliteStore): Promise<QueryLogRow[]> {
  const rows: QueryLogRow[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.queryLog.query({}, { limit: 500, ...(cursor === null ? {} : { cursor }) });
    rows.push(...page.rows);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return rows;
}

it('upgrades a schema 1 log in the background, resumed after a stop half-way (by serve or by a command), to the rows the one-step migration gives', async () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'rambu-upgrade-')), mkdtempSync(join(tmpdir(), 'rambu-upgrade-')), mkdtempSync(join(tmpdir(), 'rambu-upgrade-'))] as const;
  try {
    for (const dir of dirs) schemaOneLog(dir);
    const reference = openStore({ dir: dirs[0], pruneIntervalMs: 0 });
    const want = await allRows(reference);
    await reference.close();
    assert.equal(want.length, ROWS);

    // Stopped after the switch and one chunk, as a restart would leave it.
    for (const dir of [dirs[1], dirs[2]]) {
      const raw = new BetterSqlite3(join(dir, DATABASE_FILE));
      switchLogSchema(raw);
      assert.equal(copyOldRows(raw, 10_000), true);
      assert.equal(logUpgradePending(raw), true);
      raw.close();
    }
    // A command (rambu log) finishes it before it reads.
    const command = openStore({ dir: dirs[2], pruneIntervalMs: 0 });
    try {
      assert.equal(command.queryLog.migrating, false);
      assert.deepEqual(await allRows(command), want);
    } finally {
      await command.close();
    }

    const store = openStore({ dir: dirs[1], pruneIntervalMs: 0, logMigration: 'background' });
    try {
      assert.equal(store.queryLog.migrating, true);
      for (let waited = 0; store.queryLog.migrating && waited < 60_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      assert.equal(store.queryLog.migrating, false);
      assert.deepEqual(await allRows(store), want);
      assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(logUpgradePending(store.db), false);
    } finally {
      await store.close();
    }
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});
