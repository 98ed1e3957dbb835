/**
 * Query-log entries on their way from a DNS thread to the thread that owns the store: a bounded
 * buffer that keeps them as columns (one array per field), so a batch crosses between threads as a
 * dozen arrays rather than thousands of objects.
 */
import type { QueryAction, QueryLogEntry } from './query-log-entry.js';

/** One batch, field by field; row i is the i-th element of every column. `cached` is 0 or 1. */
export interface QueryLogColumns {
  time: number[];
  client: string[];
  name: string[];
  type: string[];
  action: QueryAction[];
  service: (string | null)[];
  rule: (string | null)[];
  exemption: (string | null)[];
  rcode: string[];
  latencyMs: number[];
  upstream: (string | null)[];
  cached: number[];
}

function emptyColumns(): QueryLogColumns {
  return {
    time: [], client: [], name: [], type: [], action: [], service: [], rule: [], exemption: [],
    rcode: [], latencyMs: [], upstream: [], cached: [],
  };
}

export interface QueryLogBatchOptions {
  /** Entries held at most; more are dropped and counted. @default 50000 */
  capacity?: number;
}

/** Collects entries as columns until taken; full means dropped, never blocked. */
export class QueryLogBatch {
  readonly #capacity: number;
  #columns: QueryLogColumns = emptyColumns();
  #size = 0;
  #dropped = 0;

  constructor(options: QueryLogBatchOptions = {}) {
    this.#capacity = options.capacity ?? 50_000;
  }

  /** Entries held now. */
  get size(): number {
    return this.#size;
  }

  /** Entries dropped since creation because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  push(entry: QueryLogEntry): void {
    if (this.#size >= this.#capacity) {
      this.#dropped++;
      return;
    }
    const c = this.#columns;
    c.time.push(entry.time);
    c.client.push(entry.client);
    c.name.push(entry.name);
    c.type.push(entry.type);
    c.action.push(entry.action);
    c.service.push(entry.service);
    c.rule.push(entry.rule);
    c.exemption.push(entry.exemption);
    c.rcode.push(entry.rcode);
    c.latencyMs.push(entry.latencyMs);
    c.upstream.push(entry.upstream);
    c.cached.push(entry.cached ? 1 : 0);
    this.#size++;
  }

  /** Everything held, as columns, emptying the buffer; null when empty. */
  take(): QueryLogColumns | null {
    if (this.#size === 0) return null;
    const out = this.#columns;
    this.#columns = emptyColumns();
    this.#size = 0;
    return out;
  }
}

/** Rows in a batch, tolerating a malformed one (columns of different lengths count as the shortest). */
export function queryLogColumnsLength(columns: QueryLogColumns): number {
  return Math.min(...Object.values(columns).map((col: unknown[]) => (Array.isArray(col) ? col.length : 0)));
}

/** Calls `fn` with each row of a batch as a {@link QueryLogEntry}. */
export function forEachQueryLogEntry(columns: QueryLogColumns, fn: (entry: QueryLogEntry) => void): void {
  const n = queryLogColumnsLength(columns);
  for (let i = 0; i < n; i++) {
    fn({
      time: columns.time[i]!, client: columns.client[i]!, name: columns.name[i]!, type: columns.type[i]!,
      action: columns.action[i]!, service: columns.service[i] ?? null, rule: columns.rule[i] ?? null,
      exemption: columns.exemption[i] ?? null, rcode: columns.rcode[i]!, latencyMs: columns.latencyMs[i]!,
      upstream: columns.upstream[i] ?? null, cached: columns.cached[i] === 1,
    });
  }
}
