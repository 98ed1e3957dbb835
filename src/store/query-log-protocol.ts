/** Messages between the query log on the main thread and its writer thread (query-log-worker.ts). */

/** `workerData` of the writer thread. */
export interface WriterData {
  /** Database file (already migrated by the main thread). */
  file: string;
  /** Entries per batch buffer. */
  capacity: number;
  /** Dictionary words that earlier batches of this generation defined. */
  strings: string[];
}

export type ToWriter =
  | { kind: 'batch'; buffer: ArrayBuffer; count: number; text: string; strings: string[]; resetStrings: boolean }
  /** Answered once every batch sent before it is committed. */
  | { kind: 'flush'; seq: number }
  /** Delete rows before `cutoff`; answered with the number deleted. */
  | { kind: 'prune'; seq: number; cutoff: number }
  /** Stop pruning, close the connection, answer; the main thread then ends the thread. */
  | { kind: 'close'; seq: number };

export type FromWriter =
  /** A batch is committed; its buffer comes back for reuse. */
  | { kind: 'written'; buffer: ArrayBuffer; count: number }
  | { kind: 'failed'; buffer: ArrayBuffer; count: number; error: string }
  | { kind: 'done'; seq: number; value: number; error: string | null };
