/**
 * Entry point of one extra DNS thread of `rambu serve` (`dns.workers` above 1). The thread compiles
 * the config text the main thread sends over the main thread's domain index (shared memory, so a
 * million-domain list exists once), reads the main thread's UDP sockets, and answers with its own
 * cache, upstream sockets and rate limiter. Its query log and counters go to the main thread, which
 * owns the store. A config that fails to compile here is logged and the previous policy stays.
 * Only what answering DNS needs is imported here (not the console), to keep the thread small.
 */
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import { AnswerFeed, batchTransferList } from '../answers/index.js';
import { ConfigError, formatIssue } from '../errors.js';
import { type LoadedConfig, parseConfigText } from '../config/index.js';
import { createDnsServer, snapshotDnsStats, type DnsServer, type QueryLogEntry } from '../dns/index.js';
import { BatchEncoder } from '../store/index.js';
import type { ExemptionInput, Policy, PolicyLists } from '../policy/index.js';
import type { DnsThreadData, FromDnsThread, ToDnsThread } from './dns-thread-protocol.js';

/**
 * A batch leaves at this size or after LOG_FLUSH_MS, whichever comes first, encoded here in the
 * writer's own format (with its own dictionary), and goes to the writer untouched.
 */
const LOG_BATCH_ROWS = 2_000;
const LOG_FLUSH_MS = 100;
const STATS_MS = 1_000;
/** Answers for the answer index leave at this count or after ANSWER_FLUSH_MS. */
const ANSWER_BATCH = 2_000;
const ANSWER_FLUSH_MS = 100;
const LATENCY_SAMPLES_MAX = 1_024;

function runThread(port: NonNullable<typeof parentPort>, data: DnsThreadData): void {
  const send = (message: FromDnsThread, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  let logger: Logger = pino({ level: 'info' }, pino.destination(2)).child({ dnsThread: data.number });
  let exemptions: ExemptionInput[] = data.exemptions;
  let base: Policy | null = null;
  let current: Policy | null = null;
  let dns: DnsServer | null = null;
  let stopping = false;
  const encoder = new BatchEncoder({ capacity: LOG_BATCH_ROWS });
  let flushTimer: NodeJS.Timeout | null = null;
  let statsTimer: NodeJS.Timeout | null = null;
  const answers = new AnswerFeed();
  let answerTimer: NodeJS.Timeout | null = null;
  const latencyMs: number[] = [];
  const latencyUpstream: string[] = [];

  const compile = (text: string, lists: PolicyLists): LoadedConfig | null => {
    try {
      return parseConfigText(text, data.file, { baseDir: dirname(data.file), lists });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      logger.error({ file: data.file, problems: err.issues.map(formatIssue) }, 'dns thread: config rejected: the previous policy stays in force');
      return null;
    }
  };
  const setPolicy = (): void => {
    if (base !== null) current = base.withConsoleExemptions(exemptions);
  };

  const flushLog = (): void => {
    if (flushTimer !== null) { clearTimeout(flushTimer); flushTimer = null; }
    const batch = encoder.take();
    if (batch !== null) send({ type: 'log', batch }, [batch.buffer]);
  };
  const onQuery = (entry: QueryLogEntry): void => {
    if (!encoder.encode(entry)) {
      flushLog();
      encoder.encode(entry);
    }
    if (encoder.count >= encoder.capacity) flushLog();
    else if (flushTimer === null) flushTimer = setTimeout(flushLog, LOG_FLUSH_MS);
  };
  const flushAnswers = (): void => {
    if (answerTimer !== null) { clearTimeout(answerTimer); answerTimer = null; }
    const batch = answers.take();
    if (batch !== null) port.postMessage({ type: 'answers', batch } satisfies FromDnsThread, batchTransferList(batch));
  };
  const onAnswer = (client: string, name: string, service: string | null, response: Uint8Array, time: number): boolean => {
    const kept = answers.push(client, name, service, response, time);
    if (answers.size >= ANSWER_BATCH) flushAnswers();
    else if (answerTimer === null) answerTimer = setTimeout(flushAnswers, ANSWER_FLUSH_MS);
    return kept;
  };
  const sendStats = (): void => {
    if (dns === null) return;
    send({ type: 'stats', stats: snapshotDnsStats(dns.stats), latencyMs: latencyMs.splice(0), latencyUpstream: latencyUpstream.splice(0) });
  };

  const start = async (): Promise<void> => {
    const loaded = compile(data.text, data.lists);
    if (loaded === null) {
      send({ type: 'failed', message: 'the config did not compile in the DNS thread', code: null });
      return;
    }
    logger = pino({ level: loaded.settings.log.level }, pino.destination(2)).child({ dnsThread: data.number });
    base = loaded.policy;
    setPolicy();
    dns = createDnsServer({ settings: loaded.settings.dns, getPolicy: () => current!, onQuery, ...(loaded.settings.answers.enabled ? { onAnswer } : {}), logger, attachUdpFds: data.sockets });
    dns.stats.upstreamLatency.observe((ms, upstream) => {
      if (latencyMs.length < LATENCY_SAMPLES_MAX) { latencyMs.push(ms); latencyUpstream.push(upstream); }
    });
    try {
      await dns.start();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      send({ type: 'failed', message: (err as Error).message, code: typeof code === 'string' ? code : null });
      return;
    }
    statsTimer = setInterval(sendStats, STATS_MS);
    send({ type: 'listening' });
  };

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    if (statsTimer !== null) clearInterval(statsTimer);
    const finish = (): void => {
      flushLog();
      flushAnswers();
      sendStats();
      send({ type: 'stopped' });
    };
    (dns === null ? Promise.resolve() : dns.stop()).then(finish, (err: unknown) => { logger.error({ err }, 'dns thread: stop failed'); finish(); });
  };

  port.on('message', (message: ToDnsThread) => {
    switch (message.type) {
      case 'policy': {
        const loaded = compile(message.text, message.lists);
        if (loaded !== null) { base = loaded.policy; setPolicy(); logger.debug({ rules: loaded.policy.rules.length }, 'dns thread: policy reloaded'); }
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
  // A thread that ends closes the sockets it shares with the main thread: an error in one query must
  // not end it. The query handler answers SERVFAIL for its own errors; this is the last line.
  process.on('uncaughtException', (err) => logger.error({ err }, 'dns thread: unexpected error'));
  start().catch((err: unknown) => {
    logger.error({ err }, 'dns thread: start failed');
    send({ type: 'failed', message: (err as Error).message, code: null });
  });
}

if (parentPort !== null) runThread(parentPort, workerData as DnsThreadData);
