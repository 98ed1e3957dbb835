/**
 * The UDP flow collector, the shell around {@link FlowPipeline}: it binds `flows.listen`, drops
 * packets from addresses outside `flows.exporters`, drains the per-minute sums to the store every
 * second (a flow shows in reports within seconds of arrival), keeps the templates in the store so a
 * restart does not wait for the next template, prunes past `flows.retentionDays`, and logs bad input
 * at a bounded rate. In `rambu serve` it runs in a thread of its own (cli/flow-thread-worker.ts), so
 * that DNS, the console and the store do not take its core; there its store is a message port.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AnswerLookup } from '../answers/index.js';
import type { FlowSettings } from '../config/index.js';
import { ERROR_CODES, RambuError } from '../errors.js';
import { CidrSet, cidrContains, parseCidr, parseIp, type Cidr, type GroupInfo } from '../policy/index.js';
import type { FlowStore } from '../store/index.js';
import { BoundedLog } from './bounded-log.js';
import type { FlowStats } from './flow-metrics.js';
import { FlowPipeline } from './flow-pipeline.js';
import { readSocketDrops } from './socket-drops.js';
import { parseSnapshots } from './template-snapshot.js';

/** What the collector needs of the flow store: writing sums and templates, pruning. */
export type FlowSink = Pick<FlowStore, 'add' | 'prune' | 'loadTemplates' | 'saveTemplates'>;

/**
 * The socket's receive buffer asked for (SO_RCVBUF): about a second of 50,000 records a second in
 * 1,500-byte datagrams of 30 records, several times over, to ride out a pause of the thread. Linux
 * grants at most net.core.rmem_max (the log says when it granted less).
 */
export const RECEIVE_BUFFER_BYTES = 32 * 1024 * 1024;

export interface FlowCollectorOptions {
  settings: FlowSettings & { listen: NonNullable<FlowSettings['listen']> };
  answers: AnswerLookup;
  /** The policy's groups in file order; read again at each drain, so a reload takes effect. */
  groups: () => readonly GroupInfo[];
  /** Networks of the gateway's clients (dns.allowFrom). */
  localNetworks: readonly string[];
  store: FlowSink;
  logger: Logger;
  now?: () => number;
  /** @default 1000 */
  drainIntervalMs?: number;
}

/** Rejected senders remembered by address; past this many they are only counted in total. */
const MAX_REJECTED_TRACKED = 64;

export interface FlowCollector {
  readonly pipeline: FlowPipeline;
  /** Packets from senders outside `flows.exporters`, by address (bounded), and in total. */
  readonly rejected: { byAddress: ReadonlyMap<string, number>; total: number };
  /** Aggregate rows written to the store since start. */
  readonly rowsWritten: number;
  /** Counters for /metrics. */
  stats(): FlowStats;
  start(): Promise<AddressInfo>;
  /** Write what is summed so far (also done every second). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export function createFlowCollector(options: FlowCollectorOptions): FlowCollector {
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ subsystem: 'flows' });
  const log = new BoundedLog();
  let groups = options.groups();
  const sampling = options.settings.sampling.map((x) => ({ net: parseCidr(x.exporter), rate: x.rate }));
  const configuredSampling = (exporter: string): number => {
    const ip = parseIp(exporter);
    return (ip === null ? undefined : sampling.find((x) => x.net !== null && cidrContains(x.net, ip)))?.rate ?? 1;
  };
  const pipeline = new FlowPipeline({
    answers: options.answers, groups, localNetworks: options.localNetworks,
    decoder: {
      configuredSampling,
      onError: (exporter, err) => {
        if (log.allow(`${exporter} ${err.code}`, now())) logger.warn({ exporter, code: err.code, suppressed: log.takeSuppressed() }, `bad flow export: ${err.message}`);
      },
    },
  });
  const allowed = options.settings.exporters === null ? null : new CidrSet(options.settings.exporters.map(parseCidr).filter((c): c is Cidr => c !== null));
  const rejected = { byAddress: new Map<string, number>(), total: 0 };
  let rowsWritten = 0;
  let socket: Socket | null = null;
  const timers: NodeJS.Timeout[] = [];
  let lastSnapshot = '';
  let receiveBuffer = 0;

  const onMessage = (msg: Buffer, rinfo: { address: string }): void => {
    const t = now();
    const exporter = rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address;
    if (allowed !== null && !allowed.has(exporter)) {
      rejected.total++;
      const n = rejected.byAddress.get(exporter);
      if (n !== undefined || rejected.byAddress.size < MAX_REJECTED_TRACKED) rejected.byAddress.set(exporter, (n ?? 0) + 1);
      if (log.allow(`reject ${exporter}`, t)) logger.warn({ exporter, suppressed: log.takeSuppressed() }, 'flow export from an address outside flows.exporters dropped');
      return;
    }
    pipeline.ingest(msg, exporter, t);
    if (pipeline.decoder.overflow > 0 && log.allow('overflow', t)) logger.warn({ dropped: pipeline.decoder.overflow }, 'too many exporters: packets from new ones dropped');
  };

  const drain = async (): Promise<void> => {
    const g = options.groups();
    if (g !== groups) { groups = g; pipeline.attributor.setGroups(g); }
    if (pipeline.aggregates.size === 0) return;
    const { traffic, remotes } = pipeline.aggregates.drain();
    try {
      await options.store.add(traffic, remotes);
      rowsWritten += traffic.length;
    } catch (err) {
      logger.error({ err, rows: traffic.length }, 'flow aggregates could not be written');
    }
  };

  const saveTemplates = async (): Promise<void> => {
    const text = JSON.stringify(pipeline.decoder.snapshot());
    if (text === lastSnapshot) return;
    lastSnapshot = text;
    await options.store.saveTemplates(text, now());
  };

  const every = (ms: number, fn: () => Promise<unknown>, what: string): void => {
    const t = setInterval(() => { fn().catch((err: unknown) => logger.error({ err }, `${what} failed`)); }, ms);
    t.unref();
    timers.push(t);
  };

  return {
    pipeline,
    rejected,
    get rowsWritten() { return rowsWritten; },
    stats() {
      const bound = socket?.address() ?? null;
      return {
        exporters: [...pipeline.decoder.counters()], rejected: rejected.total, overflow: pipeline.decoder.overflow, rowsWritten,
        socketDrops: bound === null ? null : readSocketDrops(bound.port, bound.family === 'IPv6'), receiveBufferBytes: receiveBuffer,
      };
    },
    async start() {
      const saved = await options.store.loadTemplates();
      if (saved !== null) pipeline.decoder.restore(parseSnapshots(saved));
      const { host, port } = options.settings.listen;
      const s = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
      socket = s;
      s.on('message', onMessage);
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err) => reject(new RambuError(ERROR_CODES.LISTEN_FAILED, `cannot listen for flows on ${host}:${port}: ${err.message}`, { cause: err })));
        s.bind(port, host, () => resolve());
      });
      s.on('error', (err) => logger.error({ err }, 'flow socket error'));
      // Linux reports twice what it grants (the other half is its bookkeeping).
      receiveBuffer = s.getRecvBufferSize();
      if (receiveBuffer < RECEIVE_BUFFER_BYTES) logger.warn({ granted: receiveBuffer, asked: RECEIVE_BUFFER_BYTES }, 'flow socket: receive buffer smaller than asked for (raise net.core.rmem_max)');
      every(options.drainIntervalMs ?? 1000, drain, 'flow drain');
      every(60_000, async () => { pipeline.decoder.sweep(now()); await saveTemplates(); }, 'flow template save');
      every(3_600_000, () => options.store.prune(now() - options.settings.retentionDays * 86_400_000), 'flow pruning');
      await options.store.prune(now() - options.settings.retentionDays * 86_400_000);
      return s.address();
    },
    drain,
    async stop() {
      for (const t of timers) clearInterval(t);
      timers.length = 0;
      if (socket !== null) {
        const s = socket;
        socket = null;
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      await drain();
      await saveTemplates();
    },
  };
}
