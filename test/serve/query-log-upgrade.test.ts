/**
 * An upgrade never takes DNS down: `rambu serve`, started as `npm start` starts it on a database
 * whose query log is at schema 1 with 200,000 rows (about 40 MB; the schema step that upgrades it
 * took about 60 s at 10 million rows when it ran before DNS), answers DNS before the log's upgrade
 * is done, says on the console that it runs, and ends with every old row readable, fields intact,
 * beside the rows of the queries answered meanwhile.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { RR_TYPE } from '../../src/dns/index.js';
import { DATABASE_FILE, SCHEMA_VERSION } from '../../src/store/index.js';
import { migrate } from '../../src/store/migrations.js';
import { buildQuery, udpExchange } from '../dns/dns-test-kit.js';
import { freeDnsPort } from '../e2e/kit/free-port.js';
import { npmStartCommand, ROOT } from '../e2e/kit/product.js';
import { logRows } from './query-log-reads.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'rambu.js');
const ROWS = 200_000;
const DAY = 86_400_000;

/** A schema 1 database with ROWS query-log rows, one every 100 ms, from two days ago on. */
function oldDatabase(file: string, t0: number): void {
  const db = new BetterSqlite3(file);
  try {
    db.pragma('journal_mode = WAL');
    migrate(db, 1);
    db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
      INSERT INTO querylog (id, time, client, name, type, action, service, rule, exemption, rcode, latency_ms, upstream, cached)
      SELECT i, ? + i * 100, '10.1.' || (i % 200) || '.' || (i % 7), 'h' || (i % 5000) || '.example',
        CASE i % 3 WHEN 0 THEN 'A' WHEN 1 THEN 'AAAA' ELSE 'HTTPS' END, CASE WHEN i % 10 = 0 THEN 'block' ELSE 'allow' END,
        CASE WHEN i % 10 = 0 THEN 'youtube' END, CASE WHEN i % 10 = 0 THEN 'blokir' END, CASE WHEN i % 13 = 0 THEN 'rapat' END,
        CASE WHEN i % 10 = 0 THEN 'NXDOMAIN' ELSE 'NOERROR' END, (i % 100) / 8.0,
        CASE WHEN i % 10 = 0 THEN NULL ELSE 'udp://10.0.0.1:53' END, i % 2
      FROM n`).run(ROWS, t0);
  } finally {
    db.close();
  }
}

/** What generated row `i` must read as. */
function expected(i: number, t0: number): Record<string, unknown> {
  const blocked = i % 10 === 0;
  return {
    id: i, time: t0 + i * 100, client: `10.1.${i % 200}.${i % 7}`, name: `h${i % 5000}.example`, type: ['A', 'AAAA', 'HTTPS'][i % 3],
    action: blocked ? 'block' : 'allow', service: blocked ? 'youtube' : null, rule: blocked ? 'blokir' : null,
    exemption: i % 13 === 0 ? 'rapat' : null, rcode: blocked ? 'NXDOMAIN' : 'NOERROR', latencyMs: (i % 100) / 8,
    upstream: blocked ? null : 'udp://10.0.0.1:53', cached: i % 2 === 1,
  };
}

test('serve answers DNS while a 200,000-row schema 1 query log is upgraded in the background', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-upgrade-'));
  const t0 = Date.now() - 2 * DAY;
  try {
    const data = join(dir, 'data');
    mkdirSync(data);
    oldDatabase(join(data, DATABASE_FILE), t0);
    const port = await freeDnsPort();
    const config = join(dir, 'rambu.yaml');
    writeFileSync(config, `dns:\n  listen: ["127.0.0.1:${port}"]\n  upstreams: ["udp://127.0.0.1:9"]\n  timeoutMs: 200\n` +
      `web:\n  enabled: false\nstorage:\n  path: ${JSON.stringify(data)}\nlog:\n  level: info\nrules:\n  - name: blokir-doh\n    block: [doh-bypass]\n`);

    const start = npmStartCommand();
    const startedAt = Date.now();
    const child = spawn(process.execPath, [...start.nodeArgs, BIN, 'serve', '--config', config], { cwd: ROOT, env: { ...process.env, ...start.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      // A blocked name is answered from the policy alone, whatever the (dead) upstream does.
      let answeredAt = 0;
      for (let i = 0; answeredAt === 0; i++) {
        assert.ok(Date.now() - startedAt < 30_000 && child.exitCode === null, `no DNS answer:\n${output}`);
        if ((await udpExchange(port, buildQuery(`q${i}.dns.google`, RR_TYPE.A), 100)) !== null) answeredAt = Date.now();
      }
      const doneWhenAnswered = output.includes('query log migration finished');
      process.stderr.write(`# first DNS answer ${answeredAt - startedAt} ms after spawn\n`);
      assert.match(output, /upgrading the stored log in the background/);
      assert.equal(doneWhenAnswered, false, `the upgrade finished before DNS answered:\n${output}`);

      for (let waited = 0; !output.includes('query log migration finished') && waited < 120_000; waited += 200) {
        await udpExchange(port, buildQuery(`w${waited}.dns.google`, RR_TYPE.AAAA), 100);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(output, /"query log migration finished"/);
      const ms = /"ms":(\d+),"msg":"query log migration finished"/.exec(output)?.[1];
      process.stderr.write(`# upgrade of ${ROWS} rows: ${ms ?? '?'} ms\n`);

      const db = new BetterSqlite3(join(data, DATABASE_FILE), { readonly: true });
      try {
        assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
        assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'querylog_v1'").pluck().get(), 0);
      } finally {
        db.close();
      }
      // Every old row of one client, and the new rows of the queries answered meanwhile.
      const old = logRows((await run(process.execPath, [BIN, 'log', '--config', config, '--client', '10.1.13.6', '--limit', '1000', '--json'])).stdout);
      const ids = Array.from({ length: ROWS }, (_, k) => k + 1).filter((i) => i % 200 === 13 && i % 7 === 6);
      // Each row names the gateway that answered it: this one, by its default name, the host's.
      assert.ok(old.every((r) => r.gateway === hostname()), 'every row names this gateway');
      assert.deepEqual(old.map(({ gateway: _gateway, ...r }) => r), ids.map((i) => expected(i, t0)));
      const fresh = logRows((await run(process.execPath, [BIN, 'log', '--config', config, '--client', '127.0.0.1', '--limit', '100000', '--json'])).stdout);
      assert.ok(fresh.length > 0 && fresh.every((r) => r.id > ROWS && r.rule === 'blokir-doh' && r.service === 'doh-bypass'), `${fresh.length} new rows`);
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
