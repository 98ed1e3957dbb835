import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { BatchEncoder, batchViews } from './query-log-batch.js';
import type { EncodedBatch } from './query-log-batch.js';
import type { FromWriter, ToWriter, WriterData } from './query-log-protocol.js';
import { QueryLogReader } from './query-log-reader.js';
import { QueryLogWriter } from './query-log-writer.js';
import type {
  ClientCount, MinuteCount, QueryLogEntry, QueryLogFilter, QueryLogPage, QueryLogPageOptions, QueryLogStats,
  QueryLogStore, ServiceCount,
} from './types.js';

export interface SqliteQueryLogOptions {
  logger?: Logger | undefined;
  /** Rows older than this many days are pruned. @default 30 */
  retentionDays?: number | undefined;
  /** Longest time an entry waits in memory. @default 250 */
  flushIntervalMs?: number | undefined;
  /** Entries per batch; a full batch goes to the writer at once. @default 5000 */
  batchSize?: number | undefined;
  /**
   * Entries beyond this many not yet written (in memory or on their way) are dropped and counted.
   * An entry in flight holds about 85 bytes (its slots in a batch buffer, its client and name in the
   * batch text), so the bound costs memory only while the writer falls behind: 8 MB at the bound, two
   * seconds of 50,000 queries/s. When it keeps up, one or two batches are in flight. @default 100000
   */
  maxBuffer?: number | undefined;
  /**
   * Candidate rows one page may examine when filters cannot all be served by one index; bounds the
   * time of a page whatever the table size. @default 100000
   */
  scanBudget?: number | undefined;
}

/** The writer thread's compiled file, beside this one. */
const WORKER_URL = new URL('./query-log-worker.js', import.meta.url);
const DAY = 86_400_000;
/** After the writer thread dies, batches are counted as failed for this long before a new one starts. */
const RESTART_DELAY_MS = 5000;
/**
 * The writer's objects live for one batch, or for good in its word cache: a young generation of a
 * few MB collects them as well as V8's default of up to 32 MB, which would stay resident. A process
 * started with `--max-semi-space-size` (as `npm start`, the bin and the systemd unit do) gets that
 * size in every thread instead: V8 lets the flag override this limit, so under load the writer's
 * young generation is 8 MB there.
 */
const WRITER_LIMITS = { maxYoungGenerationSizeMb: 4 } as const;

interface Pending {
  resolve: (value: number) => void;
  reject: (err: Error) => void;
  /** Settle (rather than fail) when the writer stops: nothing more can be written anyway. */
  settleOnExit: boolean;
}

/**
 * The query log on SQLite. `append` writes the entry's fields into a columnar batch buffer (no
 * allocation, no disk); full batches, and every batch after `flushIntervalMs`, are transferred to a
 * writer thread that owns its own connection and does the inserts, the per-minute aggregates and
 * pruning. Reads run on the main connection. The writer starts with the first batch, so a process
 * that only reads (the CLI) never starts it.
 */
export class SqliteQueryLog implements QueryLogStore {
  readonly #db: Database;
  readonly #file: string;
  readonly #logger: Logger | undefined;
  readonly #retentionMs: number;
  readonly #flushIntervalMs: number;
  readonly #maxBuffer: number;
  readonly #encoder: BatchEncoder;
  readonly #reader: QueryLogReader;
  #worker: Worker | null = null;
  /** performance.now() before which no new writer starts (the last one died). */
  #restartAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  /** Entries sent to the writer and not yet reported written or failed. */
  #inFlight = 0;
  #dropped = 0;
  #failed = 0;
  #written = 0;
  #seq = 0;
  readonly #pending = new Map<number, Pending>();

  constructor(db: Database, file: string, options: SqliteQueryLogOptions) {
    this.#db = db;
    this.#file = file;
    this.#logger = options.logger;
    this.#retentionMs = (options.retentionDays ?? 30) * DAY;
    this.#flushIntervalMs = options.flushIntervalMs ?? 250;
    this.#maxBuffer = options.maxBuffer ?? 100_000;
    this.#encoder = new BatchEncoder({ capacity: options.batchSize ?? 5000 });
    this.#reader = new QueryLogReader(db, { scanBudget: options.scanBudget ?? 100_000 });
  }

  append(entry: QueryLogEntry): void {
    const encoder = this.#encoder;
    if (this.#closed || this.#inFlight + encoder.count >= this.#maxBuffer) {
      this.#dropped++;
      return;
    }
    if (!encoder.encode(entry)) {
      this.#ship();
      encoder.encode(entry);
    }
    const n = encoder.count;
    if (n >= encoder.capacity) this.#ship();
    else if (n === 1) {
      this.#timer = setTimeout(() => { this.#timer = null; this.#ship(); }, this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Resolves once every entry appended before the call is committed (or counted as failed). */
  async flush(): Promise<void> {
    this.#ship();
    if (this.#worker === null) return;
    await this.#request((seq) => ({ kind: 'flush', seq }), true);
  }

  /** Flush, stop the writer thread and refuse (count as dropped) further entries. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#ship();
      this.#closed = true;
      const worker = this.#worker;
      if (worker === null) return;
      await this.#request((seq) => ({ kind: 'close', seq }), true);
      this.#worker = null;
      await worker.terminate();
    })();
    return this.#closing;
  }

  stats(): QueryLogStats {
    return { buffered: this.#inFlight + this.#encoder.count, dropped: this.#dropped, failed: this.#failed, written: this.#written };
  }

  /**
   * Write entries synchronously on the calling thread, in transactions of up to 50,000 rows,
   * aggregates included. For tests and benchmarks that load many rows quickly.
   */
  insertMany(entries: Iterable<QueryLogEntry>): number {
    const encoder = new BatchEncoder({ capacity: 50_000 });
    const writer = new QueryLogWriter(this.#db);
    let total = 0;
    const write = (batch: EncodedBatch | null): void => {
      if (batch === null) return;
      writer.addStrings(batch.strings);
      writer.write(batchViews(batch.buffer, encoder.capacity), batch.count, batch.text);
      if (batch.resetStrings) writer.resetStrings();
      encoder.recycle(batch.buffer);
      total += batch.count;
      this.#written += batch.count;
    };
    for (const entry of entries) {
      if (!encoder.encode(entry)) {
        write(encoder.take());
        encoder.encode(entry);
      }
    }
    write(encoder.take());
    return total;
  }

  async query(filter: QueryLogFilter, options: QueryLogPageOptions = {}): Promise<QueryLogPage> {
    return this.#reader.query(filter, options);
  }

  async prune(now: number): Promise<number> {
    if (this.#closed) return 0;
    const cutoff = now - this.#retentionMs;
    const deleted = await this.#request((seq) => ({ kind: 'prune', seq, cutoff }), false);
    if (deleted > 0) this.#logger?.info({ deleted, cutoff: new Date(cutoff).toISOString() }, 'query log pruned');
    return deleted;
  }

  async queriesPerMinute(since: number, until: number): Promise<MinuteCount[]> {
    return this.#reader.queriesPerMinute(since, until);
  }

  async blockedByService(since: number, until: number): Promise<ServiceCount[]> {
    return this.#reader.blockedByService(since, until);
  }

  async wouldBlockByService(since: number, until: number): Promise<ServiceCount[]> {
    return this.#reader.wouldBlockByService(since, until);
  }

  async blockedByClient(since: number, until: number, limit?: number): Promise<ClientCount[]> {
    return this.#reader.blockedByClient(since, until, limit);
  }

  /** Hand the open batch to the writer thread. */
  #ship(): void {
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null; }
    const batch = this.#encoder.take();
    if (batch === null) return;
    if (this.#worker === null && performance.now() < this.#restartAt) {
      // A writer that keeps dying must not cost DNS a thread start per batch.
      this.#failed += batch.count;
      this.#encoder.recycle(batch.buffer);
      return;
    }
    const worker = this.#worker ?? this.#start();
    this.#inFlight += batch.count;
    this.#post(worker, { kind: 'batch', ...batch }, [batch.buffer]);
  }

  #request(message: (seq: number) => ToWriter, settleOnExit: boolean): Promise<number> {
    const worker = this.#worker ?? this.#start();
    const seq = ++this.#seq;
    return new Promise<number>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject, settleOnExit });
      this.#post(worker, message(seq), []);
    });
  }

  #post(worker: Worker, message: ToWriter, transfer: ArrayBuffer[]): void {
    worker.postMessage(message, transfer);
    // Hold the process open only while something is owed to or by the writer.
    worker.ref();
  }

  #start(): Worker {
    const data: WriterData = { file: this.#file, capacity: this.#encoder.capacity, strings: this.#encoder.shippedStrings() };
    const worker = new Worker(WORKER_URL, { workerData: data, resourceLimits: WRITER_LIMITS });
    this.#worker = worker;
    // The writer checkpoints the WAL; this connection must not do it on the event loop.
    this.#db.pragma('wal_autocheckpoint = 0');
    worker.on('message', (m: FromWriter) => { this.#onMessage(m); });
    worker.on('error', (err) => { this.#onExit(worker, err); });
    worker.on('exit', (code) => { this.#onExit(worker, new Error(`query log writer exited with code ${code}`)); });
    return worker;
  }

  #onMessage(m: FromWriter): void {
    switch (m.kind) {
      case 'written':
        this.#inFlight -= m.count;
        this.#written += m.count;
        this.#encoder.recycle(m.buffer);
        break;
      case 'failed':
        // Losing log rows beats stalling DNS: count them, say why once per failing batch.
        this.#inFlight -= m.count;
        this.#failed += m.count;
        this.#encoder.recycle(m.buffer);
        this.#logger?.error({ err: m.error, rows: m.count }, 'query log write failed; rows dropped');
        break;
      case 'done': {
        const p = this.#pending.get(m.seq);
        this.#pending.delete(m.seq);
        if (m.error === null) p?.resolve(m.value);
        else p?.reject(new Error(m.error));
        break;
      }
    }
    if (this.#inFlight === 0 && this.#pending.size === 0) this.#worker?.unref();
  }

  /** The writer thread ended (crashed, or terminated by close): what was owed to it is lost. */
  #onExit(worker: Worker, err: Error): void {
    if (this.#worker !== worker && this.#worker !== null) return;
    const expected = this.#worker === null;
    this.#worker = null;
    if (this.#inFlight > 0) {
      this.#failed += this.#inFlight;
      this.#logger?.error({ err, rows: this.#inFlight }, 'query log writer stopped; rows dropped');
      this.#inFlight = 0;
    } else if (!expected) {
      this.#logger?.error({ err }, 'query log writer stopped');
    }
    if (!expected) this.#restartAt = performance.now() + RESTART_DELAY_MS;
    for (const [seq, p] of this.#pending) {
      this.#pending.delete(seq);
      if (p.settleOnExit) p.resolve(0);
      else p.reject(err);
    }
  }
}
