/**
 * Messages between `rambu serve` (the primary) and its DNS worker processes over the cluster IPC
 * channel. The primary owns the config file, the store and the console; a worker owns one DNS
 * server and compiles its own copy of the policy from the config text the primary validated.
 */
import type { DnsStatsSnapshot, QueryLogColumns } from '../dns/index.js';
import type { ExemptionInput } from '../policy/index.js';

/** Primary to worker. */
export type ToWorker =
  /** The answer to `hello`: the config to run (text already validated by the primary) and the console exemptions. */
  | { type: 'init'; file: string; text: string; exemptions: ExemptionInput[] }
  /** The config changed (reload, SIGHUP, console save): recompile the policy from this text. */
  | { type: 'policy'; text: string }
  /** The console's exemptions in force changed. */
  | { type: 'exemptions'; list: ExemptionInput[] }
  /** Stop answering, send the pending query log and a last stats message, then `stopped`, then exit. */
  | { type: 'stop' };

/** Worker to primary. */
export type FromWorker =
  | { type: 'hello' }
  | { type: 'listening'; udp: string[] }
  /** Start-up failed; `code` is the RambuError code when there is one. */
  | { type: 'failed'; message: string; code: string | null }
  | { type: 'log'; columns: QueryLogColumns }
  /**
   * Counters so far (the worker's whole life), its resident memory, query-log entries it dropped,
   * and upstream round-trip samples (ms, upstream label) since the previous message.
   */
  | { type: 'stats'; stats: DnsStatsSnapshot; rss: number; logDropped: number; latencyMs: number[]; latencyUpstream: string[] }
  | { type: 'stopped' };

function hasType(value: unknown): value is { type: string } {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Narrow an IPC message to the worker protocol (messages of node:cluster itself are not ours). */
export function isFromWorker(value: unknown): value is FromWorker {
  return hasType(value) && ['hello', 'listening', 'failed', 'log', 'stats', 'stopped'].includes(value.type);
}

export function isToWorker(value: unknown): value is ToWorker {
  return hasType(value) && ['init', 'policy', 'exemptions', 'stop'].includes(value.type);
}
