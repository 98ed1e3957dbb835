/**
 * The query log's writer thread: owns its own connection to the (WAL) database and writes the
 * batches, aggregates and prunes that the main thread sends, so that disk never stalls DNS answers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { FromWriter, ToWriter, WriterData } from './query-log-protocol.js';
import { openWriterDatabase, QueryLogWriter } from './query-log-writer.js';
import { copyOldRows, switchLogSchema } from './log-upgrade.js';
import { migrate } from './migrations.js';
import { StoreError } from './store-error.js';
import { yieldToDns } from './writer-priority.js';

const port = parentPort;
if (port === null) throw new Error('query-log-worker.js runs as a worker thread only');
const data = workerData as WriterData;
const send = (m: FromWriter, transfer: unknown[] = []): void => port.postMessage(m, transfer.filter((b) => b instanceof ArrayBuffer));

yieldToDns();

let db: Database | null = null;
let writer: QueryLogWriter | null = null;
let openError = 'query log writer is closed';
try {
  db = openWriterDatabase(data.file);
  if (data.migrate) {
    // A few short transactions; batches sent meanwhile wait in this thread's queue.
    const t0 = performance.now();
    try {
      switchLogSchema(db);
      migrate(db);
      send({ kind: 'migrated', ms: performance.now() - t0, error: null });
    } catch (err) {
      send({ kind: 'migrated', ms: performance.now() - t0, error: (err as Error).message });
      throw err;
    }
  }
  writer = new QueryLogWriter(db);
  if (data.migrate) copyInBackground(db);
} catch (err) {
  db?.close();
  db = null;
  openError = `cannot open the query log for writing: ${(err as Error).message}`;
}

let closing = false;
let pruning: Promise<void> = Promise.resolve();

/** Copy the old log's rows a chunk at a time, letting batches, flushes and prunes in between. */
function copyInBackground(database: Database): void {
  const t0 = performance.now();
  const step = (): void => {
    if (closing) return;
    try {
      if (copyOldRows(database)) { setImmediate(step); return; }
      send({ kind: 'upgraded', ms: performance.now() - t0, error: null });
    } catch (err) {
      send({ kind: 'upgraded', ms: performance.now() - t0, error: (err as Error).message });
    }
  };
  setImmediate(step);
}

port.on('message', (m: ToWriter) => {
  switch (m.kind) {
    case 'batch': {
      const { kind: _, ...batch } = m;
      if (writer === null) { send({ kind: 'failed', buffer: m.buffer, count: m.count, error: openError, refused: false }, [m.buffer]); return; }
      try {
        writer.write(batch);
        send({ kind: 'written', buffer: m.buffer, count: m.count }, [m.buffer]);
      } catch (err) {
        const refused = err instanceof StoreError && err.code === 'QUERY_LOG_BATCH';
        send({ kind: 'failed', buffer: m.buffer, count: m.count, error: (err as Error).message, refused }, [m.buffer]);
      }
      return;
    }
    case 'flush':
      // Batches are committed as they arrive, in order: everything sent before this is on disk.
      send({ kind: 'done', seq: m.seq, value: 0, error: null });
      return;
    case 'prune': {
      const w = writer;
      pruning = pruning.then(async () => {
        if (w === null || closing) { send({ kind: 'done', seq: m.seq, value: 0, error: w === null ? openError : null }); return; }
        try {
          send({ kind: 'done', seq: m.seq, value: await w.prune(m.cutoff, () => closing), error: null });
        } catch (err) {
          send({ kind: 'done', seq: m.seq, value: 0, error: (err as Error).message });
        }
      });
      return;
    }
    case 'close':
      closing = true;
      void pruning.then(() => {
        db?.close();
        db = null;
        writer = null;
        send({ kind: 'done', seq: m.seq, value: 0, error: null });
      });
      return;
  }
});
