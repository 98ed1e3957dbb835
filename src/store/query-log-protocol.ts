/** Messages between the query log on the main thread and its writer thread (query-log-worker.ts). */
import type { EncodedBatch } from './query-log-batch.js';

/** `workerData` of the writer thread. */
export interface WriterData {
  /** Database file (migrated by the main thread, unless `migrate`). */
  file: string;
  /** Upgrade the query log first (see log-upgrade.ts): answer `migrated`, then copy old rows and answer `upgraded`. */
  migrate: boolean;
}

export type ToWriter =
  /** A batch to write, decoded from itself alone (its buffer is transferred). */
  | ({ kind: 'batch' } & EncodedBatch)
  /** Answered once every batch sent before it is committed. */
  | { kind: 'flush'; seq: number }
  /** Delete rows before `cutoff`; answered with the number deleted. */
  | { kind: 'prune'; seq: number; cutoff: number }
  /** Stop pruning, close the connection, answer; the main thread then ends the thread. */
  | { kind: 'close'; seq: number };

export type FromWriter =
  /** A batch is committed; its buffer comes back for reuse. */
  | { kind: 'written'; buffer: ArrayBuffer; count: number }
  /** Not written: `refused` when the batch could not be decoded (QUERY_LOG_BATCH), else a write error. */
  | { kind: 'failed'; buffer: ArrayBuffer; count: number; error: string; refused: boolean }
  | { kind: 'done'; seq: number; value: number; error: string | null }
  /** The schema is current (error null), after `ms`: batches are written and rows can be read. */
  | { kind: 'migrated'; ms: number; error: string | null }
  /** Every row of the old log is copied into the current one (error null), after `ms`. */
  | { kind: 'upgraded'; ms: number; error: string | null };
