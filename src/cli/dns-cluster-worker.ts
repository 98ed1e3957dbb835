/**
 * Entry point of one DNS worker process of `rambu serve` with `dns.workers` above 1 (the primary
 * forks this file through node:cluster). The worker compiles the policy from the config text the
 * primary sends, binds `dns.listen` (node:cluster hands it the primary's shared UDP and TCP
 * sockets), answers queries, and sends its query log and counters to the primary. It never opens
 * the store. A config that fails to compile here is logged and the previous policy stays.
 */
import cluster from 'node:cluster';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import { ConfigError, formatIssue } from '../errors.js';
import { type LoadedConfig, parseConfigText } from '../config/index.js';
import { createDnsServer, QueryLogBatch, snapshotDnsStats, type DnsServer, type QueryLogEntry } from '../dns/index.js';
import type { ExemptionInput, Policy } from '../policy/index.js';
import { LOG_REDACT_PATHS } from '../web/index.js';
import { type FromWorker, isToWorker, type ToWorker } from './dns-cluster-protocol.js';

/** A batch leaves at this size or after LOG_FLUSH_MS, whichever comes first. */
const LOG_BATCH_ROWS = 2_000;
const LOG_FLUSH_MS = 100;
/** Batches sent but not yet written to the channel; past this, entries wait in the bounded buffer. */
const LOG_MAX_IN_FLIGHT = 8;
const STATS_MS = 1_000;
const LATENCY_SAMPLES_MAX = 1_024;
/** The worker's position, 1..dns.workers, kept across restarts (set by the primary). */
const WORKER_NUMBER = Number(process.env['RAMBU_DNS_WORKER'] ?? 0);

function send(message: FromWorker, done?: () => void): void {
  if (!process.connected) { done?.(); return; }
  process.send!(message, undefined, {}, () => done?.());
}

function formatAddress(a: { address: string; port: number; family: string }): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function runWorker(): void {
  let logger: Logger = pino({ level: 'info', redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } }, pino.destination(2)).child({ worker: WORKER_NUMBER });
  let file = '';
  let base: Policy | null = null;
  let exemptions: ExemptionInput[] = [];
  let current: Policy | null = null;
  let dns: DnsServer | null = null;
  let stopping = false;
  const batch = new QueryLogBatch();
  let inFlight = 0;
  let flushTimer: NodeJS.Timeout | null = null;
  let statsTimer: NodeJS.Timeout | null = null;
  const latencyMs: number[] = [];
  const latencyUpstream: string[] = [];

  const compile = (text: string): LoadedConfig | null => {
    try {
      return parseConfigText(text, file, { baseDir: dirname(file) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      logger.error({ file, problems: err.issues.map(formatIssue) }, 'dns worker: config rejected: the previous policy stays in force');
      return null;
    }
  };
  const setPolicy = (): void => {
    if (base !== null) current = base.withConsoleExemptions(exemptions);
  };

  /** Send what is buffered, unless too many batches are on the way already (`force` ignores that). */
  const flushLog = (force: boolean, done?: () => void): void => {
    if (flushTimer !== null) { clearTimeout(flushTimer); flushTimer = null; }
    if (!force && inFlight >= LOG_MAX_IN_FLIGHT) { done?.(); return; }
    const columns = batch.take();
    if (columns === null) { done?.(); return; }
    inFlight++;
    send({ type: 'log', columns }, () => { inFlight--; done?.(); });
  };
  const onQuery = (entry: QueryLogEntry): void => {
    batch.push(entry);
    if (batch.size >= LOG_BATCH_ROWS) flushLog(false);
    else if (flushTimer === null) flushTimer = setTimeout(() => { flushTimer = null; flushLog(false); }, LOG_FLUSH_MS);
  };

  const sendStats = (done?: () => void): void => {
    if (dns === null) { done?.(); return; }
    send({
      type: 'stats', stats: snapshotDnsStats(dns.stats), rss: process.memoryUsage.rss(), logDropped: batch.dropped,
      latencyMs: latencyMs.splice(0), latencyUpstream: latencyUpstream.splice(0),
    }, done);
  };

  const start = async (init: Extract<ToWorker, { type: 'init' }>): Promise<void> => {
    file = init.file;
    exemptions = init.exemptions;
    const loaded = compile(init.text);
    if (loaded === null) {
      send({ type: 'failed', message: 'the config did not compile in the DNS worker', code: null }, () => process.exit(1));
      return;
    }
    logger = pino({ level: loaded.settings.log.level, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } }, pino.destination(2)).child({ worker: WORKER_NUMBER });
    base = loaded.policy;
    setPolicy();
    dns = createDnsServer({ settings: loaded.settings.dns, getPolicy: () => current!, onQuery, logger });
    dns.stats.upstreamLatency.observe((ms, upstream) => {
      if (latencyMs.length < LATENCY_SAMPLES_MAX) { latencyMs.push(ms); latencyUpstream.push(upstream); }
    });
    try {
      const bound = await dns.start();
      send({ type: 'listening', udp: bound.udp.map(formatAddress) });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      send({ type: 'failed', message: (err as Error).message, code: typeof code === 'string' ? code : null }, () => process.exit(1));
      return;
    }
    statsTimer = setInterval(() => sendStats(), STATS_MS);
    logger.debug('dns worker listening');
  };

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    if (statsTimer !== null) clearInterval(statsTimer);
    const finish = (): void => {
      flushLog(true, () => sendStats(() => send({ type: 'stopped' }, () => {
        if (process.connected) process.disconnect();
        process.exitCode = 0;
        // The pino destination and the channel are flushed; nothing else should keep the process.
        setTimeout(() => process.exit(0), 1_000).unref();
      })));
    };
    (dns === null ? Promise.resolve() : dns.stop()).then(finish, (err: unknown) => { logger.error({ err }, 'dns worker: stop failed'); finish(); });
  };

  process.on('message', (message: unknown) => {
    if (!isToWorker(message)) return;
    switch (message.type) {
      case 'init':
        if (dns === null && !stopping) start(message).catch((err: unknown) => { logger.error({ err }, 'dns worker: start failed'); process.exit(2); });
        break;
      case 'policy': {
        const loaded = compile(message.text);
        if (loaded !== null) { base = loaded.policy; setPolicy(); logger.debug({ rules: loaded.policy.rules.length }, 'dns worker: policy reloaded'); }
        break;
      }
      case 'exemptions':
        exemptions = message.list;
        setPolicy();
        break;
      case 'stop':
        stop();
        break;
    }
  });
  // The primary coordinates signals: a terminal's Ctrl-C or a hang-up reaches the whole process group.
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  process.on('SIGTERM', stop);
  // Without a primary there is no store to log to and nobody to restart us.
  process.on('disconnect', () => {
    if (stopping) return;
    stopping = true;
    logger.warn('dns worker: lost the primary: exiting');
    (dns === null ? Promise.resolve() : dns.stop()).finally(() => process.exit(0));
  });
  send({ type: 'hello' });
}

if (cluster.isWorker) runWorker();
