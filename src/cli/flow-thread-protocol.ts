/**
 * Messages between `rambu serve`'s main thread (the store, the console, the answer index fed by the
 * DNS threads) and the flow collector's thread (the flow socket, decoding, attribution, per-minute
 * sums). The collector's thread keeps its own copy of the answer index, built from the same answer
 * batches the main thread records.
 */
import type { AnswerBatchData, AnswerEntry } from '../answers/index.js';
import type { FlowSettings } from '../config/index.js';
import type { FlowMinuteRow, FlowRemoteRow } from '../store/index.js';
import type { FlowStats } from '../flows/index.js';
import type { GroupInfo } from '../policy/index.js';

/** `workerData` of the flow thread. */
export interface FlowThreadData {
  settings: FlowSettings & { listen: NonNullable<FlowSettings['listen']> };
  /** dns.allowFrom: the gateway's clients. */
  localNetworks: string[];
  groups: GroupInfo[];
  /** The stored template snapshot (JSON), or null. */
  templates: string | null;
  answers: { graceMs: number; maxPerClient: number; maxEntries: number };
  logLevel: string;
}

/** Main thread to flow thread. */
export type ToFlowThread =
  /** Answers as the DNS threads gave them out (the main thread records the same batch). */
  | { type: 'answers'; batch: AnswerBatchData }
  /**
   * Answers the main thread's index held before the thread started (reloaded at start, or given
   * meanwhile); with `replace`, answers other gateways gave (the shared store), which override what
   * the copy holds.
   */
  | { type: 'entries'; list: AnswerEntry[]; replace?: boolean }
  /** The policy's groups changed (reload). */
  | { type: 'groups'; groups: GroupInfo[] }
  /** Write what is summed so far now (tests, reports that cannot wait a second). */
  | { type: 'drain' }
  /** Close the socket, send the last sums and templates, then `stopped`. */
  | { type: 'stop' };

/** Flow thread to main thread. */
export type FromFlowThread =
  | { type: 'listening'; address: string; family: string; port: number }
  /** Start-up failed; `code` is the RambuError code when there is one. */
  | { type: 'failed'; message: string; code: string | null }
  /** Per-minute sums to add to the store (a second's worth). */
  | { type: 'aggregates'; traffic: FlowMinuteRow[]; remotes: FlowRemoteRow[] }
  /** The decoder's templates changed: keep this snapshot. */
  | { type: 'templates'; snapshot: string; now: number }
  /** Delete aggregates of minutes before this instant (retention). */
  | { type: 'prune'; before: number }
  | { type: 'stats'; stats: FlowStats }
  /** Answer to `drain`: the sums are on their way (sent before this). */
  | { type: 'drained' }
  | { type: 'stopped' };
