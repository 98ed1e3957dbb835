/**
 * The primary's side of `dns.workers` above 1: forks that many DNS worker processes
 * (`dns-cluster-worker.ts`) that share the listen sockets through node:cluster, keeps them running
 * (a worker that dies is forked again, with backoff), tells them about policy and exemption
 * changes, feeds their query-log batches to the store, and sums their counters for /metrics.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  addDnsStats, createDnsStats, emptyDnsStatsSnapshot, registerDnsMetrics, sumDnsStatsInto,
  type DnsStatsSnapshot, type QueryLogColumns,
} from '../dns/index.js';
import type { ExemptionInput } from '../policy/index.js';
import { type FromWorker, isFromWorker, type ToWorker } from './dns-cluster-protocol.js';

const WORKER_FILE = fileURLToPath(new URL('./dns-cluster-worker.js', import.meta.url));
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A worker that ran this long before dying is restarted at once, its backoff forgotten. */
const HEALTHY_RUN_MS = 30_000;
/** How long a worker may take to send its last batch and exit before it is killed. */
const STOP_TIMEOUT_MS = 10_000;

export interface DnsClusterOptions {
  workers: number;
  file: string;
  /** The config text in force (validated by the caller); a forked worker compiles it. */
  configText: () => string;
  /** The console's exemptions in force. */
  exemptions: () => ExemptionInput[];
  /** Called with each query-log batch a worker sends. */
  onLog: (columns: QueryLogColumns) => void;
  /** `rambu_dns_*` metrics (sums over workers) and `rambu_dns_worker_*` metrics are registered here. */
  registry: Registry;
  logger: Logger;
}

export interface DnsCluster {
  /** Forks the workers; resolves with the listen addresses once every worker listens. */
  start(): Promise<string[]>;
  /** The config in force changed: every worker recompiles its policy from `text`. */
  policyChanged(text: string): void;
  exemptionsChanged(list: ExemptionInput[]): void;
  /** Asks every worker to stop and send what it holds; resolves once all have exited. */
  stop(): Promise<void>;
  /** Query-log entries the workers dropped because their buffer was full. */
  logDropped(): number;
}

/** One worker position: its current process and what it reported last. */
interface Slot {
  index: number;
  worker: Worker | null;
  listening: boolean;
  startedAt: number;
  failures: number;
  restartTimer: NodeJS.Timeout | null;
  stats: DnsStatsSnapshot;
  rss: number;
  logDropped: number;
  stopped: (() => void) | null;
}

/** Error thrown by start() when a worker could not listen; `code` is the worker's error code. */
export class DnsClusterStartError extends Error {
  readonly code: string | null;
  constructor(message: string, code: string | null) {
    super(message);
    this.name = 'DnsClusterStartError';
    this.code = code;
  }
}

export function createDnsCluster(options: DnsClusterOptions): DnsCluster {
  const log = options.logger.child({ subsystem: 'dns-cluster' });
  const slots: Slot[] = Array.from({ length: options.workers }, (_, index) => ({
    index, worker: null, listening: false, startedAt: 0, failures: 0, restartTimer: null,
    stats: emptyDnsStatsSnapshot(), rss: 0, logDropped: 0, stopped: null,
  }));
  // Counters of workers that have exited, so the sums never go backwards.
  const retired = emptyDnsStatsSnapshot();
  let retiredLogDropped = 0;
  let restarts = 0;
  let stopping = false;
  let starting: { resolve: (addresses: string[]) => void; reject: (err: Error) => void } | null = null;
  let addresses: string[] = [];

  const total = createDnsStats();
  registerDnsMetrics(total, options.registry);
  const sumStats = (): void => sumDnsStatsInto(total, [retired, ...slots.map((s) => s.stats)]);
  new Gauge({
    name: 'rambu_dns_worker_queries', help: 'DNS queries received by each running worker process since it started', labelNames: ['worker'], registers: [options.registry],
    collect() { this.reset(); for (const s of slots) if (s.worker !== null) this.set({ worker: String(s.index + 1) }, s.stats.queries); },
  });
  new Gauge({
    name: 'rambu_dns_worker_resident_memory_bytes', help: 'Resident memory of each running DNS worker process', labelNames: ['worker'], registers: [options.registry],
    collect() { this.reset(); for (const s of slots) if (s.worker !== null) this.set({ worker: String(s.index + 1) }, s.rss); },
  });
  new Gauge({
    name: 'rambu_dns_workers', help: 'DNS worker processes listening', registers: [options.registry],
    collect() { this.set(slots.filter((s) => s.listening).length); },
  });
  new Counter({
    name: 'rambu_dns_worker_restarts_total', help: 'DNS worker processes forked again after one exited', registers: [options.registry],
    collect() { this.reset(); this.inc(restarts); },
  });

  const post = (slot: Slot, message: ToWorker): void => {
    const w = slot.worker;
    if (w === null || !w.isConnected()) return;
    try { w.send(message); } catch (err) { log.warn({ err, worker: slot.index + 1 }, 'cannot message a dns worker'); }
  };

  const onMessage = (slot: Slot, worker: Worker, message: FromWorker): void => {
    if (slot.worker !== worker) return;
    switch (message.type) {
      case 'hello':
        post(slot, { type: 'init', file: options.file, text: options.configText(), exemptions: options.exemptions() });
        break;
      case 'listening':
        slot.listening = true;
        addresses = message.udp;
        log.debug({ worker: slot.index + 1, pid: worker.process.pid }, 'dns worker listening');
        if (starting !== null && slots.every((s) => s.listening)) { starting.resolve(addresses); starting = null; }
        break;
      case 'failed':
        log.error({ worker: slot.index + 1, message: message.message }, 'dns worker could not start');
        if (starting !== null) { starting.reject(new DnsClusterStartError(message.message, message.code)); starting = null; }
        break;
      case 'log':
        options.onLog(message.columns);
        break;
      case 'stats':
        slot.stats = message.stats;
        slot.rss = message.rss;
        slot.logDropped = message.logDropped;
        for (let i = 0; i < message.latencyMs.length; i++) total.upstreamLatency.add(message.latencyMs[i]!, message.latencyUpstream[i] ?? 'unknown');
        sumStats();
        break;
      case 'stopped':
        slot.stopped?.();
        break;
    }
  };

  const fork = (slot: Slot): void => {
    const worker = cluster.fork({ RAMBU_DNS_WORKER: String(slot.index + 1) });
    slot.worker = worker;
    slot.listening = false;
    slot.startedAt = Date.now();
    slot.stats = emptyDnsStatsSnapshot();
    slot.rss = 0;
    slot.logDropped = 0;
    worker.on('message', (message: unknown) => { if (isFromWorker(message)) onMessage(slot, worker, message); });
    worker.on('error', (err) => log.warn({ err, worker: slot.index + 1 }, 'dns worker channel error'));
    worker.once('exit', (code, signal) => onExit(slot, worker, code, signal));
  };

  const onExit = (slot: Slot, worker: Worker, code: number | null, signal: string | null): void => {
    if (slot.worker !== worker) return;
    const wasListening = slot.listening;
    addDnsStats(retired, { ...slot.stats, tcpConnections: 0 });
    retiredLogDropped += slot.logDropped;
    slot.stats = emptyDnsStatsSnapshot();
    slot.logDropped = 0;
    slot.worker = null;
    slot.listening = false;
    sumStats();
    if (stopping) { slot.stopped?.(); return; }
    if (starting !== null) {
      starting.reject(new DnsClusterStartError(`DNS worker ${slot.index + 1} exited before listening (code ${String(code)}, signal ${String(signal)})`, null));
      starting = null;
      return;
    }
    const ranMs = Date.now() - slot.startedAt;
    slot.failures = wasListening && ranMs >= HEALTHY_RUN_MS ? 0 : slot.failures + 1;
    const delay = slot.failures === 0 ? 0 : Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** (slot.failures - 1));
    log.error({ worker: slot.index + 1, pid: worker.process.pid, code, signal, restartInMs: delay }, 'dns worker exited: starting another');
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (stopping) return;
      restarts++;
      fork(slot);
    }, delay);
  };

  const stopSlot = (slot: Slot): Promise<void> => new Promise((resolve) => {
    if (slot.restartTimer !== null) { clearTimeout(slot.restartTimer); slot.restartTimer = null; }
    const worker = slot.worker;
    if (worker === null) { resolve(); return; }
    const timer = setTimeout(() => {
      log.warn({ worker: slot.index + 1, pid: worker.process.pid }, 'dns worker did not stop in time: killing it');
      worker.process.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    // Done once it has exited: its last messages (log batch, stats, `stopped`) came before that.
    slot.stopped = () => {
      if (slot.worker === null) { clearTimeout(timer); slot.stopped = null; resolve(); }
    };
    post(slot, { type: 'stop' });
  });

  return {
    start() {
      cluster.schedulingPolicy = cluster.SCHED_NONE;
      cluster.setupPrimary({ exec: WORKER_FILE, args: [], silent: false });
      return new Promise<string[]>((resolve, reject) => {
        starting = { resolve, reject };
        for (const slot of slots) fork(slot);
      });
    },
    policyChanged(text) {
      for (const slot of slots) post(slot, { type: 'policy', text });
    },
    exemptionsChanged(list) {
      for (const slot of slots) post(slot, { type: 'exemptions', list });
    },
    async stop() {
      stopping = true;
      starting = null;
      await Promise.all(slots.map(stopSlot));
    },
    logDropped: () => retiredLogDropped + slots.reduce((n, s) => n + s.logDropped, 0),
  };
}
