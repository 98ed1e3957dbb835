/**
 * `rambu serve`: the DNS gateway, the query log and the web console over one config file, in one
 * process. The main thread binds the DNS sockets and answers on them; with `dns.workers` above 1,
 * that many threads less one read the same UDP sockets (`dns-threads.ts`) over the same domain
 * index in shared memory, and the main thread keeps the config, the store, the console, TCP and
 * /metrics. The file is the single source
 * of truth for the policy: SIGHUP, a change on disk and a save in the console all go through the
 * same validate-then-swap reload, so a broken file never replaces a working policy; the new policy
 * is compiled in a thread of its own (config/load-thread.ts) and only swapped in here. Console
 * exemptions live in the database and are layered on top. With `storage.backend: postgres` the
 * policy keys come from the shared store's document instead (shared-policy.ts) and changes made on
 * other gateways arrive through the store's change feed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { AnswerIndex, createAnswerKeeper } from '../answers/index.js';
import { ConfigError, formatIssue } from '../errors.js';
import { DEFAULT_CONFIG_YAML, FILE_LIMITS, type LoadedConfig, loadConfigFileAsync, loadConfigInThread, readNamedFile } from '../config/index.js';
import { createDnsServer, createDnsStats, registerDnsMetrics, snapshotDnsStats, sumDnsStatsInto } from '../dns/index.js';
import type { ExemptionInput, Policy } from '../policy/index.js';
import { openGatewayStore, startAnswerSharing, StoreError } from '../store/index.js';
import { buildApp, createPolicyFileEditor, ensureAdmin, LOG_REDACT_PATHS, type PolicyEditor, toPolicyExemptions } from '../web/index.js';
import { type CliIo, EXIT, write } from './cli-io.js';
import { collectGarbage, releaseFreeMemory, RELEASE_INTERVAL_MS, tuneAllocator } from './collect-garbage.js';
import { createDnsThreads, type DnsThreads } from './dns-threads.js';
import { gatewaySource } from './gateway-status.js';
import { registerSharedMetrics } from './shared-metrics.js';
import { openSharedPolicy } from './shared-policy.js';
import { openSharedSnapshot, SNAPSHOT_FILE } from './shared-snapshot.js';
import { TEST_CLOCK_ENV, testClock } from './test-clock.js';
import { startFlowService } from './flow-service.js';
import { startProbeService } from './probe-service.js';
import { startEnforceService, type EnforceService } from './enforce-service.js';

const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));
const DEFAULT_CONFIG_PATH = 'data/rambu.yaml';
const EXEMPTION_REFRESH_MS = 60_000;
/** With a shared store, the re-read behind the change feed: a missed notification costs at most this. */
const SHARED_REFRESH_MS = 15_000;

function rambuVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The config file to run: the one given, or the built-in default written to ./data/rambu.yaml. */
function configPath(given: string | null, io: CliIo): string {
  if (given !== null) return resolve(given);
  const path = resolve(DEFAULT_CONFIG_PATH);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 }); // the data directory: see store/open-store.ts
    writeFileSync(path, DEFAULT_CONFIG_YAML, { flag: 'wx' });
    write(io.stdout, `rambu: no --config given: wrote the built-in policy (the work-hours circular) to ${path}`);
  } else {
    write(io.stdout, `rambu: no --config given: using ${path}`);
  }
  return path;
}

function formatAddresses(list: readonly AddressInfo[]): string[] {
  return list.map((a) => (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`));
}

export async function runServe(args: { config: string | null }, io: CliIo): Promise<number> {
  const file = configPath(args.config, io);
  let consoleNow: (() => number) | null;
  try {
    consoleNow = testClock(process.env);
  } catch (err) {
    write(io.stderr, `rambu: ${(err as Error).message}`);
    return EXIT.INVALID;
  }
  if (consoleNow !== null) write(io.stdout, `rambu: ${TEST_CLOCK_ENV} is set: the console's clock starts at ${new Date(consoleNow()).toISOString()} (for tests only)`);
  tuneAllocator();
  let loaded: LoadedConfig;
  try {
    // Asynchronous and bounded, here as on every reload: a FIFO or a device named as a blocklist
    // is refused, never waited on.
    loaded = await loadConfigFileAsync(file);
  } catch (err) {
    if (err instanceof ConfigError) { write(io.stderr, err.issues.map(formatIssue).join('\n')); return EXIT.INVALID; }
    throw err;
  }
  const { settings } = loaded;
  collectGarbage();
  const logger: Logger = pino({ level: settings.log.level, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } }, pino.destination(2));
  for (const w of loaded.warnings) logger.warn(w);

  // storage.backend postgres: users, sessions, exemptions and audit shared with the other gateways.
  // A large query log's schema upgrade runs after DNS starts, on the writer thread.
  // Started while PostgreSQL is down: run from the local snapshot of the shared state, connect later.
  // Without one (a first start, where an unreachable server is more likely a wrong URL), fail instead.
  const startOffline = existsSync(join(settings.storage.path, SNAPSHOT_FILE));
  const store = await openGatewayStore(settings.storage, { logger, logMigration: 'background', version: rambuVersion(), address: `${settings.web.listen.host}:${settings.web.listen.port}`, startOffline });
  const snapshot = store.shared === null ? null : openSharedSnapshot(settings.storage.path, store.exemptions, logger);
  // Shared store: the policy keys come from its document, the file keeps the local ones.
  const sharedPolicy = store.shared === null || snapshot === null ? null : await openSharedPolicy(store.shared, loaded, logger, snapshot);
  if (sharedPolicy !== null) {
    try {
      loaded = sharedPolicy.compose(loaded);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      logger.error({ problems: err.issues.map(formatIssue) }, 'the shared policy does not load on this gateway: running the file\'s policy');
    }
  }
  if (store.queryLog.migrating) write(io.stdout, 'rambu: query log: upgrading the stored log in the background; DNS answers meanwhile, and older rows show again when it is done');
  // Test hook, off unless asked for (test/serve/query-log-topology.test.ts): SIGUSR2 ends the query
  // log's writer thread as a crash would, to show that the log survives it.
  if ((process.env['RAMBU_TEST_HOOKS'] ?? '').split(',').includes('writer-kill')) process.on('SIGUSR2', () => { void store.queryLog.killWriter(); });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rambu_' });
  if (store.shared !== null) registerSharedMetrics(store.shared, registry, logger, () => store.shipping());
  // The answer index: what each client was given, fed by every DNS thread, saved to the store.
  const answers = new AnswerIndex({ graceMs: settings.answers.graceSeconds * 1000, maxPerClient: settings.answers.maxPerClient, maxEntries: settings.answers.maxEntries });
  // Firewall enforcement (enforce:), started once DNS answers; told of answers, exemptions and reloads.
  let enforce: EnforceService | null = null;
  const answerKeeper = createAnswerKeeper({
    index: answers, db: store.local.db, logger, registry,
    ...(settings.enforce === null ? {} : { onRecorded: (client: string, service: string) => enforce?.noteAnswer(client, service) }),
    share: store.shared !== null,
  });
  // Shared store: the answers given here go to the other gateways, and theirs come into this index.
  const answerSharing = store.shared === null ? null
    : startAnswerSharing({ config: store.shared.clientConfig, gateway: settings.storage.gatewayName, keeper: answerKeeper, logger, registry });
  const queryLogGauge = new Gauge({
    name: 'rambu_query_log_rows', help: 'Query-log rows by state: buffered (not yet written), written, dropped (buffer full), failed (write errors)',
    labelNames: ['state'], registers: [registry],
    collect() {
      for (const [state, value] of Object.entries(store.queryLog.stats())) queryLogGauge.set({ state }, value);
    },
  });

  // Extra DNS threads, when dns.workers > 1 (started once the main thread's sockets are bound);
  // they get every policy and exemption change.
  let threads: DnsThreads | null = null;

  // The policy in force: the file's, plus the console's exemptions.
  let base: Policy = loaded.policy;
  let current: Policy = base;
  let exemptions: ExemptionInput[] = [];
  let exemptionsJson = '[]';
  const refreshExemptions = async (): Promise<void> => {
    const list = toPolicyExemptions(await (snapshot ?? store.exemptions).effective(Date.now()));
    current = base.withConsoleExemptions(list);
    exemptions = list;
    const json = JSON.stringify(list);
    if (json !== exemptionsJson) {
      exemptionsJson = json;
      threads?.exemptionsChanged(list);
      enforce?.evaluate('exemptions');
    }
  };
  await refreshExemptions();
  const releaseTimer = setInterval(releaseFreeMemory, RELEASE_INTERVAL_MS);
  releaseTimer.unref();
  const refreshTimer = setInterval(() => { refreshExemptions().catch((err: unknown) => logger.error({ err }, 'exemption refresh failed')); }, store.shared === null ? EXEMPTION_REFRESH_MS : SHARED_REFRESH_MS);
  refreshTimer.unref();
  // An exemption made or revoked on another gateway (or after the feed reconnected) is in force here at once.
  store.onChange((change) => {
    if (change === 'exemptions' || change === 'resync') refreshExemptions().catch((err: unknown) => logger.error({ err }, 'exemption refresh failed'));
    if (change === 'policy' || change === 'resync') syncPolicy();
  });
  const syncPolicy = (): void => {
    sharedPolicy?.refresh().then((changed) => (changed ? reload('shared policy changed') : undefined))
      .catch((err: unknown) => logger.error({ err }, 'shared policy refresh failed'));
  };
  const policyTimer = sharedPolicy === null ? null : setInterval(syncPolicy, SHARED_REFRESH_MS);
  policyTimer?.unref();

  const apply = async (next: LoadedConfig, why: string): Promise<void> => {
    const changed = JSON.stringify(next.settings.dns.listen) !== JSON.stringify(loaded.settings.dns.listen)
      || next.settings.dns.workers !== loaded.settings.dns.workers
      || next.settings.web.listen.port !== loaded.settings.web.listen.port || next.settings.storage.path !== loaded.settings.storage.path;
    if (changed) logger.warn('listen addresses, dns.workers or the storage path changed: they take effect at the next restart');
    if (JSON.stringify([next.settings.flows, next.settings.probes, next.settings.enforce]) !== JSON.stringify([loaded.settings.flows, loaded.settings.probes, loaded.settings.enforce])) {
      logger.warn('flows, probes or enforce changed: they take effect at the next restart');
    }
    loaded = next;
    base = next.policy;
    threads?.policyChanged(next.text, next.policy.lists());
    await refreshExemptions();
    enforce?.evaluate('reload');
    for (const w of next.warnings) logger.warn(w);
    logger.info({ file, why, rules: base.rules.length }, 'policy reloaded');
    // The previous policy's index is garbage now. Its arrays were handed over as plain buffers
    // (config/load-thread-worker.ts), which V8 counts and collects on its own, in small steps; a
    // forced full collection held answers for 23 to 102 ms with a million-domain list under load.
    // With DNS threads the index moved to shared memory, which V8 does not count (eight reloads
    // left eight indexes resident, RSS 130 -> 338 MB): there the full collection stays.
    if (threads !== null) setImmediate(collectGarbage);
  };
  let lastText = loaded.text;
  // Reloads run one at a time: a reload asked for while one loads runs once more after it, so the
  // newest file is the one that ends in force.
  let reloading: Promise<void> | null = null;
  let reloadAgain: string | null = null;
  const reloadOnce = async (why: string): Promise<void> => {
    // The watcher also fires for the console's own save: the text is compared before compiling it again.
    if (why === 'file changed') {
      const text = await readNamedFile(file, FILE_LIMITS.config).then((b) => b.toString('utf8'), () => null);
      if (text === lastText) return;
    }
    let next: LoadedConfig;
    try {
      // Compiled in a thread of its own (config/load-thread.ts): a large blocklist takes seconds to
      // index, and the main thread answers DNS meanwhile.
      next = await loadConfigInThread(file, { shared: sharedPolicy?.document() ?? null });
    } catch (err) {
      if (err instanceof ConfigError) {
        logger.error({ file, why, problems: err.issues.map(formatIssue) }, 'config rejected: the previous policy stays in force');
        return;
      }
      throw err;
    }
    if (next.text === lastText && why === 'file changed') return;
    lastText = next.text;
    await apply(next, why);
  };
  const reload = (why: string): Promise<void> => {
    if (reloading !== null) { reloadAgain = why; return reloading; }
    reloading = (async () => {
      try {
        await reloadOnce(why);
        while (reloadAgain !== null) {
          const again = reloadAgain;
          reloadAgain = null;
          await reloadOnce(again);
        }
      } finally {
        reloading = null;
        reloadAgain = null;
      }
    })();
    return reloading;
  };

  // Shared store: the console edits the shared document; every gateway applies it on the change notice.
  const sharedEditor: PolicyEditor | null = sharedPolicy === null ? null : {
    read: () => ({ text: sharedPolicy.text(), file: sharedPolicy.label }),
    write: async (text, user) => {
      const saved = await sharedPolicy.save(text, user, (document) => loadConfigInThread(file, { shared: document }));
      if (!saved.ok) return saved;
      lastText = saved.next.text;
      await apply(saved.next, 'console');
      return { ok: true };
    },
  };
  // A save is checked (config/load-async.ts, web/policy-file-editor.ts) before the file is touched.
  const policyEditor: PolicyEditor = sharedEditor ?? createPolicyFileEditor({
    file,
    current: () => loaded,
    load: (text) => loadConfigInThread(file, { text }),
    commit: async (text, next) => {
      // Atomic replace: a reader (or a crash) sees the old file or the new one, never half of it.
      const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
      writeFileSync(tmp, text, { mode: 0o640 });
      renameSync(tmp, file);
      lastText = text;
      await apply(next, 'console');
    },
  });

  // The main thread's DNS server (UDP and TCP); extra threads read its UDP sockets.
  const dns = createDnsServer({
    settings: settings.dns,
    getPolicy: () => current,
    onQuery: (entry) => store.queryLog.append(entry),
    ...(settings.answers.enabled ? { onAnswer: answerKeeper.onAnswer } : {}),
    logger,
  });
  const dnsTotal = createDnsStats();
  registerDnsMetrics(dnsTotal, registry, () => sumDnsStatsInto(dnsTotal, [snapshotDnsStats(dns.stats), ...(threads?.snapshots() ?? [])]));
  dns.stats.upstreamLatency.observe((ms, upstream) => dnsTotal.upstreamLatency.add(ms, upstream));
  new Gauge({
    name: 'rambu_dns_thread_queries', help: 'DNS queries received by each DNS thread (1 is the main thread)', labelNames: ['thread'], registers: [registry],
    collect() {
      this.reset();
      this.set({ thread: '1' }, dns.stats.queries);
      threads?.snapshots().forEach((s, i) => this.set({ thread: String(i + 2) }, s.queries));
    },
  });
  new Gauge({
    name: 'rambu_dns_threads', help: 'DNS threads answering (the main thread and the extra ones of dns.workers)', registers: [registry],
    collect() { this.set(1 + (threads?.listening() ?? 0)); },
  });
  let fatal: ((message: string) => void) | null = null;
  const stopDns = async (): Promise<void> => {
    // Threads first: they stop reading before the main thread closes the sockets they share.
    await threads?.stop();
    await dns.stop();
  };
  try {
    const bound = await dns.start();
    let mode = '';
    if (settings.dns.workers > 1) {
      const sockets = dns.udpFds();
      if (sockets.length === 0) {
        logger.warn('this Node.js does not expose socket descriptors: answering DNS on one thread');
      } else {
        threads = createDnsThreads({
          threads: settings.dns.workers - 1, file, configText: loaded.text, lists: base.lists(), exemptions, sockets,
          onLog: (batch) => store.queryLog.appendBatch(batch),
          onAnswers: (batch) => answerKeeper.apply(batch),
          upstreamLatency: dnsTotal.upstreamLatency, onFatal: (message) => fatal?.(message), logger,
        });
        await threads.start();
        mode = `, ${settings.dns.workers} threads`;
      }
    }
    write(io.stdout, `rambu: dns: listening on ${formatAddresses(bound.udp).join(', ')} (udp and tcp${mode})`);
    enforce = startEnforceService({ settings, answers, policy: () => current, ready: answerKeeper.ready, registry, logger });
    if (enforce !== null) {
      const e = settings.enforce;
      const redirect = e?.dnsRedirect !== true ? '' : e.backend === 'routeros' ? ', DNS redirect by the router\'s rules (rambu enforce routeros-script)' : ', DNS redirect';
      write(io.stdout, `rambu: enforce: ${e?.backend ?? ''} back-end${e?.backend === 'routeros' && e.routeros !== null ? ` at ${e.routeros.url}` : ''}${redirect}`);
    }
  } catch (err) {
    write(io.stderr, `rambu: cannot start DNS: ${(err as Error).message}`);
    await stopDns();
    answerKeeper.close();
    await answerSharing?.close();
    await store.close();
    return (err as { code?: string | null }).code === 'RAMBU_NO_UPSTREAM' ? EXIT.INVALID : EXIT.FAILURE;
  }

  let app: ReturnType<typeof buildApp> | null = null;
  if (settings.web.enabled) {
    const admin = await ensureAdmin(store, logger).catch((err: unknown) => {
      if (!(err instanceof StoreError && err.code === 'STORE_UNAVAILABLE')) throw err;
      return null; // started offline: the first admin is made by a gateway that starts while the store is reachable
    });
    app = buildApp({
      store, getPolicy: () => current, onExemptionsChanged: () => { refreshExemptions().catch((err: unknown) => logger.error({ err }, 'exemption refresh failed')); },
      policyEditor, metrics: registry, answers, traffic: { flows: store.flows, probes: store.local.probes }, ...(existsSync(join(UI_DIR, 'index.html')) ? { staticDir: UI_DIR } : {}),
      secureCookies: settings.web.secureCookies, trustProxy: settings.web.trustProxy, sessionHours: settings.web.sessionHours, logger,
      maxExemptionDays: settings.web.maxExemptionDays,
      gateways: gatewaySource(store, { name: settings.storage.gatewayName, address: `${settings.web.listen.host}:${settings.web.listen.port}`, version: rambuVersion() }),
      enforcement: () => enforce?.status() ?? null,
      ...(consoleNow === null ? {} : { now: consoleNow }),
    });
    try {
      await app.listen({ host: settings.web.listen.host, port: settings.web.listen.port });
    } catch (err) {
      write(io.stderr, `rambu: cannot start the web console on ${settings.web.listen.host}:${settings.web.listen.port}: ${(err as Error).message}`);
      await stopDns();
      answerKeeper.close();
      await answerSharing?.close();
      await enforce?.stop();
      await store.close();
      return EXIT.FAILURE;
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : settings.web.listen.port;
    const host = settings.web.listen.host.includes(':') ? `[${settings.web.listen.host}]` : settings.web.listen.host;
    write(io.stdout, `rambu: console: http://${host}:${port}/`);
    if (admin !== null) write(io.stdout, `rambu: first run: created user "${admin.username}" with password ${admin.password}\n       (shown once; change it in the console under Pengguna)`);
  }

  // The flow collector, when flows.listen is set: attributes traffic through the answer index.
  let flows: Awaited<ReturnType<typeof startFlowService>> = null;
  try {
    flows = await startFlowService({ settings, answers, keeper: answerKeeper, groups: () => current.groups, store, registry, logger }, io);
  } catch (err) {
    write(io.stderr, `rambu: cannot start the flow collector: ${(err as Error).message}`);
    await Promise.allSettled([stopDns(), app?.close(), enforce?.stop()]);
    answerKeeper.close();
    await answerSharing?.close();
    await store.close();
    return EXIT.FAILURE;
  }

  // Probes of the critical services, resolved through this gateway's own DNS.
  const probes = startProbeService(settings, store.local, logger);

  // Reload on SIGHUP and when the file changes (editors often replace the file: watch its folder).
  let debounce: NodeJS.Timeout | null = null;
  const scheduleReload = (why: string): void => {
    if (debounce !== null) clearTimeout(debounce);
    debounce = setTimeout(() => { debounce = null; reload(why).catch((err: unknown) => logger.error({ err }, 'reload failed')); }, 200);
  };
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(file), (_event, name) => { if (name === basename(file)) scheduleReload('file changed'); });
  } catch (err) {
    logger.warn({ err }, 'cannot watch the config file: reload with SIGHUP');
  }
  process.on('SIGHUP', () => scheduleReload('SIGHUP'));
  logger.info({ file, rules: base.rules.length }, 'rambu started');

  return await new Promise<number>((done) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      clearInterval(refreshTimer);
      clearInterval(releaseTimer);
      if (policyTimer !== null) clearInterval(policyTimer);
      watcher?.close();
      Promise.allSettled([stopDns(), app?.close(), flows?.stop(), probes?.stop(), enforce?.stop()])
        .then(() => { answerKeeper.close(); return answerSharing?.close(); }).then(() => store.close())
        .then(() => done(EXIT.OK), (err: unknown) => { logger.error({ err }, 'shutdown failed'); done(EXIT.FAILURE); });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // A DNS thread that ended took the shared sockets with it: exit, and let the service manager restart.
    fatal = (message) => {
      write(io.stderr, `rambu: ${message}: exiting`);
      stopping = true;
      clearInterval(refreshTimer);
      clearInterval(releaseTimer);
      watcher?.close();
      Promise.allSettled([app?.close(), flows?.stop(), probes?.stop(), enforce?.stop()]).then(() => { answerKeeper.close(); return answerSharing?.close(); }).then(() => store.close()).finally(() => done(EXIT.FAILURE));
    };
  });
}
