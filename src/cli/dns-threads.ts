/**
 * The main thread's side of `dns.workers` above 1: starts that many threads less one (the main
 * thread answers too) that read the main thread's UDP sockets (`dns-thread-worker.ts`), tells them
 * about policy and exemption changes, feeds their query-log batches to the store and keeps their
 * counters for /metrics. A thread shares the sockets (without the batched reader, their very file
 * descriptors), so one that ended could have closed them under the main thread: an unexpected end
 * is reported through `onFatal`, and `rambu serve` exits so that the service manager starts it
 * again.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { AnswerBatchData } from '../answers/index.js';
import type { DnsStatsSnapshot, LatencySamples, SharedUdpSocket } from '../dns/index.js';
import type { EncodedBatch } from '../store/index.js';
import { emptyDnsStatsSnapshot } from '../dns/index.js';
import type { ExemptionInput, PolicyLists } from '../policy/index.js';
import type { DnsThreadData, FromDnsThread, ToDnsThread } from './dns-thread-protocol.js';

const WORKER_URL = new URL('./dns-thread-worker.js', import.meta.url);
/** How long a thread may take to send its last batch before it is ended anyway. */
const STOP_TIMEOUT_MS = 5_000;
/**
 * A thread's young generation, as the main thread's (`--max-semi-space-size=2`, which threads do
 * not inherit): per-query garbage dies young, and a larger one would only stay resident.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 6 } as const;

export interface DnsThreadsOptions {
  /** Extra threads to start (dns.workers - 1). */
  threads: number;
  file: string;
  /** The config text in force (validated by the caller). */
  configText: string;
  lists: PolicyLists;
  exemptions: ExemptionInput[];
  sockets: SharedUdpSocket[];
  /** Called with each query-log batch a thread sends (encoded, with its own dictionary). */
  onLog: (batch: EncodedBatch) => void;
  /** Called with each batch of answers a thread gave out, for the answer index. */
  onAnswers?: (batch: AnswerBatchData) => void;
  /** Where the threads' upstream round-trip samples go (the main thread's, for /metrics). */
  upstreamLatency: LatencySamples;
  /** A thread ended without being asked to. */
  onFatal: (message: string) => void;
  logger: Logger;
}

export interface DnsThreads {
  /** Resolves once every thread reads the sockets; rejects with the first failure. */
  start(): Promise<void>;
  policyChanged(text: string, lists: PolicyLists): void;
  exemptionsChanged(list: ExemptionInput[]): void;
  /** Each thread's counters as last reported, by thread number (2..). */
  snapshots(): DnsStatsSnapshot[];
  /** Threads that read the sockets now. */
  listening(): number;
  /** Asks every thread to stop reading and send what it holds, then ends them. */
  stop(): Promise<void>;
}

interface Slot {
  number: number;
  worker: Worker;
  listening: boolean;
  stats: DnsStatsSnapshot;
  stopped: (() => void) | null;
}

export function createDnsThreads(options: DnsThreadsOptions): DnsThreads {
  const log = options.logger.child({ subsystem: 'dns-threads' });
  const slots: Slot[] = [];
  let stopping = false;
  let starting: { resolve: () => void; reject: (err: Error) => void } | null = null;

  const onMessage = (slot: Slot, message: FromDnsThread): void => {
    switch (message.type) {
      case 'listening':
        slot.listening = true;
        if (starting !== null && slots.every((s) => s.listening)) { starting.resolve(); starting = null; }
        break;
      case 'failed':
        log.error({ thread: slot.number, message: message.message }, 'dns thread could not start');
        if (starting !== null) { starting.reject(Object.assign(new Error(message.message), { code: message.code })); starting = null; }
        break;
      case 'log':
        options.onLog(message.batch);
        break;
      case 'answers':
        options.onAnswers?.(message.batch);
        break;
      case 'stats':
        slot.stats = message.stats;
        for (let i = 0; i < message.latencyMs.length; i++) options.upstreamLatency.add(message.latencyMs[i]!, message.latencyUpstream[i] ?? 'unknown');
        break;
      case 'stopped':
        slot.stopped?.();
        break;
    }
  };

  const spawn = (number: number): void => {
    const data: DnsThreadData = {
      number, file: options.file, text: options.configText, lists: options.lists, exemptions: options.exemptions, sockets: options.sockets,
    };
    const worker = new Worker(WORKER_URL, { workerData: data, stdout: false, stderr: false, resourceLimits: THREAD_LIMITS });
    const slot: Slot = { number, worker, listening: false, stats: emptyDnsStatsSnapshot(), stopped: null };
    slots.push(slot);
    worker.on('message', (message: FromDnsThread) => onMessage(slot, message));
    worker.on('error', (err) => log.error({ err, thread: number }, 'dns thread failed'));
    worker.once('exit', (code) => {
      if (stopping) return;
      const message = `DNS thread ${number} ended (exit code ${code})`;
      if (starting !== null) { starting.reject(new Error(message)); starting = null; return; }
      log.fatal({ thread: number, code }, 'dns thread ended: the shared sockets are gone with it');
      options.onFatal(message);
    });
  };

  const post = (message: ToDnsThread): void => {
    for (const s of slots) s.worker.postMessage(message);
  };

  // A thread's batched reader reads a duplicate of each shared descriptor and closes only that.
  // Without the native reader a thread wraps the shared descriptors in node:dgram sockets (Node.js
  // 20 offers no dup()): ending it closes them, and the main thread closes its own right after, so
  // the descriptor numbers are closed twice on the way out; nothing opens files in between.
  const stopSlot = (slot: Slot): Promise<void> => new Promise((resolve) => {
    const end = (): void => {
      clearTimeout(timer);
      slot.worker.terminate().then(() => resolve(), () => resolve());
    };
    const timer = setTimeout(() => {
      log.warn({ thread: slot.number }, 'dns thread did not stop in time: ending it');
      end();
    }, STOP_TIMEOUT_MS);
    slot.stopped = end;
    slot.worker.postMessage({ type: 'stop' } satisfies ToDnsThread);
  });

  return {
    start() {
      return new Promise<void>((resolve, reject) => {
        starting = { resolve, reject };
        for (let i = 0; i < options.threads; i++) spawn(i + 2);
        if (options.threads === 0) { starting = null; resolve(); }
      });
    },
    policyChanged: (text, lists) => post({ type: 'policy', text, lists }),
    exemptionsChanged: (list) => post({ type: 'exemptions', list }),
    snapshots: () => slots.map((s) => s.stats),
    listening: () => slots.filter((s) => s.listening).length,
    async stop() {
      stopping = true;
      starting = null;
      await Promise.all(slots.map(stopSlot));
    },
  };
}
