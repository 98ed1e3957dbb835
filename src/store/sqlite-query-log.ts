import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { BatchEncoder } from './query-log-batch.js';
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
  /** After the writer thread dies, batches are counted as failed for this long before a new one starts. @default 5000 */
  restartDelayMs?: number | undefined;
  /**
   * The query log's schema steps are pending (see migrateForeground): the writer thread starts at
   * once and runs them first; until they are done, reads return no rows (`migrating`) and entries
   * wait for the writer like any others. @default false
   */
  migrating?: boolean | undefined;
  /** This gateway's name, given to every row read (`gateway`); a filter on another gateway reads nothing. */
  gatewayName?: string | undefined;
}

/** The writer thread's compiled file, beside this one. */
const WORKER_URL = new URL('./query-log-worker.js', import.meta.url);
const DAY = 86_400_000;
/** Write failures are logged at most this often, with what failed since the last line. */
const FAILURE_LOG_MS = 60_000;
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
  readonly #restartDelayMs: number;
  readonly #encoder: BatchEncoder;
  readonly #scanBudget: number;
  readonly #gatewayName: string | undefined;
  /** Null while the log's schema is switched in the background. */
  #reader: QueryLogReader | null = null;
  /** Old rows are still being copied into the current log (log-upgrade.ts). */
  #upgrading = false;
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
  /** performance.now() of the last failure logged, and what failed since, not logged yet. */
  #failureLoggedAt = -Infinity;
  #unlogged = { batches: 0, rows: 0, refused: 0 };

  constructor(db: Database, file: string, options: SqliteQueryLogOptions) {
    this.#db = db;
    this.#file = file;
    this.#logger = options.logger;
    this.#retentionMs = (options.retentionDays ?? 30) * DAY;
    this.#flushIntervalMs = options.flushIntervalMs ?? 250;
    this.#maxBuffer = options.maxBuffer ?? 100_000;
    this.#restartDelayMs = options.restartDelayMs ?? 5000;
    this.#encoder = new BatchEncoder({ capacity: options.batchSize ?? 5000 });
    this.#scanBudget = options.scanBudget ?? 100_000;
    this.#gatewayName = options.gatewayName;
    this.#upgrading = options.migrating === true;
    if (this.#upgrading) this.#start();
    else this.#reader = new QueryLogReader(db, { scanBudget: this.#scanBudget });
  }

  /**
   * Whether the log's upgrade still runs in the background: until its schema is switched (a few
   * seconds at most) reads return nothing, then they return new rows and the old ones copied so far.
   */
  get migrating(): boolean {
    return this.#upgrading;
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

  /**
   * Hand over a batch another thread encoded (a DNS thread of `dns.workers`), as it is: it carries
   * its own dictionary, so it goes to the writer untouched. Dropped and counted, like an entry, when
   * the buffer bound is reached or the log is closed.
   */
  appendBatch(batch: EncodedBatch): void {
    if (this.#closed || this.#inFlight + this.#encoder.count + batch.count > this.#maxBuffer) {
      this.#dropped += batch.count;
      return;
    }
    this.#send(batch);
  }

  /**
   * End the writer thread now, as a crash would: what it was owed counts as failed and a new one
   * starts after the restart delay. For the tests that show the log survives it (`rambu serve`
   * calls it on SIGUSR2 only when started with RAMBU_TEST_HOOKS=writer-kill).
   */
  async killWriter(): Promise<void> {
    await this.#worker?.terminate();
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
      writer.write(batch);
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
    if (this.#reader === null) return { rows: [], nextCursor: null, partial: false, migrating: true };
    const gateway = this.#gatewayName;
    if (filter.gateway !== undefined && filter.gateway !== gateway) return { rows: [], nextCursor: null, partial: false };
    let page = await this.#reader.query(filter, options);
    if (gateway !== undefined) page = { ...page, rows: page.rows.map((r) => ({ ...r, gateway })) };
    return this.#upgrading ? { ...page, migrating: true } : page;
  }

  async prune(now: number): Promise<number> {
    if (this.#closed) return 0;
    const cutoff = now - this.#retentionMs;
    const deleted = await this.#request((seq) => ({ kind: 'prune', seq, cutoff }), false);
    if (deleted > 0) this.#logger?.info({ deleted, cutoff: new Date(cutoff).toISOString() }, 'query log pruned');
    return deleted;
  }

  async queriesPerMinute(since: number, until: number): Promise<MinuteCount[]> {
    return this.#reader?.queriesPerMinute(since, until) ?? [];
  }

  async blockedByService(since: number, until: number): Promise<ServiceCount[]> {
    return this.#reader?.blockedByService(since, until) ?? [];
  }

  async wouldBlockByService(since: number, until: number): Promise<ServiceCount[]> {
    return this.#reader?.wouldBlockByService(since, until) ?? [];
  }

  async blockedByClient(since: number, until: number, limit?: number): Promise<ClientCount[]> {
    return this.#reader?.blockedByClient(since, until, limit) ?? [];
  }

  /** Hand the open batch to the writer thread. */
  #ship(): void {
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null; }
    const batch = this.#encoder.take();
    if (batch !== null) this.#send(batch);
  }

  #send(batch: EncodedBatch): void {
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

  /** Count a batch that was not written; say so at most once a minute, with what failed since. */
  #reportFailure(rows: number, refused: boolean, error: string): void {
    this.#failed += rows;
    const u = this.#unlogged;
    u.batches++;
    u.rows += rows;
    if (refused) u.refused++;
    const now = performance.now();
    if (now - this.#failureLoggedAt < FAILURE_LOG_MS) return;
    this.#failureLoggedAt = now;
    this.#logger?.error({ err: error, batches: u.batches, rows: u.rows, refused: u.refused }, 'query log write failed; rows dropped (logged at most once a minute)');
    this.#unlogged = { batches: 0, rows: 0, refused: 0 };
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
    // A writer that died during the migration leaves it to the next one (each step is one transaction).
    const data: WriterData = { file: this.#file, migrate: this.#upgrading };
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
        // Losing log rows beats stalling DNS, and beats writing them with words they did not mean.
        this.#inFlight -= m.count;
        this.#encoder.recycle(m.buffer);
        this.#reportFailure(m.count, m.refused, m.error);
        break;
      case 'migrated':
        if (m.error !== null) {
          this.#logger?.error({ err: m.error, ms: Math.round(m.ms) }, 'query log migration failed; rows are not written');
          break;
        }
        this.#reader ??= new QueryLogReader(this.#db, { scanBudget: this.#scanBudget });
        this.#logger?.info({ ms: Math.round(m.ms) }, 'query log schema upgraded; copying the old rows in the background');
        break;
      case 'upgraded':
        if (m.error !== null) { this.#logger?.error({ err: m.error }, 'query log upgrade stopped; it resumes at the next start'); break; }
        this.#upgrading = false;
        this.#logger?.info({ ms: Math.round(m.ms) }, 'query log migration finished');
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
    if (!expected) this.#restartAt = performance.now() + this.#restartDelayMs;
    for (const [seq, p] of this.#pending) {
      this.#pending.delete(seq);
      if (p.settleOnExit) p.resolve(0);
      else p.reject(err);
    }
  }
}
