/**
 * Messages between `rambu serve` (the main thread, which binds the DNS sockets, answers on them
 * too, and owns the config, the store and the console) and its extra DNS threads. A thread compiles
 * the config text the main thread validated, over the main thread's domain index in shared memory,
 * and reads the main thread's UDP sockets by their file descriptors.
 */
import type { AnswerBatchData } from '../answers/index.js';
import type { DnsStatsSnapshot, SharedUdpSocket } from '../dns/index.js';
import type { EncodedBatch } from '../store/index.js';
import type { ExemptionInput, PolicyLists } from '../policy/index.js';

/** `workerData` of a DNS thread. */
export interface DnsThreadData {
  /** 2..dns.workers: the main thread is DNS thread 1. */
  number: number;
  file: string;
  text: string;
  lists: PolicyLists;
  exemptions: ExemptionInput[];
  sockets: SharedUdpSocket[];
}

/** Main thread to DNS thread. */
export type ToDnsThread =
  /** The config changed (reload, SIGHUP, console save): compile this text over these lists. */
  | { type: 'policy'; text: string; lists: PolicyLists }
  /** The console's exemptions in force changed. */
  | { type: 'exemptions'; list: ExemptionInput[] }
  /** Stop reading, send the pending query log and a last stats message, then `stopped`. */
  | { type: 'stop' };

/** DNS thread to main thread. */
export type FromDnsThread =
  | { type: 'listening' }
  /** Start-up failed; `code` is the RambuError code when there is one. */
  | { type: 'failed'; message: string; code: string | null }
  /** A query-log batch in the writer's format, with its own dictionary (its buffer is transferred). */
  | { type: 'log'; batch: EncodedBatch }
  /** A/AAAA answers given out, for the answer index (kept apart from the query log's batches). */
  | { type: 'answers'; batch: AnswerBatchData }
  /** Counters so far (the thread's whole life) and upstream round-trip samples (ms, upstream label) since the previous message. */
  | { type: 'stats'; stats: DnsStatsSnapshot; latencyMs: number[]; latencyUpstream: string[] }
  | { type: 'stopped' };
