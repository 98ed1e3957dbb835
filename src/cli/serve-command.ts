/**
 * `rambu serve`: the DNS gateway, the query log and the web console over one config file. With
 * `dns.workers` above 1 the DNS gateway runs in that many worker processes (`dns-cluster.ts`) and
 * this process keeps the config, the store, the console and /metrics. The file is the single source
 * of truth for the policy: SIGHUP, a change on disk and a save in the console all go through the
 * same validate-then-swap reload, so a broken file never replaces a working policy. Console
 * exemptions live in the database and are layered on top.
 */
import { existsSync, mkdirSync, renameSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { ConfigError, formatIssue } from '../errors.js';
import { DEFAULT_CONFIG_YAML, type LoadedConfig, loadConfigFile, parseConfigText } from '../config/index.js';
import { createDnsServer, forEachQueryLogEntry } from '../dns/index.js';
import type { ExemptionInput, Policy } from '../policy/index.js';
import { openStore } from '../store/index.js';
import { buildApp, ensureAdmin, LOG_REDACT_PATHS, type PolicyEditor, toPolicyExemptions } from '../web/index.js';
import { type CliIo, EXIT, write } from './cli-io.js';
import { createDnsCluster, type DnsCluster } from './dns-cluster.js';

const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));
const DEFAULT_CONFIG_PATH = 'data/rambu.yaml';
const EXEMPTION_REFRESH_MS = 60_000;

/** The config file to run: the one given, or the built-in default written to ./data/rambu.yaml. */
function configPath(given: string | null, io: CliIo): string {
  if (given !== null) return resolve(given);
  const path = resolve(DEFAULT_CONFIG_PATH);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
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
  let loaded: LoadedConfig;
  try {
    loaded = loadConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError) { write(io.stderr, err.issues.map(formatIssue).join('\n')); return EXIT.INVALID; }
    throw err;
  }
  const { settings } = loaded;
  const logger: Logger = pino({ level: settings.log.level, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } }, pino.destination(2));
  for (const w of loaded.warnings) logger.warn(w);

  const store = openStore({ dir: settings.storage.path, retentionDays: settings.storage.retentionDays, logger });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rambu_' });
  const queryLogGauge = new Gauge({
    name: 'rambu_query_log_rows', help: 'Query-log rows by state: buffered (not yet written), written, dropped (buffer full), failed (write errors)',
    labelNames: ['state'], registers: [registry],
    collect() {
      const s = store.queryLog.stats();
      // Entries DNS worker processes dropped before they reached the store count as dropped too.
      const workerDropped = cluster?.logDropped() ?? 0;
      for (const [state, value] of Object.entries(s)) queryLogGauge.set({ state }, state === 'dropped' ? value + workerDropped : value);
    },
  });

  // DNS worker processes, when dns.workers > 1; they get every policy and exemption change.
  const cluster: DnsCluster | null = settings.dns.workers > 1
    ? createDnsCluster({
      workers: settings.dns.workers, file, configText: () => loaded.text, exemptions: () => exemptions,
      onLog: (columns) => forEachQueryLogEntry(columns, (entry) => store.queryLog.append(entry)), registry, logger,
    })
    : null;

  // The policy in force: the file's, plus the console's exemptions.
  let base: Policy = loaded.policy;
  let current: Policy = base;
  let exemptions: ExemptionInput[] = [];
  let exemptionsJson = '[]';
  const refreshExemptions = async (): Promise<void> => {
    const list = toPolicyExemptions(await store.exemptions.effective(Date.now()));
    current = base.withConsoleExemptions(list);
    exemptions = list;
    const json = JSON.stringify(list);
    if (json !== exemptionsJson) {
      exemptionsJson = json;
      cluster?.exemptionsChanged(list);
    }
  };
  await refreshExemptions();
  const refreshTimer = setInterval(() => { refreshExemptions().catch((err: unknown) => logger.error({ err }, 'exemption refresh failed')); }, EXEMPTION_REFRESH_MS);
  refreshTimer.unref();

  const apply = async (next: LoadedConfig, why: string): Promise<void> => {
    const changed = JSON.stringify(next.settings.dns.listen) !== JSON.stringify(loaded.settings.dns.listen)
      || next.settings.dns.workers !== loaded.settings.dns.workers
      || next.settings.web.listen.port !== loaded.settings.web.listen.port || next.settings.storage.path !== loaded.settings.storage.path;
    if (changed) logger.warn('listen addresses, dns.workers or the storage path changed: they take effect at the next restart');
    loaded = next;
    base = next.policy;
    cluster?.policyChanged(next.text);
    await refreshExemptions();
    for (const w of next.warnings) logger.warn(w);
    logger.info({ file, why, rules: base.rules.length }, 'policy reloaded');
  };
  let lastText = loaded.text;
  const reload = async (why: string): Promise<void> => {
    let next: LoadedConfig;
    try {
      next = loadConfigFile(file);
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

  const policyEditor: PolicyEditor = {
    read: () => ({ text: loaded.text, file }),
    write: async (text) => {
      let next: LoadedConfig;
      try {
        next = parseConfigText(text, file);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return { ok: false, errors: err.issues.map((i) => ({ ...(i.line === undefined ? {} : { line: i.line }), ...(i.column === undefined ? {} : { column: i.column }), path: i.path.join('.'), message: i.message })) };
      }
      // Atomic replace: a reader (or a crash) sees the old file or the new one, never half of it.
      const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
      writeFileSync(tmp, text, { mode: 0o640 });
      renameSync(tmp, file);
      lastText = text;
      await apply(next, 'console');
      return { ok: true };
    },
  };

  // One DNS server in this process, or the worker processes (which bind the same addresses).
  const dns = cluster !== null ? null : createDnsServer({
    settings: settings.dns,
    getPolicy: () => current,
    onQuery: (entry) => store.queryLog.append(entry),
    logger,
    registry,
  });
  const stopDns = (): Promise<void> => (dns !== null ? dns.stop() : cluster?.stop() ?? Promise.resolve());
  try {
    const addrs = dns !== null ? formatAddresses((await dns.start()).udp) : await cluster?.start() ?? [];
    const workers = cluster === null ? '' : `, ${settings.dns.workers} worker processes`;
    write(io.stdout, `rambu: dns: listening on ${addrs.join(', ')} (udp and tcp${workers})`);
  } catch (err) {
    write(io.stderr, `rambu: cannot start DNS: ${(err as Error).message}`);
    await stopDns();
    await store.close();
    return (err as { code?: string | null }).code === 'RAMBU_NO_UPSTREAM' ? EXIT.INVALID : EXIT.FAILURE;
  }

  let app: ReturnType<typeof buildApp> | null = null;
  if (settings.web.enabled) {
    const admin = await ensureAdmin(store, logger);
    app = buildApp({
      store, getPolicy: () => current, onExemptionsChanged: () => { refreshExemptions().catch((err: unknown) => logger.error({ err }, 'exemption refresh failed')); },
      policyEditor, metrics: registry, ...(existsSync(join(UI_DIR, 'index.html')) ? { staticDir: UI_DIR } : {}),
      secureCookies: settings.web.secureCookies, trustProxy: settings.web.trustProxy, sessionHours: settings.web.sessionHours, logger,
    });
    try {
      await app.listen({ host: settings.web.listen.host, port: settings.web.listen.port });
    } catch (err) {
      write(io.stderr, `rambu: cannot start the web console on ${settings.web.listen.host}:${settings.web.listen.port}: ${(err as Error).message}`);
      await stopDns();
      await store.close();
      return EXIT.FAILURE;
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : settings.web.listen.port;
    const host = settings.web.listen.host.includes(':') ? `[${settings.web.listen.host}]` : settings.web.listen.host;
    write(io.stdout, `rambu: console: http://${host}:${port}/`);
    if (admin !== null) write(io.stdout, `rambu: first run: created user "${admin.username}" with password ${admin.password}\n       (shown once; change it in the console under Pengguna)`);
  }

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
      watcher?.close();
      Promise.allSettled([stopDns(), app?.close()])
        .then(() => store.close())
        .then(() => done(EXIT.OK), (err: unknown) => { logger.error({ err }, 'shutdown failed'); done(EXIT.FAILURE); });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
