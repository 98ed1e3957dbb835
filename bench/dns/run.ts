/**
 * `npm run bench:dns`: rambu against unbound and dnsmasq on the same 1,000,000-domain blocklist,
 * the same fake upstream and the same dnsperf load, all on loopback, one target at a time.
 * Every process it starts is stopped at the end, on failure and on Ctrl-C.
 */
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareDataSet } from './data-set.js';
import type { DnsperfLoad } from './dnsperf.js';
import { measureTarget } from './measure-target.js';
import type { ManyClientsLoad } from './many-clients.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { waitForFirstAnswer } from './probe.js';
import { startProcess, stopProcess, trapSignals, type ManagedProcess } from './process-group.js';
import { formatSittingTables, formatTable, formatVerdicts, machineInfo, summarize, summarizeAll, writeReport, type Report, type TargetFailure, type TargetRun } from './report.js';
import { TARGET_NAMES, targetLabel, type TargetName } from './targets.js';
import { ensureTools, toolVersion, type ToolName } from './tools.js';

/** The repository root: this file runs as dist/bench/dns/run.js. */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WORK_DIR = join(REPO_ROOT, 'bench', 'work');
const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
const HOST = '127.0.0.1';

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Resolves when nothing listens on UDP `port`; rejects with the port otherwise. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', () => reject(new Error(`UDP ${HOST}:${port} is in use (a system resolver, or a previous run?): pick other ports with --base-port`)));
    socket.bind(port, HOST, () => socket.close(() => resolve()));
  });
}

async function startUpstream(port: number): Promise<ManagedProcess> {
  await assertPortFree(port);
  const script = fileURLToPath(new URL('./fake-upstream.js', import.meta.url));
  const startedAt = performance.now();
  const proc = startProcess('fake-upstream', process.execPath, [script, '--host', HOST, '--port', String(port)], {
    logPath: join(WORK_DIR, 'fake-upstream.log'),
  });
  const probe = [{ name: 'upstream-check.example.com', qtype: 'A' as const, blocked: false }];
  await waitForFirstAnswer({ host: HOST, port }, probe, startedAt, {
    timeoutMs: 10_000,
    abort: () => (proc.hasExited() ? `the fake upstream exited; see ${proc.logPath}` : null),
  });
  return proc;
}

function peerVersions(paths: Partial<Record<ToolName, string>>): Record<string, string> {
  const versions: Record<string, string> = {};
  if (paths.dnsperf) versions['dnsperf'] = toolVersion(paths.dnsperf, ['-h']);
  if (paths.unbound) versions['unbound'] = toolVersion(paths.unbound, ['-V']);
  if (paths.dnsmasq) versions['dnsmasq'] = toolVersion(paths.dnsmasq, ['--version']);
  return versions;
}

async function bench(options: BenchOptions): Promise<number> {
  const peers = options.targets.filter((t): t is Exclude<TargetName, 'rambu'> => t !== 'rambu');
  const tools = ensureTools(['dnsperf', ...peers], log);
  if (options.targets.includes('rambu') && !existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'))) {
    throw new Error('rambu is not built: run `npm run build` first');
  }
  mkdirSync(WORK_DIR, { recursive: true });
  const data = prepareDataSet({
    seed: options.seed, domains: options.domains, allowed: options.allowed, queries: options.queries,
    blockedShare: options.blockedShare, aShare: 0.65,
  }, WORK_DIR, log);

  const versions = peerVersions(tools);
  versions['rambu'] = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const machine = machineInfo(REPO_ROOT, versions);
  const cpus = availableParallelism();
  const load: DnsperfLoad = {
    clients: options.clients, threads: options.threads, outstanding: options.outstanding,
    seconds: options.seconds, timeout: 2,
  };
  const deepLoad: DnsperfLoad = { ...load, clients: options.deepClients, outstanding: options.deepOutstanding };
  const manyClients: ManyClientsLoad = {
    clients: options.manyClients, queriesPerClient: options.queriesPerClient, outstanding: options.manyOutstanding, timeout: 2,
  };
  const profileDir = options.profile ? join(WORK_DIR, 'profiles') : null;
  if (profileDir !== null) mkdirSync(profileDir, { recursive: true });

  log(`upstream: fake DNS server on ${HOST}:${options.basePort}`);
  const upstream = await startUpstream(options.basePort);
  const runs: TargetRun[] = [];
  const failures: TargetFailure[] = [];
  const sittingStarts: string[] = [];
  const benchStart = performance.now();
  let sittingsRun = 0;
  let cutShort: string | null = null;
  try {
    // A sitting is every shape over every target; --sittings repeats it whole.
    for (let sitting = 1; sitting <= options.sittings; sitting++) {
      const elapsedMinutes = (performance.now() - benchStart) / 60_000;
      if (options.timeLimitMinutes !== null && sitting > 1 && elapsedMinutes * sitting / (sitting - 1) > options.timeLimitMinutes) {
        cutShort = `${sittingsRun} of ${options.sittings} sittings run: another would end after about ${(elapsedMinutes * sitting / (sitting - 1)).toFixed(0)} minutes, past the limit of ${options.timeLimitMinutes}`;
        log(cutShort);
        break;
      }
      sittingsRun = sitting;
      sittingStarts.push(`${new Date().toISOString()} (load average ${loadavg().map((l) => l.toFixed(2)).join(', ')})`);
      if (options.sittings > 1) log(`sitting ${sitting} of ${options.sittings}`);
      // Each shape over every target in turn, so that a shape's rows come from the same stretch of time.
      for (const shape of options.shapes) for (let run = 1; run <= options.runs; run++) {
        // rambu once per setup asked for, each a row of its own; the peers once.
        const setups = shape === 'default' ? options.rambuSetups : options.otherShapeSetups;
        const jobs = options.targets.flatMap((target) => (target === 'rambu' ? setups : ['shipped' as const]).map((setup) => ({ target, setup })));
        const many = shape === 'many-clients';
        // The fixed-rate latency run and the reloads go with the default shape only.
        const withDefault = shape === 'default';
        for (const { target, setup } of jobs) {
          const label = targetLabel(target, setup);
          log(`${label}, shape ${shape} (${options.sittings > 1 ? `sitting ${sitting} of ${options.sittings}, ` : ''}run ${run} of ${options.runs})`);
          const port = options.basePort + 1 + TARGET_NAMES.indexOf(target);
          try {
            await assertPortFree(port);
            runs.push(await measureTarget(target, {
              data, dnsperf: tools.dnsperf, load: shape === 'deep-queue' ? deepLoad : load, shape, sitting, manyClients, version: versions[target] ?? 'unknown', upstreamPid: upstream.pid,
              latencyLoad: withDefault && options.latencyRate > 0 ? { ...load, seconds: options.latencySeconds, maxQps: options.latencyRate } : null,
              // Reloads once per run, with the first setup asked for.
              reloads: withDefault && options.reloads > 0 && setup === options.rambuSetups[0] ? { count: options.reloads, load: { ...load, seconds: options.reloadSeconds, maxQps: options.reloadRate } } : null,
              flowFeed: target === 'rambu' && setup === 'flows' ? { rate: options.flowRate, format: options.flowFormat } : null,
              startTimeoutMs: 180_000, log, idleBusyMax: 0.15, idleWaitSeconds: options.idleWaitSeconds,
              ctx: {
                data, dir: join(WORK_DIR, target), host: HOST, port, upstreamPort: options.basePort, repoRoot: REPO_ROOT,
                binaries: { ...(tools.unbound ? { unbound: tools.unbound } : {}), ...(tools.dnsmasq ? { dnsmasq: tools.dnsmasq } : {}) },
                cacheEntries: Math.max(10_000, options.allowed * 4), rambuWorkers: options.rambuWorkers, profileDir, cpus,
                rambuSetup: setup, rateLimit: many, webPort: options.basePort + 10, flowsPort: options.basePort + 11,
              },
            }));
          } catch (err) {
            const error = err instanceof Error ? err.message : String(err);
            log(`  ${label}: FAILED: ${error}`);
            failures.push({ target: options.shapes.length > 1 ? `${label}, shape ${shape}` : label, run, ...(options.sittings > 1 ? { sitting } : {}), error });
          }
        }
      }
    }
  } finally {
    await stopProcess(upstream);
  }

  const report: Report = {
    machine,
    settings: {
      domains: options.domains, allowed: options.allowed, queries: options.queries, blockedShare: options.blockedShare,
      seed: options.seed, runs: options.runs, quick: options.quick, final: options.final, sittings: sittingsRun, sittingsAsked: options.sittings, sittingStarts,
      cutShort, minutes: Number(((performance.now() - benchStart) / 60_000).toFixed(1)),
      latencyRate: options.latencyRate,
      latencyArgs: options.latencyRate > 0 ? `-Q ${options.latencyRate} -l ${options.latencySeconds}` : null,
      rambuSetups: options.rambuSetups.join(', '),
      otherShapeSetups: options.otherShapeSetups.join(', '),
      deepArgs: options.shapes.includes('deep-queue') ? `-c ${deepLoad.clients} -T ${deepLoad.threads} -q ${deepLoad.outstanding} -l ${deepLoad.seconds} -t ${deepLoad.timeout}` : null,
      flowArgs: [...options.rambuSetups, ...options.otherShapeSetups].includes('flows') ? `bench/flows/sender.js sends ${options.flowRate.toLocaleString('en')} ${options.flowFormat === 'ipfix' ? 'IPFIX' : `NetFlow ${options.flowFormat}`} records/s to its collector port from a process of its own` : null,
      reloadArgs: options.reloads > 0 ? `-Q ${options.reloadRate} -l ${options.reloadSeconds}, ${options.reloads} reloads` : null,
      shapes: options.shapes.join(', '),
      manyClientsArgs: options.shapes.includes('many-clients') ? `${manyClients.clients} source addresses (127.1.0.1 onwards), ${manyClients.queriesPerClient} queries each, ${manyClients.outstanding} in flight, timeout ${manyClients.timeout} s` : null,
      dnsperfArgs: `-c ${load.clients} -T ${load.threads} -q ${load.outstanding} -l ${load.seconds} -t ${load.timeout}`,
    },
    rows: summarize(runs),
    ...summarizeAll(runs, Math.max(1, sittingsRun)),
    runs,
    failures,
  };
  log('');
  if (sittingsRun > 1) {
    const shapeArgs: Record<string, string> = { 'default': String(report.settings['dnsperfArgs']), ...(report.settings['deepArgs'] ? { 'deep-queue': String(report.settings['deepArgs']) } : {}) };
    log(formatSittingTables(report.sittingRows, options.latencyRate, shapeArgs));
  } else {
    log(formatTable(report.rows, options.latencyRate));
  }
  if (report.verdicts.length > 0) log(`\n${formatVerdicts(report.verdicts)}`);
  for (const f of failures) log(`not measured: ${f.target} (run ${f.run}): ${f.error}`);
  if (options.write) {
    for (const path of writeReport(report, RESULTS_DIR, options.quick ? '-quick' : options.final ? '-final' : '')) log(`wrote ${path}`);
  }
  return failures.length > 0 ? 2 : 0;
}

async function main(): Promise<void> {
  trapSignals();
  let options: BenchOptions | null;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench:dns: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exitCode = 1;
    return;
  }
  if (options === null) {
    process.stdout.write(USAGE);
    return;
  }
  try {
    process.exitCode = await bench(options);
  } catch (err) {
    process.stderr.write(`bench:dns: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}

await main();
