/**
 * The console's query-log pages over the shared query log on PostgreSQL (`--backend postgres` of
 * bench/querylog.ts). Rows are generated in the server (INSERT ... SELECT over generate_series, the
 * same mix as the SQLite run, two gateways) into the daily partitions, and the per-minute aggregates
 * from them; then the same filters are paged ten pages deep. Before that, a smaller number of rows
 * goes through the real shipping path (the local SQLite log, one unnest() statement per batch) to
 * measure its rate.
 *
 *   npm run bench:querylog -- --backend postgres --rows 10000000
 *   npm run bench:querylog -- --backend postgres --url postgres://rambu@db/rambu_bench --keep
 *
 * Without --url a throwaway cluster (Debian's postgresql, as in the tests) is started in a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { LocalLogSource, PgQueryLogReader, prepareLocalLog, readMark, shipBatch } from '../src/store/postgres/index.js';
import { migrateShared } from '../src/store/postgres/migrations.js';
import { ensurePartitions } from '../src/store/postgres/query-log-partitions.js';
import { openStore, type QueryLogEntry, type QueryLogFilter } from '../src/store/index.js';
import { startPostgres } from '../test/kit/postgres.js';

const TARGET_MS = 200;
const START = Date.parse('2026-05-01T00:00:00+07:00');

export interface PostgresBenchOptions {
  rows: number;
  /** Queries a second of log time. */
  rate: number;
  url: string | null;
  /** Rows sent through the shipping path first. */
  shipRows: number;
}

function* generate(n: number, step: number): Generator<QueryLogEntry> {
  for (let i = 0; i < n; i++) {
    const blocked = i % 19 === 0;
    yield {
      time: START + i * step, client: `10.20.${i % 16}.${(i * 7) % 250}`,
      name: blocked ? `rr${i % 60}---sn-${i % 13}.googlevideo.com` : `host${i % 20_000}.pasuruankota.go.id`,
      type: i % 3 === 0 ? 'AAAA' : 'A', action: blocked ? 'block' : i % 997 === 0 ? 'ratelimited' : 'allow',
      service: blocked ? 'youtube' : null, rule: blocked ? 'blokir-streaming-jam-kerja' : null, exemption: null,
      rcode: blocked ? 'NXDOMAIN' : 'NOERROR', latencyMs: (i % 40) / 4, upstream: blocked ? null : 'udp://1.1.1.1:53', cached: i % 2 === 0,
    };
  }
}

/** The same mix as `generate`, computed by the server for rows [from, to). */
const GENERATE = `INSERT INTO querylog (time, gateway, client, name, type, action, service, rule, exemption, rcode, latency_us, upstream, cached)
  SELECT ($3::bigint + floor(i * $4::float8))::bigint, CASE WHEN i % 2 = 0 THEN 'gw-a' ELSE 'gw-b' END,
    '10.20.' || (i % 16) || '.' || ((i * 7) % 250),
    CASE WHEN i % 19 = 0 THEN 'rr' || (i % 60) || '---sn-' || (i % 13) || '.googlevideo.com' ELSE 'host' || (i % 20000) || '.pasuruankota.go.id' END,
    CASE WHEN i % 3 = 0 THEN 'AAAA' ELSE 'A' END,
    CASE WHEN i % 19 = 0 THEN 1 WHEN i % 997 = 0 THEN 3 ELSE 0 END,
    CASE WHEN i % 19 = 0 THEN 'youtube' END, CASE WHEN i % 19 = 0 THEN 'blokir-streaming-jam-kerja' END, NULL,
    CASE WHEN i % 19 = 0 THEN 'NXDOMAIN' ELSE 'NOERROR' END, (i % 40) * 250,
    CASE WHEN i % 19 = 0 THEN NULL ELSE 'udp://1.1.1.1:53' END, i % 2 = 0
  FROM generate_series($1::bigint, $2::bigint - 1) AS i`;

export async function runPostgresBench(options: PostgresBenchOptions, out: NodeJS.WritableStream): Promise<number> {
  const server = options.url === null ? await startPostgres() : null;
  const url = options.url ?? await server!.createDatabase('rambu_bench');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const dir = mkdtempSync(join(tmpdir(), 'rambu-bench-pg-'));
  const step = 1000 / options.rate;
  try {
    // The schema as a gateway makes it, through a pool client's interface.
    await migrateShared(client as unknown as pg.PoolClient, 'bench');
    const have = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM querylog')).rows[0]?.n ?? 0);

    if (have === 0 && options.shipRows > 0) {
      // The shipping path: rows into a local SQLite log, then into PostgreSQL a batch at a time.
      const local = openStore({ dir, pruneIntervalMs: 0, retentionDays: 3650 });
      local.queryLog.insertMany(generate(options.shipRows, step));
      prepareLocalLog(local.db);
      const source = new LocalLogSource(local.db);
      const state = await readMark(client, 'gw-ship');
      const t = performance.now();
      let shipped = 0;
      for (;;) {
        const r = await shipBatch(source, client, 'gw-ship', state, { now: Date.now() });
        shipped += r.shipped;
        if (!r.more && r.shipped === 0) break;
      }
      const s = (performance.now() - t) / 1000;
      out.write(`shipped ${shipped.toLocaleString('en')} rows from a local log in ${s.toFixed(1)} s (${Math.round(shipped / s).toLocaleString('en')} rows/s, one statement per 5,000)\n`);
      await local.close();
      await client.query("DELETE FROM querylog WHERE gateway = 'gw-ship'; DELETE FROM querylog_minute; DELETE FROM querylog_blocked_minute");
    }
    if (have === 0) {
      const t = performance.now();
      await ensurePartitions(client, START, START + options.rows * step);
      const CHUNK = 1_000_000;
      for (let i = 0; i < options.rows; i += CHUNK) {
        await client.query(GENERATE, [i, Math.min(options.rows, i + CHUNK), START, step]);
      }
      // The aggregates in minute order, as the gateways write them while they ship: a day of them
      // lies together on disk, as it would in a real database.
      await client.query(`INSERT INTO querylog_minute (minute, gateway, total, blocked)
        SELECT time - time % 60000, gateway, count(*), count(*) FILTER (WHERE action = 1) FROM querylog GROUP BY 1, 2 ORDER BY 1, 2`);
      await client.query(`INSERT INTO querylog_blocked_minute (minute, gateway, client, service, count)
        SELECT time - time % 60000, gateway, client, coalesce(service, ''), count(*) FROM querylog WHERE action = 1 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`);
      await client.query('VACUUM ANALYZE querylog');
      await client.query('VACUUM ANALYZE querylog_minute');
      await client.query('VACUUM ANALYZE querylog_blocked_minute');
      const s = (performance.now() - t) / 1000;
      out.write(`generated ${options.rows.toLocaleString('en')} rows in the server in ${s.toFixed(1)} s\n`);
    }
    const count = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM querylog')).rows[0]?.n ?? 0);
    const size = Number((await client.query<{ b: string }>("SELECT sum(pg_total_relation_size(inhrelid)) AS b FROM pg_inherits WHERE inhparent = 'querylog'::regclass")).rows[0]?.b ?? 0);
    const days = Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'querylog'::regclass")).rows[0]?.n ?? 0);
    out.write(`table holds ${count.toLocaleString('en')} rows in ${days} daily partitions, ${(size / 1e6).toFixed(0)} MB with indexes (${(size / Math.max(1, count)).toFixed(0)} bytes a row)\n\n`);

    const reader = new PgQueryLogReader(client);
    const end = START + count * step;
    const cases: [string, QueryLogFilter][] = [
      ['no filter', {}],
      ['gateway', { gateway: 'gw-b' }],
      ['client', { client: '10.20.3.21' }],
      ['action=block', { action: 'block' }],
      ['action=ratelimited (rare)', { action: 'ratelimited' }],
      ['service=youtube', { service: 'youtube' }],
      ['name substring (common)', { name: 'googlevideo' }],
      ['name substring (rare)', { name: 'host12345.' }],
      ['name substring (absent)', { name: 'no-such-name' }],
      ['client + action', { client: '10.20.3.21', action: 'block' }],
      ['gateway + client', { gateway: 'gw-a', client: '10.20.4.28' }],
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
      for (let p = 0; p < 10; p++) {
        const t = performance.now();
        const page = await reader.query(filter, { limit: 100, ...(cursor === undefined ? {} : { cursor }) });
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
    for (const r of [header, ...rows]) out.write(`${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}\n`);
    // The overview's reads, each alone (a gateway runs them at once on its pool), over the last 24 h.
    const day = end - 86_400_000;
    const aggregates: [string, () => Promise<unknown>][] = [
      ['blocked by client', () => reader.blockedByClient(day, end)], ['blocked by service', () => reader.blockedByService(day, end)],
      ['queries per minute', () => reader.queriesPerMinute(day, end)], ['would block by service', () => reader.wouldBlockByService(day, end)],
    ];
    out.write('\noverview aggregates (24 h), best of 3:\n');
    for (const [label, read] of aggregates) {
      let best = Infinity;
      for (let k = 0; k < 3; k++) {
        const t = performance.now();
        await read();
        best = Math.min(best, performance.now() - t);
      }
      out.write(`  ${label.padEnd(24)} ${best.toFixed(1)} ms${best > TARGET_MS ? '  SLOW' : ''}\n`);
      if (best > TARGET_MS) slow++;
    }
    const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT * FROM querylog WHERE client = '10.20.3.21' ORDER BY time DESC, seq DESC LIMIT 101`);
    out.write(`\nplan of a client page:\n${plan.rows.slice(0, 6).map((r) => `  ${r['QUERY PLAN']}`).join('\n')}\n`);
    // The statements the reader issues for the first client + action page and for blocked by client, as run.
    const issued: [string, unknown[]][] = [];
    const recording = new PgQueryLogReader({
      query: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => { issued.push([text, values ?? []]); return client.query<R>(text, values); },
    });
    await recording.query({ client: '10.20.3.21', action: 'block' }, { limit: 100 });
    await recording.blockedByClient(day, end);
    for (const [text, values] of issued) {
      const analyzed = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
      out.write(`\n${text.replace(/\s+/g, ' ').trim()}\n  ${JSON.stringify(values)}\n${analyzed.rows.map((r) => `  ${r['QUERY PLAN']}`).join('\n')}\n`);
    }
    return slow > 0 ? 1 : 0;
  } finally {
    await client.end();
    rmSync(dir, { recursive: true, force: true });
    if (server !== null && process.env['KEEP'] !== '1') await server.destroy();
  }
}
