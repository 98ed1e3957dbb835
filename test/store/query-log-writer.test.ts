/** The query-log writer on its own: multi-row inserts, names, clients, dictionary and aggregates. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Database } from 'better-sqlite3';
import type { QueryLogEntry } from '../../src/store/index.js';
import { BatchEncoder } from '../../src/store/query-log-batch.js';
import { INLINE_NAMES_RATE, QueryLogWriter } from '../../src/store/query-log-writer.js';
import type { QueryLogWriterOptions } from '../../src/store/query-log-writer.js';
import { entry, T0, tempStore } from './temp-store.js';

const MIN = 60_000;
const ACTIONS = ['allow', 'block', 'refused', 'ratelimited', 'error'] as const;

/** One encoder feeding one writer, as on the two threads. */
class Feed {
  readonly encoder: BatchEncoder;
  readonly writer: QueryLogWriter;
  /** Entries of each batch written. */
  readonly sizes: number[] = [];

  constructor(db: Database, options: { capacity?: number; maxStrings?: number } & QueryLogWriterOptions = {}) {
    this.encoder = new BatchEncoder({ capacity: options.capacity ?? 1000, maxStrings: options.maxStrings });
    this.writer = new QueryLogWriter(db, { inlineNamesRate: options.inlineNamesRate });
  }

  /** Write `entries` as one batch (more when the dictionary starts over or the capacity is reached). */
  batch(entries: readonly QueryLogEntry[]): this {
    for (const e of entries) {
      if (!this.encoder.encode(e)) { this.#write(); assert.equal(this.encoder.encode(e), true); }
    }
    this.#write();
    return this;
  }

  #write(): void {
    const b = this.encoder.take();
    if (b === null) return;
    this.sizes.push(b.count);
    this.writer.write(b);
    this.encoder.recycle(b.buffer);
  }
}

const text = (column: string): string => `(SELECT text FROM querylog_text WHERE id = q.${column}) AS ${column}`;
const NAME = `CASE typeof(q.name) WHEN 'blob' THEN CAST(q.name AS TEXT) ELSE (SELECT text FROM querylog_text WHERE id = q.name) END AS name`;

/** Every stored row, oldest id first, with its words spelled out. */
function storedRows(db: Database): (QueryLogEntry & { id: number })[] {
  const rows = db.prepare(`SELECT q.id, q.time, ${text('client')}, ${NAME}, ${text('type')}, q.action, ${text('service')},
      ${text('rule')}, ${text('exemption')}, ${text('rcode')}, q.latency_us, ${text('upstream')}, q.cached
    FROM querylog AS q ORDER BY q.id`).all() as Record<string, unknown>[];
  return rows.map((r) => ({
    id: r['id'] as number, time: r['time'] as number, client: r['client'] as string, name: r['name'] as string, type: r['type'] as string,
    action: ACTIONS[r['action'] as number] ?? 'error', service: r['service'] as string | null, rule: r['rule'] as string | null,
    exemption: r['exemption'] as string | null, rcode: r['rcode'] as string, latencyMs: (r['latency_us'] as number) / 1000,
    upstream: r['upstream'] as string | null, cached: r['cached'] === 1,
  }));
}

/** Entry `i` of a varied stream: every field changes from row to row in some pattern. */
function varied(i: number): QueryLogEntry {
  const blocked = i % 5 === 1;
  return entry({
    time: T0 + i * 997, client: `10.0.${i % 3}.${i % 7}`, name: `h${i % 11}.example`, type: i % 4 === 0 ? 'AAAA' : 'A',
    action: ACTIONS[i % 5] ?? 'allow', service: blocked ? `svc${i % 2}` : null, rule: i % 3 === 0 ? `rule-${i % 4}` : null,
    exemption: i % 13 === 0 ? 'rapat' : null, rcode: blocked ? 'NXDOMAIN' : 'NOERROR', latencyMs: (i % 50) / 8,
    upstream: i % 2 === 0 ? null : 'udp://1.1.1.1:53', cached: i % 3 === 1,
  });
}

describe('query log writer', () => {
  it('writes batches of every size around the multi-row statement, every field intact, ids increasing', async () => {
    const { store, cleanup } = tempStore();
    try {
      const feed = new Feed(store.db);
      const entries: QueryLogEntry[] = [];
      const sizes = [1, 63, 64, 65, 128, 129, 200, 1];
      for (const size of sizes) {
        const batch = Array.from({ length: size }, (_, k) => varied(entries.length + k));
        feed.batch(batch);
        entries.push(...batch);
      }
      assert.deepEqual(feed.sizes, sizes);
      const rows = storedRows(store.db);
      assert.deepEqual(rows.map(({ id: _, ...e }) => e), entries);
      const ids = rows.map((r) => r.id);
      assert.ok(ids.every((id, k) => k === 0 || id === (ids[k - 1] ?? 0) + 1), 'ids are consecutive');
      const next = store.db.prepare("SELECT value FROM querylog_state WHERE key = 'next_id'").pluck().get() as number;
      assert.equal(next, (ids[ids.length - 1] ?? 0) + 1);
    } finally {
      await cleanup();
    }
  });

  it('writes a batch from many clients taken in turn with every row, id and aggregate as they came', async () => {
    const { store, cleanup } = tempStore();
    try {
      // 300 clients in turn, 4 rows each, as many source addresses ask at once; some rows blocked.
      const entries = Array.from({ length: 1200 }, (_, i) => ({
        ...varied(i), time: T0 + i * 100, client: `127.1.${Math.floor((i % 300) / 254)}.${((i % 300) % 254) + 1}`,
      }));
      new Feed(store.db, { capacity: 1200 }).batch(entries);
      const rows = storedRows(store.db);
      assert.deepEqual(rows.map(({ id: _, ...e }) => e), entries);
      const ids = rows.map((r) => r.id);
      assert.ok(ids.every((id, k) => k === 0 || id === (ids[k - 1] ?? 0) + 1), 'ids are consecutive in the order the rows came');
      // The client index finds each client's rows, newest first, as the console's client view asks.
      const client = entries[7]?.client ?? '';
      const viaIndex = store.db.prepare(`SELECT q.id FROM querylog AS q INDEXED BY querylog_client_time
        WHERE q.client = (SELECT id FROM querylog_text WHERE text = ?) ORDER BY q.time DESC`).pluck().all(client) as number[];
      assert.deepEqual(viaIndex, rows.filter((r) => r.client === client).map((r) => r.id).reverse());
      const often = entries[1]?.client ?? '';
      const blocked = store.db.prepare('SELECT sum(count) FROM querylog_blocked_minute WHERE client = ?').pluck().get(often);
      assert.equal(blocked, entries.filter((e) => e.client === often && e.action === 'block').length);
      assert.equal(blocked, 4);
      const total = store.db.prepare('SELECT sum(total) FROM querylog_minute').pluck().get();
      assert.equal(total, 1200);
    } finally {
      await cleanup();
    }
  });

  it('lowercases the names of a batch that mixes cases, one by one, and leaves clients as they are', async () => {
    const { store, cleanup } = tempStore();
    try {
      // A final sigma lowercases by its context: within its own name, not the client after it.
      const names = ['WWW.Example.COM', 'lower.example', 'ÄÖ.Example', 'ΟΔΟΣ', 'İstanbul.example', 'lower.example', ''];
      const clients = ['FE80::ABCD', 'abc', '10.0.0.1', 'abc', 'FE80::ABCD', '10.0.0.1', 'Zz'];
      const entries = names.map((name, i) => entry({ time: T0 + i, name, client: clients[i] ?? '' }));
      new Feed(store.db).batch(entries);
      const rows = storedRows(store.db);
      assert.deepEqual(rows.map((r) => r.name), names.map((n) => n.toLowerCase()));
      assert.equal(rows[3]?.name, 'οδος');
      assert.deepEqual(rows.map((r) => r.client), clients);
      // One word per distinct spelling: the lowercase name is shared with the one that came lowercase.
      const count = store.db.prepare("SELECT count(*) FROM querylog_text WHERE text = 'lower.example'").pluck().get();
      assert.equal(count, 1);
    } finally {
      await cleanup();
    }
  });

  it('tells apart clients of equal length that follow each other, and empty clients and names', async () => {
    const { store, cleanup } = tempStore();
    try {
      const clients = ['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.1', '', '', '10.0.0.2', '10.0.0.20', '10.0.0.2'];
      const entries = clients.map((client, i) => entry({ time: T0 + i, client, name: i % 3 === 0 ? '' : `n${i}.example` }));
      new Feed(store.db, { capacity: 4 }).batch(entries);
      assert.deepEqual(storedRows(store.db).map((r) => [r.client, r.name]), entries.map((e) => [e.client, e.name]));
    } finally {
      await cleanup();
    }
  });

  it('keeps every row right when the dictionary starts over inside a stream of multi-row batches', async () => {
    const { store, cleanup } = tempStore();
    try {
      const entries = Array.from({ length: 700 }, (_, i) => ({ ...varied(i), type: `TYPE${i % 37}`, rule: `rule-${i % 23}` }));
      const { sizes } = new Feed(store.db, { capacity: 150, maxStrings: 5 }).batch(entries);
      assert.ok(sizes.length > 5 && sizes.some((n) => n % 64 !== 0), `batches ${sizes.join(' ')}`);
      assert.equal(sizes.reduce((a, b) => a + b, 0), 700);
      assert.deepEqual(storedRows(store.db).map(({ id: _, ...e }) => e), entries);
    } finally {
      await cleanup();
    }
  });

  it('keeps the per-minute aggregates exact over many batches of rows out of order', async () => {
    const { store, cleanup } = tempStore();
    try {
      const feed = new Feed(store.db, { capacity: 300 });
      let seed = 7;
      const random = (n: number): number => {
        seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
        return seed % n;
      };
      const entries = Array.from({ length: 5000 }, (_, i) => {
        const action = random(10) < 3 ? 'block' : random(10) === 0 ? 'refused' : 'allow';
        return entry({
          // Mostly forward in time, with stragglers from earlier minutes.
          time: T0 + i * 700 - (random(8) === 0 ? random(5) * MIN : 0), client: `10.1.0.${random(5)}`, name: `n${random(300)}.example`,
          action, service: action === 'block' && random(4) !== 0 ? `svc${random(3)}` : null,
        });
      });
      let at = 0;
      while (at < entries.length) {
        const size = 1 + random(300);
        feed.batch(entries.slice(at, at + size));
        at += size;
      }
      const minutes = new Map<number, [number, number]>();
      const blocked = new Map<string, number>();
      for (const e of entries) {
        const minute = Math.floor(e.time / MIN) * MIN;
        const m = minutes.get(minute) ?? [0, 0];
        m[0]++;
        if (e.action === 'block') {
          m[1]++;
          const key = `${minute} ${e.client} ${e.service ?? ''}`;
          blocked.set(key, (blocked.get(key) ?? 0) + 1);
        }
        minutes.set(minute, m);
      }
      const storedMinutes = store.db.prepare('SELECT minute, total, blocked FROM querylog_minute ORDER BY minute').all();
      assert.deepEqual(storedMinutes, [...minutes].sort((a, b) => a[0] - b[0]).map(([minute, [total, b]]) => ({ minute, total, blocked: b })));
      const storedBlocked = store.db.prepare('SELECT minute, client, service, count FROM querylog_blocked_minute').all() as
        { minute: number; client: string; service: string; count: number }[];
      assert.deepEqual(new Map(storedBlocked.map((r) => [`${r.minute} ${r.client} ${r.service}`, r.count])), blocked);
      // And they agree with the rows.
      const fromRows = store.db.prepare(`SELECT (time / 60000) * 60000 AS minute, count(*) AS total, sum(action = 1) AS blocked
        FROM querylog GROUP BY 1 ORDER BY 1`).all();
      assert.deepEqual(fromRows, storedMinutes);
    } finally {
      await cleanup();
    }
  });

  it('logs a name inline the first time, then as one dictionary word, refreshed only when older than the cache', async () => {
    const { store, cleanup } = tempStore();
    try {
      const words = (): unknown => store.db.prepare("SELECT count(*) FROM querylog_text WHERE text = 'once.example'").pluck().get();
      const lastUse = (): unknown => store.db.prepare("SELECT last_time FROM querylog_text WHERE text = 'once.example'").pluck().get();
      const a = new Feed(store.db).batch([entry({ time: T0, name: 'once.example' })]);
      assert.equal(words(), 0);
      // Met again: a word from now on, used from the cache (and not refreshed) the third time.
      a.batch([entry({ time: T0 + 2000, name: 'once.example' })]);
      assert.equal(lastUse(), T0 + 2000);
      a.batch([entry({ time: T0 + 3000, name: 'once.example' })]);
      assert.equal(lastUse(), T0 + 2000);
      // A writer that never met it (a restarted thread) logs it inline once, then refreshes the word.
      const b = new Feed(store.db).batch([entry({ time: T0 + 4000, name: 'once.example' })]);
      assert.equal(lastUse(), T0 + 2000);
      b.batch([entry({ time: T0 + 5000, name: 'once.example' })]);
      assert.equal(lastUse(), T0 + 5000);
      assert.equal(words(), 1);
      assert.deepEqual(storedRows(store.db).map((r) => r.name), new Array(5).fill('once.example'));
      assert.deepEqual(forms(store.db), ['blob', 'integer', 'integer', 'blob', 'integer']);
    } finally {
      await cleanup();
    }
  });

  it('keeps names that look like numbers as text, inline and as words', async () => {
    const names = ['123', '10.5', '1e3', '0x10', '-7', ' 42', '9223372036854775808', '00', '', 'a\u0000b.example', 'bücher.example'];
    for (const inlineNamesRate of [0, Infinity]) {
      const { store, cleanup } = tempStore();
      try {
        // Twice each, in two batches: inline both times, or inline then a word.
        const feed = new Feed(store.db, { inlineNamesRate });
        for (const round of [0, 1]) feed.batch(names.map((name, i) => entry({ time: T0 + round * 1000 + i, name })));
        assert.deepEqual(storedRows(store.db).map((r) => r.name), [...names, ...names], `rate ${inlineNamesRate}`);
        const second = inlineNamesRate === 0 ? 'blob' : 'integer';
        assert.deepEqual(forms(store.db), [...names.map(() => 'blob'), ...names.map(() => second)], `rate ${inlineNamesRate}`);
        const texts = store.db.prepare("SELECT typeof(text) FROM querylog_text WHERE text IN ('123', '10.5')").pluck().all();
        assert.deepEqual(texts, inlineNamesRate === 0 ? [] : ['text', 'text']);
      } finally {
        await cleanup();
      }
    }
  });

  it('logs every name of a batch as fast as the inline rate inline, lowercased, and leaves the dictionary alone', async () => {
    const { store, cleanup } = tempStore();
    try {
      const feed = new Feed(store.db, { capacity: 5000, inlineNamesRate: 4000 });
      // 4,000 rows within a second: the rate. Names repeat, some in capitals.
      const fast = Array.from({ length: 4000 }, (_, i) => entry({ time: T0 + Math.floor(i / 4), name: i % 2 === 0 ? `N${i % 10}.Example` : `n${i % 10}.example` }));
      feed.batch(fast);
      assert.deepEqual(storedRows(store.db).map((r) => r.name), fast.map((e) => e.name.toLowerCase()));
      assert.ok(forms(store.db).every((f) => f === 'blob'));
      assert.equal(store.db.prepare("SELECT count(*) FROM querylog_text WHERE text LIKE 'n%.example'").pluck().get(), 0);
      // The same count over two seconds is half the rate: names met again become words.
      const slow = fast.map((e, i) => ({ ...e, time: T0 + 10_000 + Math.floor(i / 2) }));
      feed.batch(slow);
      const later = forms(store.db).slice(4000);
      assert.deepEqual(later.slice(0, 10), new Array(10).fill('blob'));
      assert.ok(later.slice(10).every((f) => f === 'integer'));
      assert.deepEqual(storedRows(store.db).slice(4000).map((r) => r.name), slow.map((e) => e.name.toLowerCase()));
      assert.equal(store.db.prepare("SELECT count(*) FROM querylog_text WHERE text LIKE 'n%.example'").pluck().get(), 10);
    } finally {
      await cleanup();
    }
  });

  it('measures a batch against the default rate over at least 250 ms, however close its rows', async () => {
    const { store, cleanup } = tempStore();
    try {
      const feed = new Feed(store.db, { capacity: 5000 });
      // The rate over 250 ms is a quarter of it in rows: one fewer, at one instant, is a slow batch.
      const quarter = INLINE_NAMES_RATE / 4;
      feed.batch(Array.from({ length: quarter - 1 }, () => entry({ time: T0, name: 'same.example' })));
      assert.deepEqual(new Set(forms(store.db).slice(1)), new Set(['integer']));
      feed.batch(Array.from({ length: quarter }, () => entry({ time: T0 + 10_000, name: 'same.example' })));
      assert.deepEqual(new Set(forms(store.db).slice(quarter - 1)), new Set(['blob']));
      assert.equal(forms(store.db)[0], 'blob');
    } finally {
      await cleanup();
    }
  });
});

/** How each row's name is stored, oldest id first: 'blob' inline, 'integer' a word id. */
function forms(db: Database): string[] {
  return db.prepare('SELECT typeof(name) FROM querylog ORDER BY id').pluck().all() as string[];
}
