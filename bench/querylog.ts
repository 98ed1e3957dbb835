/**
 * Query-log page timings over a large table (default 10 million rows): the console's promise is a
 * page in under 200 ms whatever the filters. Run after a build:
 *
 *   node dist/bench/querylog.js                 # 10M rows in a temp dir, removed afterwards
 *   ROWS=2000000 node dist/bench/querylog.js
 *   BENCH_DIR=/var/tmp/qlog node dist/bench/querylog.js   # keep the database and reuse it next run
 *   RATE=50000 ROWS=2000000 node dist/bench/querylog.js    # rows 50,000 a second apart: names inline
 *
 * RATE (queries a second of log time, default 20) decides how the writer stores names: at an office's
 * rates the names it meets again become dictionary ids, at a busy resolver's every name is inline.
 * It also reports the bytes each row costs on disk, as written and after VACUUM (VACUUM=0 skips that).
 *
 * `--rows N` sets the row count (as ROWS does); `--backend postgres` times the shared query log on
 * PostgreSQL instead (bench/querylog-postgres.ts; `--url URL`, `--ship-rows N`).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DATABASE_FILE, openStore } from '../src/store/index.js';
import type { QueryLogEntry, QueryLogFilter } from '../src/store/index.js';

const { values: args } = parseArgs({
  options: { backend: { type: 'string', default: 'sqlite' }, rows: { type: 'string' }, url: { type: 'string' }, 'ship-rows': { type: 'string' } },
});
const ROWS = Number(args.rows ?? process.env['ROWS'] ?? 10_000_000);
const TARGET_MS = 200;
const keep = process.env['BENCH_DIR'] !== undefined;
const dir = process.env['BENCH_DIR'] ?? mkdtempSync(join(tmpdir(), 'rambu-bench-'));
const START = Date.parse('2026-05-01T00:00:00+07:00');
/** 20 queries a second by default: 10M rows span ~5.8 days. */
const STEP_MS = 1000 / Number(process.env['RATE'] ?? 20);

function* generate(n: number): Generator<QueryLogEntry> {
  for (let i = 0; i < n; i++) {
    const blocked = i % 19 === 0;
    const client = `10.20.${i % 16}.${(i * 7) % 250}`;
    yield {
      time: START + i * STEP_MS, client,
      name: blocked ? `rr${i % 60}---sn-${i % 13}.googlevideo.com` : `host${i % 20_000}.pasuruankota.go.id`,
      type: i % 3 === 0 ? 'AAAA' : 'A', action: blocked ? 'block' : i % 997 === 0 ? 'ratelimited' : 'allow',
      service: blocked ? 'youtube' : null, rule: blocked ? 'blokir-streaming-jam-kerja' : null, exemption: null,
      rcode: blocked ? 'NXDOMAIN' : 'NOERROR', latencyMs: (i % 40) / 4, upstream: blocked ? null : 'udp://1.1.1.1:53', cached: i % 2 === 0,
    };
  }
}

if (args.backend === 'postgres') {
  const { runPostgresBench } = await import('./querylog-postgres.js');
  process.exitCode = await runPostgresBench({
    rows: ROWS, rate: Number(process.env['RATE'] ?? 20), url: args.url ?? null, shipRows: Number(args['ship-rows'] ?? 200_000),
  }, process.stdout);
} else {
  await sqliteBench();
}

async function sqliteBench(): Promise<void> {
  const fresh = !existsSync(join(dir, DATABASE_FILE));
  const store = openStore({ dir, pruneIntervalMs: 0, retentionDays: 3650 });
  try {
    if (fresh) {
      const t = performance.now();
      store.queryLog.insertMany(generate(ROWS));
      const s = (performance.now() - t) / 1000;
      process.stdout.write(`inserted ${ROWS.toLocaleString('en')} rows in ${s.toFixed(1)} s (${Math.round(ROWS / s).toLocaleString('en')} rows/s)\n`);
    }
    const count = (store.db.prepare('SELECT COUNT(*) AS n FROM querylog').get() as { n: number }).n;
    process.stdout.write(`table holds ${count.toLocaleString('en')} rows\n`);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const perRow = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB, ${(bytes / Math.max(1, count)).toFixed(1)} bytes per row`;
    process.stdout.write(`database file: ${perRow(statSync(store.file).size)}\n`);
    if (process.env['VACUUM'] !== '0') {
      const copy = join(dir, 'vacuumed.db');
      rmSync(copy, { force: true });
      store.db.prepare('VACUUM INTO ?').run(copy);
      process.stdout.write(`after VACUUM:  ${perRow(statSync(copy).size)}\n`);
      rmSync(copy, { force: true });
    }
    process.stdout.write('\n');
    const end = START + count * STEP_MS;
    const cases: [string, QueryLogFilter][] = [
      ['no filter', {}],
      ['client', { client: '10.20.3.21' }],
      ['action=block', { action: 'block' }],
      ['action=ratelimited (rare)', { action: 'ratelimited' }],
      ['service=youtube', { service: 'youtube' }],
      ['name substring (common)', { name: 'googlevideo' }],
      ['name substring (rare)', { name: 'host12345.' }],
      ['name substring (absent)', { name: 'no-such-name' }],
      ['client + action', { client: '10.20.3.21', action: 'block' }],
      ['client + name', { client: '10.20.3.21', name: 'host1' }],
      ['last hour', { since: end - 3_600_000 }],
      ['one hour, 2 days ago, + action', { since: end - 49 * 3_600_000, until: end - 48 * 3_600_000, action: 'block' }],
    ];
    const rows: string[][] = [];
    let slow = 0;
    for (const [label, filter] of cases) {
      const times: number[] = [];
      let cursor: string | undefined;
      let got = 0;
      let partial = 0;
      // Ten consecutive pages of 100: the first page and pages deep in the cursor chain.
      for (let p = 0; p < 10; p++) {
        const t = performance.now();
        const page = await store.queryLog.query(filter, { limit: 100, ...(cursor === undefined ? {} : { cursor }) });
        times.push(performance.now() - t);
        got += page.rows.length;
        if (page.partial) partial++;
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      const sorted = [...times].sort((a, b) => a - b);
      const max = sorted[sorted.length - 1] ?? 0;
      if (max > TARGET_MS) slow++;
      rows.push([label, String(times.length), String(got), String(partial), (sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1), max.toFixed(1), max > TARGET_MS ? 'SLOW' : 'ok']);
    }
    const header = ['filter', 'pages', 'rows', 'partial', 'median ms', 'max ms', `< ${TARGET_MS} ms`];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    for (const r of [header, ...rows]) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}\n`);
    const t = performance.now();
    await store.queryLog.blockedByClient(end - 86_400_000, end);
    await store.queryLog.queriesPerMinute(end - 86_400_000, end);
    process.stdout.write(`\noverview aggregates (24 h): ${(performance.now() - t).toFixed(1)} ms\n`);
    process.exitCode = slow > 0 ? 1 : 0;
  } finally {
    await store.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
