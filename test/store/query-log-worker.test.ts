/** The query log's writer thread and the columnar batches that feed it. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { DATABASE_FILE, openStore } from '../../src/store/index.js';
import type { QueryLogEntry } from '../../src/store/index.js';
import { BatchEncoder } from '../../src/store/query-log-batch.js';
import { QueryLogWriter, TEXT_SLACK_MS } from '../../src/store/query-log-writer.js';
import { FALLBACK_NICE } from '../../src/store/writer-priority.js';
import { entry, T0, tempStore } from './temp-store.js';

const SCHED_IDLE = 5;

const DAY = 86_400_000;

/** Rows as another connection (say, `rambu log` in another process) sees them. */
function rowsOnDisk(dir: string): number {
  const db = new BetterSqlite3(join(dir, DATABASE_FILE), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM querylog').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('query log writer thread', () => {
  it('flush resolves only once every entry appended before it is committed, across many batches', async () => {
    const { store, dir, cleanup } = tempStore({ queryLog: { batchSize: 64, flushIntervalMs: 600_000 } });
    try {
      for (let i = 0; i < 1000; i++) store.queryLog.append(entry({ time: T0 + i, client: `10.20.${i % 7}.${i % 251}`, name: `h${i}.example` }));
      await store.queryLog.flush();
      assert.equal(rowsOnDisk(dir), 1000);
      assert.deepEqual(store.queryLog.stats(), { buffered: 0, dropped: 0, failed: 0, written: 1000 });
      const page = await store.queryLog.query({ client: '10.20.3.3' }, { limit: 1000 });
      assert.deepEqual(page.rows.map((r) => r.name), ['h3.example']);
      const some = await store.queryLog.query({ client: '10.20.5.0' }, { limit: 1000 });
      assert.equal(some.rows.length, 1);
      assert.ok(some.rows.every((r) => r.client === '10.20.5.0' && r.name === `h${r.time - T0}.example`));
      // Ids keep the order of appending.
      const ids = (await store.queryLog.query({}, { limit: 1000 })).rows.map((r) => r.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    } finally {
      await cleanup();
    }
  });

  it('writes batches of sizes that are no multiple of the multi-row statement, rows and aggregates exact', async () => {
    const { store, dir, cleanup } = tempStore({ queryLog: { batchSize: 97, flushIntervalMs: 600_000 } });
    try {
      const entries = Array.from({ length: 3000 }, (_, i) => entry({
        time: T0 + i * 100, client: `10.30.0.${i % 9}`, name: i % 10 === 0 ? `Mixed${(i / 10) % 7}.Example` : `n${i % 400}.example`,
        action: i % 4 === 0 ? 'block' : 'allow', service: i % 4 === 0 ? 'youtube' : null,
      }));
      for (const e of entries) store.queryLog.append(e);
      await store.queryLog.flush();
      assert.equal(rowsOnDisk(dir), 3000);
      const minutes = await store.queryLog.queriesPerMinute(T0, T0 + DAY);
      assert.equal(minutes.length, 5);
      assert.equal(minutes.reduce((n, m) => n + m.total, 0), 3000);
      assert.equal(minutes.reduce((n, m) => n + m.blocked, 0), 750);
      const byClient = await store.queryLog.blockedByClient(T0, T0 + DAY, 100);
      for (const c of byClient) assert.equal(c.count, entries.filter((e) => e.action === 'block' && e.client === c.client).length, c.client);
      assert.equal(byClient.reduce((n, c) => n + c.count, 0), 750);
      const page = await store.queryLog.query({ name: 'mixed3.example' }, { limit: 1000 });
      assert.deepEqual(page.rows.map((r) => r.time), entries.filter((e) => e.name === 'Mixed3.Example').map((e) => e.time).reverse());
      assert.equal(page.rows.length, 43);
      assert.ok(page.rows.every((r) => r.name === 'mixed3.example'));
    } finally {
      await cleanup();
    }
  });

  it('counts entries in flight to the writer against the bound, and drops beyond it', async () => {
    const { store, cleanup } = tempStore({ queryLog: { batchSize: 2, maxBuffer: 4, flushIntervalMs: 600_000 } });
    try {
      // Synchronously: the writer cannot report anything written before the loop ends.
      for (let i = 0; i < 10; i++) store.queryLog.append(entry({ time: T0 + i }));
      assert.deepEqual(store.queryLog.stats(), { buffered: 4, dropped: 6, failed: 0, written: 0 });
      await store.queryLog.flush();
      assert.deepEqual(store.queryLog.stats(), { buffered: 0, dropped: 6, failed: 0, written: 4 });
      store.queryLog.append(entry());
      assert.equal(store.queryLog.stats().buffered, 1);
    } finally {
      await cleanup();
    }
  });

  it('close writes what is buffered and in flight, then refuses (counts) further entries', async () => {
    const { store, dir, cleanup } = tempStore({ queryLog: { batchSize: 3, flushIntervalMs: 600_000 } });
    for (let i = 0; i < 8; i++) store.queryLog.append(entry({ time: T0 + i }));
    await Promise.all([store.queryLog.close(), store.queryLog.close()]);
    assert.equal(rowsOnDisk(dir), 8);
    store.queryLog.append(entry());
    await store.queryLog.flush();
    assert.deepEqual(store.queryLog.stats(), { buffered: 0, dropped: 1, failed: 0, written: 8 });
    assert.equal(await store.queryLog.prune(T0 + 400 * DAY), 0);
    const again = openStore({ dir, pruneIntervalMs: 0 });
    try {
      assert.equal((await again.queryLog.query({})).rows.length, 8);
    } finally {
      await again.close();
      await cleanup();
    }
  });

  it('a batch the writer cannot commit is counted as failed, and flush still resolves', async () => {
    const { store, dir, cleanup } = tempStore();
    try {
      store.queryLog.append(entry());
      await store.queryLog.flush();
      const db = new BetterSqlite3(join(dir, DATABASE_FILE));
      db.exec("DELETE FROM querylog_state WHERE key = 'next_id'");
      db.close();
      store.queryLog.append(entry());
      store.queryLog.append(entry());
      await store.queryLog.flush();
      assert.deepEqual(store.queryLog.stats(), { buffered: 0, dropped: 0, failed: 2, written: 1 });
    } finally {
      await cleanup();
    }
  });

  it('stores names lowercase, whatever characters they hold, and latency to the microsecond', async () => {
    const { store, cleanup } = tempStore();
    try {
      const names = ['Bücher.Example', 'tab\there.example', 'new\nline.example', '', 'x'.repeat(300), '\u{1F600}.example'];
      names.forEach((name, i) => store.queryLog.append(entry({ time: T0 + i, name, client: i % 2 === 0 ? 'fe80::1' : '10.0.0.1', latencyMs: 1.2345678 })));
      await store.queryLog.flush();
      const rows = (await store.queryLog.query({}, { limit: 10 })).rows.reverse();
      assert.deepEqual(rows.map((r) => r.name), names.map((n) => n.toLowerCase()));
      assert.deepEqual(rows.map((r) => r.client), names.map((_, i) => (i % 2 === 0 ? 'fe80::1' : '10.0.0.1')));
      assert.ok(rows.every((r) => r.latencyMs === 1.235));
    } finally {
      await cleanup();
    }
  });

  it('logs the names of a batch as fast as a busy resolver inline, each found by substring', async () => {
    const { store, cleanup } = tempStore({ queryLog: { flushIntervalMs: 600_000 } });
    try {
      // 5,000 entries within 250 ms, of 16 names that look like numbers or are spelt in capitals.
      const names = Array.from({ length: 16 }, (_, k) => (k % 2 === 0 ? `${k * 101}` : `Host${k}.Example`));
      const entries = Array.from({ length: 5000 }, (_, i) => entry({ time: T0 + Math.floor(i / 20), name: names[i % 16] ?? '' }));
      for (const e of entries) store.queryLog.append(e);
      await store.queryLog.flush();
      const forms = store.db.prepare('SELECT typeof(name) AS form, count(*) AS n FROM querylog GROUP BY 1').all();
      assert.deepEqual(forms, [{ form: 'blob', n: 5000 }]);
      const page = await store.queryLog.query({}, { limit: 16 });
      assert.deepEqual(page.rows.map((r) => r.name).reverse(), entries.slice(-16).map((e) => e.name.toLowerCase()));
      for (const needle of ['1010', '0', 'host1', '.EXAMPLE']) {
        const { rows } = await store.queryLog.query({ name: needle }, { limit: 1000 });
        const want = entries.filter((e) => e.name.toLowerCase().includes(needle.toLowerCase())).reverse().slice(0, 1000);
        assert.deepEqual(rows.map((r) => [r.time, r.name]), want.map((e) => [e.time, e.name.toLowerCase()]), needle);
      }
    } finally {
      await cleanup();
    }
  });

  it('prunes through the writer, forgets words no row uses, and writes them again when they return', async () => {
    const { store, dir, cleanup } = tempStore({ retentionDays: 7 });
    try {
      const old = entry({ time: T0 - 30 * DAY, client: '10.66.0.1', name: 'old.example', action: 'block', service: 'gone', rule: 'old-rule' });
      // Separate batches: a word's last use is its batch's newest row. Twice, so that the name is a word.
      store.queryLog.append(old);
      store.queryLog.append(old);
      await store.queryLog.flush();
      store.queryLog.append(entry({ time: T0 }));
      await store.queryLog.flush();
      assert.equal(await store.queryLog.prune(T0), 2);
      const db = new BetterSqlite3(join(dir, DATABASE_FILE), { readonly: true });
      const words = db.prepare('SELECT text FROM querylog_text').pluck().all() as string[];
      db.close();
      for (const w of ['10.66.0.1', 'old.example', 'gone', 'old-rule']) assert.ok(!words.includes(w), w);
      assert.ok(words.includes('10.20.1.1'));
      // The writer (and the main thread's dictionary) still know these words: they must be written anew.
      store.queryLog.append({ ...old, time: T0 + 1 });
      await store.queryLog.flush();
      store.queryLog.append({ ...old, time: T0 + 2 });
      await store.queryLog.flush();
      const got = (await store.queryLog.query({ client: '10.66.0.1' })).rows;
      assert.deepEqual(got, [{ ...old, time: T0 + 2, id: got[0]?.id }, { ...old, time: T0 + 1, id: got[1]?.id }]);
      assert.deepEqual((await store.queryLog.query({ name: 'old.ex' })).rows.map((r) => r.time), [T0 + 2, T0 + 1]);
    } finally {
      await cleanup();
    }
  });
});

/** Encode `entries` and write them through `writer` batch by batch, as the writer thread does. */
function writeAll(encoder: BatchEncoder, writer: QueryLogWriter, entries: readonly QueryLogEntry[]): number {
  let batches = 0;
  const write = (): void => {
    const b = encoder.take();
    if (b === null) return;
    batches++;
    writer.write(b);
  };
  for (const e of entries) {
    if (!encoder.encode(e)) { write(); assert.equal(encoder.encode(e), true); }
  }
  write();
  return batches;
}

describe('query log batches', () => {
  it('a dictionary that starts over keeps every row right', async () => {
    const { store, cleanup } = tempStore();
    try {
      const encoder = new BatchEncoder({ capacity: 4, maxStrings: 3 });
      const writer = new QueryLogWriter(store.db);
      const entries = Array.from({ length: 20 }, (_, i) => entry({
        time: T0 + i, type: `TYPE${i % 5}`, rcode: i % 2 === 0 ? 'NOERROR' : 'NXDOMAIN', rule: i % 3 === 0 ? `rule-${i}` : null,
        upstream: i % 4 === 0 ? null : `udp://10.0.0.${i % 3}:53`,
      }));
      assert.ok(writeAll(encoder, writer, entries) > 5);
      const rows = store.db.prepare(`SELECT q.time,
          (SELECT text FROM querylog_text WHERE id = q.type) AS type, (SELECT text FROM querylog_text WHERE id = q.rcode) AS rcode,
          (SELECT text FROM querylog_text WHERE id = q.rule) AS rule, (SELECT text FROM querylog_text WHERE id = q.upstream) AS upstream
        FROM querylog AS q ORDER BY time`).all();
      assert.deepEqual(rows, entries.map((e) => ({ time: e.time, type: e.type, rcode: e.rcode, rule: e.rule, upstream: e.upstream })));
    } finally {
      await cleanup();
    }
  });

  it("refreshes a word's last use at most once per slack period, never falling further behind its rows", async () => {
    const { store, cleanup } = tempStore();
    try {
      const encoder = new BatchEncoder({ capacity: 10 });
      const writer = new QueryLogWriter(store.db);
      const lastUse = (): number => store.db.prepare("SELECT last_time FROM querylog_text WHERE text = '10.20.1.1'").pluck().get() as number;
      writeAll(encoder, writer, [entry({ time: T0 })]);
      assert.equal(lastUse(), T0);
      writeAll(encoder, writer, [entry({ time: T0 + 1000 })]);
      assert.equal(lastUse(), T0);
      writeAll(encoder, writer, [entry({ time: T0 + TEXT_SLACK_MS + 5000 })]);
      assert.equal(lastUse(), T0 + TEXT_SLACK_MS + 5000);
    } finally {
      await cleanup();
    }
  });
});

/** Scheduling policy (SCHED_OTHER 0, SCHED_IDLE 5) and nice value of each thread of this process. */
function threadPolicies(): { tid: string; policy: number; nice: number }[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return [{ tid, policy: Number(fields[38]), nice: Number(fields[16]) }];
    } catch {
      return [];
    }
  });
}

describe('writer thread priority', { skip: process.platform !== 'linux' }, () => {
  it('the writer thread alone runs under SCHED_IDLE, so that it never delays DNS', async () => {
    const { store, cleanup } = tempStore({ queryLog: { flushIntervalMs: 600_000 } });
    try {
      store.queryLog.append(entry({ time: T0, client: '10.0.0.1', name: 'a.example' }));
      await store.queryLog.flush();
      const idle = threadPolicies().filter((t) => t.policy === SCHED_IDLE);
      assert.equal(idle.length, 1, `threads: ${JSON.stringify(threadPolicies())}`);
      assert.notEqual(idle[0]!.tid, String(process.pid));
      const main = threadPolicies().find((t) => t.tid === String(process.pid))!;
      assert.deepEqual([main.policy, main.nice], [0, 0]);
    } finally {
      await cleanup();
    }
  });

  it('without the native helper a thread lowers its nice value instead', async () => {
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads');
      const { readFileSync } = require('node:fs');
      const Module = require('node:module');
      const load = Module._load;
      Module._load = function (request, ...rest) {
        if (String(request).endsWith('process.node')) throw new Error('not built');
        return load.call(this, request, ...rest);
      };
      import(${JSON.stringify(new URL('../../src/store/writer-priority.js', import.meta.url).href)}).then((m) => {
        const result = m.yieldToDns();
        const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
        parentPort.postMessage({ result, policy: Number(fields[38]), nice: Number(fields[16]) });
      });
    `, { eval: true });
    const report = await new Promise<{ result: string; policy: number; nice: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.deepEqual(report, { result: 'nice', policy: 0, nice: FALLBACK_NICE });
    assert.equal(threadPolicies().find((t) => t.tid === String(process.pid))!.nice, 0);
  });
});
