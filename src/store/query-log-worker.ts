/**
 * The query log's writer thread: owns its own connection to the (WAL) database and writes the
 * batches, aggregates and prunes that the main thread sends, so that disk never stalls DNS answers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { batchViews } from './query-log-batch.js';
import type { FromWriter, ToWriter, WriterData } from './query-log-protocol.js';
import { openWriterDatabase, QueryLogWriter } from './query-log-writer.js';
import { yieldToDns } from './writer-priority.js';

const port = parentPort;
if (port === null) throw new Error('query-log-worker.js runs as a worker thread only');
const data = workerData as WriterData;
const send = (m: FromWriter, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

yieldToDns();

let db: Database | null = null;
let writer: QueryLogWriter | null = null;
let openError = 'query log writer is closed';
try {
  db = openWriterDatabase(data.file);
  writer = new QueryLogWriter(db);
  writer.addStrings(data.strings);
} catch (err) {
  db?.close();
  db = null;
  openError = `cannot open the query log for writing: ${(err as Error).message}`;
}

let closing = false;
let pruning: Promise<void> = Promise.resolve();

port.on('message', (m: ToWriter) => {
  switch (m.kind) {
    case 'batch': {
      if (writer === null) { send({ kind: 'failed', buffer: m.buffer, count: m.count, error: openError }, [m.buffer]); return; }
      try {
        writer.addStrings(m.strings);
        writer.write(batchViews(m.buffer, data.capacity), m.count, m.text);
        send({ kind: 'written', buffer: m.buffer, count: m.count }, [m.buffer]);
      } catch (err) {
        send({ kind: 'failed', buffer: m.buffer, count: m.count, error: (err as Error).message }, [m.buffer]);
      } finally {
        if (m.resetStrings) writer.resetStrings();
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
