/**
 * Every word of every row, through the writer thread, batch after batch: the log's low-cardinality
 * words (type, service, rule, exemption, rcode, upstream) travel as codes of each batch's own
 * dictionary, from the main thread's encoder and from other threads' encoders alike. And a batch
 * whose codes name no word of its dictionary is refused whole, counted as failed and logged once a
 * minute.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from 'pino';
import type { QueryLogEntry, QueryLogRow } from '../../src/store/index.js';
import { BatchEncoder, batchViews, FIELD_SERVICE, STRING_FIELDS } from '../../src/store/query-log-batch.js';
import type { EncodedBatch } from '../../src/store/query-log-batch.js';
import { QueryLogWriter } from '../../src/store/query-log-writer.js';
import { StoreError } from '../../src/store/store-error.js';
import { entry, T0, tempStore } from './temp-store.js';

const TYPES = ['A', 'AAAA', 'HTTPS', 'TXT', 'MX', 'SRV', 'TYPE65280', 'CNAME'];
const RCODES = ['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED'];

/** Entry `i`: every word changes from row to row, and words first met late in the stream. */
function worded(i: number, source: string): QueryLogEntry {
  const blocked = i % 3 === 1;
  return entry({
    time: T0 + i, client: `10.${source === 'main' ? 1 : 2}.0.${i % 9}`, name: `n${i}.${source}.example`,
    type: TYPES[(i * 7) % TYPES.length] ?? 'A', action: blocked ? 'block' : 'allow',
    service: blocked ? `svc-${Math.floor(i / 50) % 13}` : null, rule: blocked ? `rule-${Math.floor(i / 40) % 11}` : null,
    exemption: i % 17 === 0 ? `ex-${i % 5}` : null, rcode: RCODES[(i * 5) % RCODES.length] ?? 'NOERROR',
    upstream: blocked ? null : `udp://127.0.0.${1 + (Math.floor(i / 70) % 6)}:53`,
  });
}

function asEntry(r: QueryLogRow): QueryLogEntry {
  return {
    time: r.time, client: r.client, name: r.name, type: r.type, action: r.action, service: r.service, rule: r.rule,
    exemption: r.exemption, rcode: r.rcode, latencyMs: r.latencyMs, upstream: r.upstream, cached: r.cached,
  };
}

function fakeLogger(): { logger: Logger; errors: unknown[][] } {
  const errors: unknown[][] = [];
  const logger = { error: (...args: unknown[]) => errors.push(args), info: () => {}, warn: () => {}, child: () => logger } as unknown as Logger;
  return { logger, errors };
}

describe('query log words', () => {
  it('keeps every word of every row through the writer thread, batches from two encoders interleaved, across a writer restart', async () => {
    const { store, cleanup } = tempStore({ queryLog: { batchSize: 37, flushIntervalMs: 600_000, restartDelayMs: 0 } });
    try {
      // Another thread's encoder: a smaller batch, a bound on its dictionary that ends batches early.
      const other = new BatchEncoder({ capacity: 50, maxStrings: 9 });
      const expected: QueryLogEntry[] = [];
      const send = (): void => {
        const b = other.take();
        if (b !== null) store.queryLog.appendBatch(b);
      };
      for (let i = 0; i < 1500; i++) {
        if (i === 700) {
          await store.queryLog.flush();
          await store.queryLog.killWriter();
          await store.queryLog.flush();
          assert.equal(store.queryLog.stats().failed, 0, 'nothing was owed to the writer when it ended');
        }
        const mine = worded(i, 'main');
        store.queryLog.append(mine);
        expected.push(mine);
        const theirs = worded(i, 'other');
        if (!other.encode(theirs)) { send(); assert.equal(other.encode(theirs), true); }
        expected.push(theirs);
      }
      send();
      await store.queryLog.flush();
      const stats = store.queryLog.stats();
      assert.deepEqual(stats, { buffered: 0, dropped: 0, failed: 0, written: expected.length });
      const rows: QueryLogEntry[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.queryLog.query({}, { limit: 500, ...(cursor === null ? {} : { cursor }) });
        rows.push(...page.rows.map(asEntry));
        cursor = page.nextCursor;
      } while (cursor !== null);
      assert.equal(rows.length, expected.length);
      const want = new Map(expected.map((e) => [e.name, e]));
      for (const r of rows) assert.deepEqual(r, want.get(r.name), r.name);
    } finally {
      await cleanup();
    }
  });

  it('refuses a batch whose codes name no word of its dictionary, writes none of it, counts it failed, logs once a minute', async () => {
    const { logger, errors } = fakeLogger();
    const { store, cleanup } = tempStore({ logger });
    try {
      const encoder = new BatchEncoder({ capacity: 10 });
      const broken = (): EncodedBatch => {
        for (let i = 0; i < 5; i++) encoder.encode(entry({ time: T0 + i, action: 'block', service: 'youtube', rule: 'blokir' }));
        const b = encoder.take()!;
        // The last row's service points past the dictionary, as a batch read with another one's words would.
        batchViews(b.buffer, b.capacity).codes[4 * STRING_FIELDS + FIELD_SERVICE] = b.strings.length;
        return b;
      };
      const writer = new QueryLogWriter(store.db);
      assert.throws(() => writer.write(broken()), (err: unknown) => err instanceof StoreError && err.code === 'QUERY_LOG_BATCH');
      assert.equal(store.db.prepare('SELECT count(*) FROM querylog').pluck().get(), 0);
      const missingText = broken();
      missingText.text = missingText.text.slice(1);
      assert.throws(() => writer.write(missingText), (err: unknown) => err instanceof StoreError && err.code === 'QUERY_LOG_BATCH');

      store.queryLog.append(entry({ time: T0 + 100 }));
      store.queryLog.appendBatch(broken());
      store.queryLog.appendBatch(broken());
      store.queryLog.append(entry({ time: T0 + 101 }));
      await store.queryLog.flush();
      assert.deepEqual(store.queryLog.stats(), { buffered: 0, dropped: 0, failed: 10, written: 2 });
      assert.equal(store.db.prepare('SELECT count(*) FROM querylog').pluck().get(), 2);
      const failures = errors.filter((args) => String(args[1]).includes('query log write failed'));
      assert.equal(failures.length, 1, 'logged once for two refused batches within a minute');
      assert.deepEqual((failures[0]?.[0] as { refused: number }).refused, 1);
    } finally {
      await cleanup();
    }
  });
});
