/**
 * The query log of a gateway on the shared store: entries go to the local SQLite log as on the
 * SQLite back-end (batches, writer thread, never a wait on the network), and a shipping thread copies
 * them into PostgreSQL; reads are the shared log's, every gateway's rows. While PostgreSQL cannot be
 * reached, reads fall back to this gateway's own rows, so that the console still shows something.
 */
import type { EncodedBatch } from './query-log-batch.js';
import type { SqliteQueryLog } from './sqlite-query-log.js';
import { StoreError } from './store-error.js';
import type { PgQueryLogReader } from './postgres/pg-query-log.js';
import type {
  ClientCount, MinuteCount, QueryLogEntry, QueryLogFilter, QueryLogPage, QueryLogPageOptions, QueryLogStats,
  QueryLogStore, ServiceCount,
} from './types.js';

/** What `rambu serve` needs of a gateway's query log beyond the store interface. */
export interface GatewayQueryLog extends QueryLogStore {
  appendBatch(batch: EncodedBatch): void;
  killWriter(): Promise<void>;
  readonly migrating: boolean;
}

const unavailable = (err: unknown): boolean => err instanceof StoreError && err.code === 'STORE_UNAVAILABLE';

/** Local writes, shared reads. */
export class SharedQueryLog implements GatewayQueryLog {
  readonly #local: SqliteQueryLog;
  readonly #shared: PgQueryLogReader;

  constructor(local: SqliteQueryLog, shared: PgQueryLogReader) {
    this.#local = local;
    this.#shared = shared;
  }

  get migrating(): boolean { return this.#local.migrating; }
  append(entry: QueryLogEntry): void { this.#local.append(entry); }
  appendBatch(batch: EncodedBatch): void { this.#local.appendBatch(batch); }
  killWriter(): Promise<void> { return this.#local.killWriter(); }
  flush(): Promise<void> { return this.#local.flush(); }
  /** The local log's own pruning; the shared log drops whole days (the shipping thread). */
  prune(now: number): Promise<number> { return this.#local.prune(now); }
  stats(): QueryLogStats { return this.#local.stats(); }

  query(filter: QueryLogFilter, options?: QueryLogPageOptions): Promise<QueryLogPage> {
    return this.#read((log) => log.query(filter, options), () => this.#local.query(filter, options));
  }

  queriesPerMinute(since: number, until: number): Promise<MinuteCount[]> {
    return this.#read((log) => log.queriesPerMinute(since, until), () => this.#local.queriesPerMinute(since, until));
  }

  blockedByService(since: number, until: number): Promise<ServiceCount[]> {
    return this.#read((log) => log.blockedByService(since, until), () => this.#local.blockedByService(since, until));
  }

  blockedByClient(since: number, until: number, limit?: number): Promise<ClientCount[]> {
    return this.#read((log) => log.blockedByClient(since, until, limit), () => this.#local.blockedByClient(since, until, limit));
  }

  wouldBlockByService(since: number, until: number): Promise<ServiceCount[]> {
    return this.#read((log) => log.wouldBlockByService(since, until), () => this.#local.wouldBlockByService(since, until));
  }

  async #read<T>(shared: (log: PgQueryLogReader) => Promise<T>, local: () => Promise<T>): Promise<T> {
    try {
      return await shared(this.#shared);
    } catch (err) {
      if (!unavailable(err)) throw err;
      return local();
    }
  }
}
