/**
 * The main thread's side of the flow collector's thread (`flow-thread-worker.ts`): starts it, hands
 * it every answer batch the answer index records (and, once the saved answers are reloaded, the
 * answers the index held before), tells it about reloaded groups, and writes what it sends to the
 * store: per-minute sums once a second, templates, pruning. Its counters are kept for /metrics.
 */
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { batchTransferList, type AnswerEntry, type AnswerIndex, type AnswerKeeper } from '../answers/index.js';
import type { FlowSettings } from '../config/index.js';
import type { FlowStats } from '../flows/index.js';
import type { GroupInfo } from '../policy/index.js';
import type { FlowStore } from '../store/index.js';
import type { FlowThreadData, FromFlowThread, ToFlowThread } from './flow-thread-protocol.js';

const WORKER_URL = new URL('./flow-thread-worker.js', import.meta.url);
/** How long the thread may take to send its last sums before it is ended anyway. */
const STOP_TIMEOUT_MS = 10_000;
/** Answers of the main index sent to the thread per message at start. */
const ENTRY_CHUNK = 5_000;
const GROUPS_CHECK_MS = 1_000;

export interface FlowThreadOptions {
  settings: FlowSettings & { listen: NonNullable<FlowSettings['listen']> };
  localNetworks: readonly string[];
  /** The policy's groups in file order, read again every second so a reload takes effect. */
  groups: () => readonly GroupInfo[];
  store: FlowStore;
  /** The main thread's answer index and its keeper, whose batches the thread's copy follows. */
  answers: AnswerIndex;
  keeper: AnswerKeeper;
  logLevel: string;
  logger: Logger;
}

export interface FlowThread {
  /** Resolves with the bound address once the thread listens; rejects with its failure. */
  start(): Promise<AddressInfo>;
  /** The thread's counters as last reported, with the rows written here. */
  stats(): FlowStats;
  /** Ask the thread for its sums now; resolves once they are written. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export function createFlowThread(options: FlowThreadOptions): FlowThread {
  const log = options.logger.child({ subsystem: 'flows' });
  const { store } = options;
  let groups = options.groups();
  let stats: FlowStats = { exporters: [], rejected: 0, overflow: 0, rowsWritten: 0, socketDrops: null, receiveBufferBytes: 0 };
  let rowsWritten = 0;
  let worker: Worker | null = null;
  let stopping = false;
  let unsubscribe: (() => void) | null = null;
  let groupTimer: NodeJS.Timeout | null = null;
  const drained: (() => void)[] = [];
  let stopped: (() => void) | null = null;
  // Store writes in arrival order, one at a time.
  let writes: Promise<void> = Promise.resolve();
  const queue = (what: string, fn: () => Promise<unknown>): void => {
    writes = writes.then(fn).then(() => {}, (err: unknown) => log.error({ err }, `${what} failed`));
  };
  const post = (message: ToFlowThread): void => worker?.postMessage(message);

  const onMessage = (message: FromFlowThread, started: { resolve: (a: AddressInfo) => void; reject: (e: Error) => void }): void => {
    switch (message.type) {
      case 'listening':
        started.resolve({ address: message.address, family: message.family, port: message.port });
        break;
      case 'failed':
        started.reject(Object.assign(new Error(message.message), { code: message.code }));
        break;
      case 'aggregates':
        queue('flow aggregates write', async () => { await store.add(message.traffic, message.remotes); rowsWritten += message.traffic.length; });
        break;
      case 'templates':
        queue('flow template save', () => store.saveTemplates(message.snapshot, message.now));
        break;
      case 'prune':
        queue('flow pruning', () => store.prune(message.before));
        break;
      case 'stats':
        stats = message.stats;
        break;
      case 'drained':
        queue('flow drain', async () => { drained.shift()?.(); });
        break;
      case 'stopped':
        stopped?.();
        break;
    }
  };

  const sendEntries = (): void => {
    // About ENTRY_CHUNK answers a turn, a client at a time, so that a large index does not hold the
    // main thread (and DNS) for long.
    const clients = options.answers.clients();
    let at = 0;
    const next = (): void => {
      if (worker === null || stopping || at >= clients.length) return;
      const now = Date.now();
      const list: AnswerEntry[] = [];
      while (at < clients.length && list.length < ENTRY_CHUNK) list.push(...options.answers.clientEntries(clients[at++]!, now));
      if (list.length > 0) post({ type: 'entries', list });
      setImmediate(next);
    };
    next();
  };

  return {
    async start() {
      const data: FlowThreadData = {
        settings: options.settings, localNetworks: [...options.localNetworks], groups: [...groups],
        templates: await store.loadTemplates(), answers: { graceMs: options.answers.graceMs, maxPerClient: options.answers.maxPerClient, maxEntries: options.answers.maxEntries },
        logLevel: options.logLevel,
      };
      const w = new Worker(WORKER_URL, { workerData: data, stdout: false, stderr: false });
      worker = w;
      // Every answer recorded from here on goes to the thread too; those recorded before follow below.
      // The batch's buffers are moved, not copied: a copy left 20 to 30 MB of them to the main
      // thread's collector after a few seconds of full-speed load.
      unsubscribe = options.keeper.subscribe(
        (batch) => worker?.postMessage({ type: 'answers', batch } satisfies ToFlowThread, batchTransferList(batch)),
        (list) => post({ type: 'entries', list, replace: true }),
      );
      const bound = await new Promise<AddressInfo>((resolve, reject) => {
        const started = { resolve, reject };
        w.on('message', (message: FromFlowThread) => onMessage(message, started));
        w.on('error', (err) => { log.error({ err }, 'flow thread failed'); reject(err); });
        w.once('exit', (code) => {
          unsubscribe?.();
          worker = null;
          for (const d of drained.splice(0)) d();
          stopped?.();
          if (!stopping) { log.error({ code }, 'flow thread ended: flows are not collected until rambu restarts'); reject(new Error(`flow thread ended (exit code ${code})`)); }
        });
      });
      options.keeper.ready.then(sendEntries, () => {});
      groupTimer = setInterval(() => {
        const g = options.groups();
        if (g !== groups) { groups = g; post({ type: 'groups', groups: [...g] }); }
      }, GROUPS_CHECK_MS);
      groupTimer.unref();
      return bound;
    },
    stats: () => ({ ...stats, rowsWritten }),
    drain() {
      if (worker === null) return writes;
      return new Promise<void>((resolve) => { drained.push(resolve); post({ type: 'drain' }); });
    },
    async stop() {
      stopping = true;
      if (groupTimer !== null) clearInterval(groupTimer);
      unsubscribe?.();
      const w = worker;
      if (w !== null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => { log.warn('flow thread did not stop in time: ending it'); void w.terminate(); resolve(); }, STOP_TIMEOUT_MS);
          stopped = () => { clearTimeout(timer); w.terminate().then(() => resolve(), () => resolve()); };
          post({ type: 'stop' });
        });
      }
      await writes;
    },
  };
}
