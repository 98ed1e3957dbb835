import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/store/index.js';
import type { QueryLogEntry, QueryLogFilter, QueryLogRow, SqliteStore } from '../../src/store/index.js';
import { entry, T0, tempStore } from './temp-store.js';

const MIN = 60_000;
const DAY = 86_400_000;

/** Poll `cond` until it holds or `ms` pass; whether it held. */
async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Follow cursors to the end, collecting ids. */
async function all(store: SqliteStore, filter: QueryLogFilter, limit: number): Promise<{ rows: QueryLogRow[]; pages: number }> {
  const rows: QueryLogRow[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await store.queryLog.query(filter, { limit, ...(cursor === undefined ? {} : { cursor }) });
    pages++;
    rows.push(...page.rows);
    if (page.nextCursor === null) return { rows, pages };
    cursor = page.nextCursor;
  }
}

describe('query log buffering', () => {
  it('append does not write until a flush; flush writes every field back', async () => {
    const { store, cleanup } = tempStore();
    try {
      const e = entry({ name: 'WWW.YouTube.com', action: 'block', service: 'youtube', rule: 'r1', exemption: null, rcode: 'NXDOMAIN', latencyMs: 0.5, upstream: null, cached: true, type: 'HTTPS' });
      store.queryLog.append(e);
      assert.equal((await store.queryLog.query({})).rows.length, 0);
      assert.equal(store.queryLog.stats().buffered, 1);
      await store.queryLog.flush();
      const [row] = (await store.queryLog.query({})).rows;
      assert.deepEqual(row, { ...e, name: 'www.youtube.com', id: row?.id });
      assert.deepEqual(store.queryLog.stats(), { buffered: 0, dropped: 0, failed: 0, written: 1 });
    } finally {
      await cleanup();
    }
  });

  it('writes on its own after the interval', async () => {
    const { store, cleanup } = tempStore({ queryLog: { flushIntervalMs: 20 } });
    try {
      store.queryLog.append(entry());
      assert.equal(await until(() => store.queryLog.stats().written === 1), true);
      assert.equal((await store.queryLog.query({})).rows.length, 1);
    } finally {
      await cleanup();
    }
  });

  it('sends a full batch at once, without waiting for the interval', async () => {
    const { store, cleanup } = tempStore({ queryLog: { flushIntervalMs: 600_000, batchSize: 10 } });
    try {
      for (let i = 0; i < 13; i++) store.queryLog.append(entry());
      assert.equal(await until(() => store.queryLog.stats().written === 10), true);
      assert.deepEqual(store.queryLog.stats(), { buffered: 3, dropped: 0, failed: 0, written: 10 });
    } finally {
      await cleanup();
    }
  });

  it('drops and counts entries beyond the buffer bound, never blocking', async () => {
    const { store, cleanup } = tempStore({ queryLog: { maxBuffer: 5, batchSize: 1000, flushIntervalMs: 10_000 } });
    try {
      for (let i = 0; i < 8; i++) store.queryLog.append(entry());
      assert.deepEqual(store.queryLog.stats(), { buffered: 5, dropped: 3, failed: 0, written: 0 });
      await store.queryLog.flush();
      assert.equal(store.queryLog.stats().written, 5);
    } finally {
      await cleanup();
    }
  });

  it('close flushes what is buffered', async () => {
    const { store, dir, cleanup } = tempStore();
    store.queryLog.append(entry());
    store.queryLog.append(entry());
    await store.close();
    const { openStore } = await import('../../src/store/index.js');
    const again = openStore({ dir, pruneIntervalMs: 0 });
    try {
      assert.equal((await again.queryLog.query({})).rows.length, 2);
    } finally {
      await again.close();
      await cleanup();
    }
  });
});

describe('query log reads', () => {
  const rows: QueryLogEntry[] = [];
  for (let i = 0; i < 300; i++) {
    const blocked = i % 3 === 0;
    rows.push(entry({
      time: T0 + Math.floor(i / 2) * 1000, // pairs share a millisecond: the cursor must break ties
      client: `10.20.5.${i % 5}`,
      name: blocked ? `r${i}.googlevideo.com` : `host${i}.pasuruankota.go.id`,
      action: blocked ? 'block' : i % 50 === 1 ? 'ratelimited' : 'allow',
      service: blocked ? 'youtube' : null,
    }));
  }
  const expected = (pred: (e: QueryLogEntry) => boolean): number => rows.filter(pred).length;

  it('each filter, alone and combined, pages through exactly the matching rows, newest first, without gaps', async () => {
    // A tiny scan budget forces the bounded-scan path with partial pages.
    for (const scanBudget of [100_000, 7]) {
      const { store, cleanup } = tempStore({ queryLog: { scanBudget } });
      try {
        store.queryLog.insertMany(rows);
        const cases: [QueryLogFilter, (e: QueryLogEntry) => boolean][] = [
          [{}, () => true],
          [{ client: '10.20.5.2' }, (e) => e.client === '10.20.5.2'],
          [{ action: 'block' }, (e) => e.action === 'block'],
          [{ service: 'youtube' }, (e) => e.service === 'youtube'],
          [{ name: 'GoogleVideo' }, (e) => e.name.includes('googlevideo')],
          [{ name: 'host1' }, (e) => e.name.includes('host1')],
          [{ client: '10.20.5.3', action: 'block' }, (e) => e.client === '10.20.5.3' && e.action === 'block'],
          [{ action: 'ratelimited', name: 'host' }, (e) => e.action === 'ratelimited'],
          [{ since: T0 + 10_000, until: T0 + 20_000 }, (e) => e.time >= T0 + 10_000 && e.time < T0 + 20_000],
          [{ client: '10.20.5.0', since: T0 + 100_000 }, (e) => e.client === '10.20.5.0' && e.time >= T0 + 100_000],
          [{ client: 'nobody' }, () => false],
        ];
        for (const [filter, pred] of cases) {
          const { rows: got } = await all(store, filter, 13);
          const label = `${JSON.stringify(filter)} budget ${scanBudget}`;
          assert.equal(got.length, expected(pred), label);
          assert.equal(new Set(got.map((r) => r.id)).size, got.length, label);
          for (let i = 1; i < got.length; i++) {
            const a = got[i - 1]!, b = got[i]!;
            assert.ok(a.time > b.time || (a.time === b.time && a.id > b.id), `${label}: order at ${i}`);
          }
        }
      } finally {
        await cleanup();
      }
    }
  });

  it('marks pages cut short by the scan budget as partial', async () => {
    const { store, cleanup } = tempStore({ queryLog: { scanBudget: 10 } });
    try {
      store.queryLog.insertMany(rows);
      // Only the second-oldest row matches.
      const page = await store.queryLog.query({ name: 'host1.' }, { limit: 5 });
      assert.deepEqual(page.rows, []);
      assert.equal(page.partial, true);
      assert.notEqual(page.nextCursor, null);
      const { rows: got, pages } = await all(store, { name: 'host1.' }, 5);
      // 300 rows, 10 examined per page; the last page finds the log exhausted.
      assert.equal(pages, 31);
      assert.deepEqual(got.map((r) => r.name), ['host1.pasuruankota.go.id']);
    } finally {
      await cleanup();
    }
  });

  it('answers a client or service never logged with one empty, final page', async () => {
    const { store, cleanup } = tempStore({ queryLog: { scanBudget: 10 } });
    try {
      store.queryLog.insertMany(rows);
      for (const filter of [{ client: '10.99.0.1' }, { service: 'netflix' }, { client: '10.99.0.1', name: 'host' }]) {
        assert.deepEqual(await store.queryLog.query(filter, { limit: 5 }), { rows: [], nextCursor: null, partial: false }, JSON.stringify(filter));
      }
    } finally {
      await cleanup();
    }
  });

  it('pages through the whole log, within the scan budget, for a name substring never logged', async () => {
    const { store, cleanup } = tempStore({ queryLog: { scanBudget: 10 } });
    try {
      store.queryLog.insertMany(rows);
      // Names met once are stored in their rows, not in the dictionary: only the rows can tell.
      const { rows: got, pages } = await all(store, { name: 'no-such-name' }, 5);
      assert.deepEqual(got, []);
      assert.equal(pages, 31);
      assert.deepEqual((await all(store, { client: '10.20.5.1', name: 'nope' }, 5)).rows, []);
    } finally {
      await cleanup();
    }
  });

  it('finds a name by substring whether its rows hold it inline or as a word, in order, across cursors', async () => {
    for (const scanBudget of [100_000, 4]) {
      const { store, cleanup } = tempStore({ queryLog: { scanBudget } });
      try {
        // Thirty names, each logged three times in slow batches: inline the first time, then as a
        // word whose id has digits of its own (a name filter must not match them).
        const logged = Array.from({ length: 90 }, (_, i) => entry({ time: T0 + i * 1000, name: i % 10 === 3 ? `${i % 30}` : `n${i % 30}.example` }));
        store.queryLog.insertMany(logged);
        const forms = store.db.prepare('SELECT typeof(name) AS form, count(*) AS n FROM querylog GROUP BY 1 ORDER BY 1').all();
        assert.deepEqual(forms, [{ form: 'blob', n: 30 }, { form: 'integer', n: 60 }]);
        const ids = store.db.prepare("SELECT name FROM querylog WHERE typeof(name) = 'integer'").pluck().all() as number[];
        assert.ok(ids.some((id) => String(id).includes('7')), 'some word id has a 7');
        for (const needle of ['7', '13', 'N2', '.example', '3', '']) {
          const { rows: got } = await all(store, { name: needle }, 4);
          const want = logged.filter((e) => e.name.includes(needle.toLowerCase())).reverse();
          const label = `${needle} budget ${scanBudget}`;
          assert.deepEqual(got.map((r) => [r.time, r.name]), want.map((e) => [e.time, e.name]), label);
          for (let i = 1; i < got.length; i++) assert.ok((got[i - 1]?.id ?? 0) > (got[i]?.id ?? 0), `${label}: order at ${i}`);
        }
      } finally {
        await cleanup();
      }
    }
  });

  it('refuses a cursor it did not hand out', async () => {
    const { store, cleanup } = tempStore();
    try {
      for (const cursor of ['nope', Buffer.from('1.2.3').toString('base64url'), Buffer.from('1;DROP').toString('base64url')]) {
        await assert.rejects(store.queryLog.query({}, { cursor }), (err: unknown) => err instanceof StoreError && err.code === 'INVALID_CURSOR');
      }
    } finally {
      await cleanup();
    }
  });

  it('keeps per-minute and per-client aggregates that match the rows', async () => {
    const { store, cleanup } = tempStore();
    try {
      store.queryLog.insertMany(rows);
      for (const r of rows.slice(0, 30)) store.queryLog.append(r); // a second flush adds to the same minutes
      await store.queryLog.flush();
      const all = [...rows, ...rows.slice(0, 30)];
      const perMinute = await store.queryLog.queriesPerMinute(T0 - DAY, T0 + DAY);
      assert.equal(perMinute.reduce((n, m) => n + m.total, 0), all.length);
      assert.equal(perMinute.reduce((n, m) => n + m.blocked, 0), all.filter((e) => e.action === 'block').length);
      assert.deepEqual(perMinute.map((m) => m.minute), [T0, T0 + MIN, T0 + 2 * MIN]);
      assert.deepEqual(await store.queryLog.blockedByService(T0, T0 + DAY), [{ service: 'youtube', count: all.filter((e) => e.action === 'block').length }]);
      const byClient = await store.queryLog.blockedByClient(T0, T0 + DAY);
      assert.equal(byClient.length, 5);
      for (const c of byClient) assert.equal(c.count, all.filter((e) => e.action === 'block' && e.client === c.client).length);
      assert.deepEqual(await store.queryLog.blockedByClient(T0, T0 + DAY, 2), byClient.slice(0, 2));
      assert.deepEqual(await store.queryLog.blockedByService(T0 + 10 * MIN, T0 + DAY), []);
    } finally {
      await cleanup();
    }
  });

  it('prunes rows and aggregates older than the retention period', async () => {
    const { store, cleanup } = tempStore({ retentionDays: 7 });
    try {
      const old = Array.from({ length: 12_000 }, (_, i) => entry({ time: T0 - 10 * DAY + i, action: 'block', service: 'youtube' }));
      store.queryLog.insertMany([...old, entry({ time: T0 - 6 * DAY }), entry({ time: T0 })]);
      assert.equal(await store.queryLog.prune(T0), 12_000);
      assert.equal((await all(store, {}, 100)).rows.length, 2);
      assert.deepEqual(await store.queryLog.blockedByService(0, T0 + DAY), []);
      assert.equal((await store.queryLog.queriesPerMinute(0, T0 + DAY)).length, 2);
    } finally {
      await cleanup();
    }
  });
});

describe('query log at scale', () => {
  it('loads 1,000,000 rows with the bulk helper and pages a filtered query correctly', async () => {
    const { store, cleanup } = tempStore();
    try {
      const N = 1_000_000;
      function* generate(): Generator<QueryLogEntry> {
        for (let i = 0; i < N; i++) {
          const blocked = i % 17 === 0;
          yield entry({
            time: T0 + i * 100, client: `10.20.${i % 8}.${i % 200}`,
            name: blocked ? `rr${i % 40}.googlevideo.com` : `host${i % 5000}.pasuruankota.go.id`,
            action: blocked ? 'block' : 'allow', service: blocked ? 'youtube' : null, cached: i % 2 === 0,
          });
        }
      }
      assert.equal(store.queryLog.insertMany(generate()), N);
      // Client 10.20.3.3 appears at i ≡ 3 (mod 8) and i ≡ 3 (mod 200), i.e. i ≡ 3 (mod 200); blocked when also i ≡ 0 (mod 17).
      const expectedIds: number[] = [];
      for (let i = N - 1; i >= 0; i--) if (i % 200 === 3 && i % 17 === 0) expectedIds.push(i + 1);
      const first = await store.queryLog.query({ client: '10.20.3.3', action: 'block' }, { limit: 50 });
      assert.deepEqual(first.rows.map((r) => r.id), expectedIds.slice(0, 50).filter((_, k) => k < first.rows.length));
      const { rows } = await all(store, { client: '10.20.3.3', action: 'block' }, 200);
      assert.deepEqual(rows.map((r) => r.id), expectedIds);
      assert.ok(rows.every((r) => r.client === '10.20.3.3' && r.action === 'block' && r.service === 'youtube'));
      const named = await store.queryLog.query({ name: 'rr7.google', since: T0 + 500_000 * 100 }, { limit: 20 });
      assert.ok(named.rows.length > 0);
      assert.ok(named.rows.every((r) => r.name === 'rr7.googlevideo.com' && r.time >= T0 + 500_000 * 100));
    } finally {
      await cleanup();
    }
  });
});
