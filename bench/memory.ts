/**
 * bench:memory: where `rambu serve`'s resident memory goes. Starts rambu as shipped (console, query
 * log, answer index, flow collector listening; `--max-semi-space-size=2`, `MALLOC_ARENA_MAX=2`) with
 * bench:dns's blocklist and fake upstream, with `memory-probe.js` loaded into every thread, and
 * prints at each step (started, after one pass over the query file, after the timed load, after
 * reloads) the process's RSS split by /proc/PID/smaps_rollup, glibc's malloc figures, and each
 * thread's V8 heap (used and committed), external memory and array buffers.
 *
 *   npm run bench:memory -- [--domains N] [--seconds N] [--reloads N] [--base-port N] [--snapshot]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareDataSet } from './dns/data-set.js';
import { runDnsperf, type DnsperfLoad } from './dns/dnsperf.js';
import { waitForFirstAnswer, type Endpoint } from './dns/probe.js';
import { startProcess, stopProcess, trapSignals, treeMemory, type ManagedProcess } from './dns/process-group.js';
import { ensureTools } from './dns/tools.js';
import { prepareTarget } from './dns/targets.js';
import type { ProbeFile, ThreadFigures } from './memory-probe.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK_DIR = join(REPO_ROOT, 'bench', 'work');
const HOST = '127.0.0.1';
const MB = 2 ** 20;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const mb = (bytes: number): string => (bytes / MB).toFixed(1);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** /proc/PID/smaps_rollup in bytes by field. */
function smapsRollup(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * 1024;
  }
  return out;
}

/** The kernel's names of the process's threads, counted. */
function threadNames(pid: number): string {
  const counts = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      counts.set(name, (counts.get(name) ?? 0) + 1);
    } catch { /* ended */ }
  }
  return [...counts].map(([n, c]) => (c > 1 ? `${n} x${c}` : n)).join(', ');
}

function readProbes(dir: string): ProbeFile[] {
  const files: ProbeFile[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    try {
      files.push(JSON.parse(readFileSync(join(dir, name), 'utf8')) as ProbeFile);
    } catch { /* being replaced */ }
  }
  return files.sort((a, b) => a.threadId - b.threadId);
}

function report(step: string, pid: number, probeDir: string): void {
  const rss = treeMemory(pid).rssBytes;
  const smaps = smapsRollup(pid);
  const probes = readProbes(probeDir);
  const main = probes.find((p) => p.threadId === 0);
  log(`\n${step}: RSS ${mb(rss)} MB (anonymous ${mb(smaps['Anonymous'] ?? 0)}, file ${mb((smaps['Rss'] ?? 0) - (smaps['Anonymous'] ?? 0))}, swap ${mb(smaps['Swap'] ?? 0)})`);
  if (main?.malloc) {
    const m = main.malloc;
    log(`  malloc: heaps ${mb(m.heapBytes)} MB (in use ${mb(m.usedBytes)}, free ${mb(m.freeBytes)}), own mappings ${mb(m.mappedBytes)} MB`);
  }
  log(`  threads: ${threadNames(pid)}`);
  log('  | thread | heap used MB | heap committed MB | physical MB | external MB | of it array buffers MB | peak committed MB | peak external MB |');
  log('  |---|--:|--:|--:|--:|--:|--:|--:|');
  let committed = 0;
  let external = 0;
  for (const p of probes) {
    const worker = main?.workers?.[String(p.threadId)];
    const name = p.threadId === 0 ? 'main' : `${worker?.file ?? '?'} (${p.threadId}${worker?.limits ? `, ${JSON.stringify(worker.limits)}` : ''})`;
    const f: ThreadFigures = p.now;
    const ended = p.ended ? ' (ended)' : '';
    if (!p.ended) { committed += f.physical; external += f.external; }
    log(`  | ${name}${ended} | ${mb(f.heapUsed)} | ${mb(f.heapTotal)} | ${mb(f.physical)} | ${mb(f.external)} | ${mb(f.arrayBuffers)} | ${mb(p.peak.heapTotal)} | ${mb(p.peak.external)} |`);
  }
  log(`  live threads: V8 heaps ${mb(committed)} MB physical, external ${mb(external)} MB`);
  if (main) {
    const spaces = Object.entries(main.now.spaces).filter(([, v]) => v > MB / 2).map(([k, v]) => `${k} ${mb(v)}`).join(', ');
    log(`  main thread's heap spaces (used MB): ${spaces}`);
  }
}

async function startUpstream(port: number): Promise<ManagedProcess> {
  const script = fileURLToPath(new URL('./dns/fake-upstream.js', import.meta.url));
  const proc = startProcess('fake-upstream', process.execPath, [script, '--host', HOST, '--port', String(port)], { logPath: join(WORK_DIR, 'memory-upstream.log') });
  await waitForFirstAnswer({ host: HOST, port }, [{ name: 'upstream-check.example.com', qtype: 'A', blocked: false }], performance.now(), {
    timeoutMs: 10_000, abort: () => (proc.hasExited() ? `the fake upstream exited; see ${proc.logPath}` : null),
  });
  return proc;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      domains: { type: 'string', default: '1000000' }, allowed: { type: 'string', default: '50000' },
      queries: { type: 'string', default: '300000' }, seconds: { type: 'string', default: '10' },
      reloads: { type: 'string', default: '2' }, 'base-port': { type: 'string', default: '5380' },
      snapshot: { type: 'boolean', default: false },
    },
  });
  const domains = Number(values.domains);
  const allowed = Number(values.allowed);
  const basePort = Number(values['base-port']);
  if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('rambu is not built: run `npm run build` first');
  trapSignals();
  const tools = ensureTools(['dnsperf'], log);
  mkdirSync(WORK_DIR, { recursive: true });
  const data = prepareDataSet({ seed: 5, domains, allowed, queries: Number(values.queries), blockedShare: 0.25, aShare: 0.65 }, WORK_DIR, log);
  const dir = join(WORK_DIR, 'memory');
  const probeDir = join(dir, 'probe');
  rmSync(probeDir, { recursive: true, force: true });
  mkdirSync(probeDir, { recursive: true });
  const upstream = await startUpstream(basePort);
  const plan = prepareTarget('rambu', {
    data, dir, host: HOST, port: basePort + 1, upstreamPort: basePort, repoRoot: REPO_ROOT, binaries: {},
    cacheEntries: Math.max(10_000, allowed * 4), rambuWorkers: null, rambuSetup: 'shipped', rateLimit: false,
    webPort: basePort + 10, flowsPort: basePort + 11, profileDir: null, cpus: availableParallelism(),
  });
  const probe = fileURLToPath(new URL('./memory-probe.js', import.meta.url));
  // --snapshot: the main thread writes a heap snapshot into `dir` on SIGUSR2, after the timed load.
  const args = ['--import', probe, ...(values.snapshot ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`] : []), ...plan.args];
  log(`rambu: ${plan.command} ${args.join(' ')}`);
  const proc = startProcess('rambu', plan.command, args, {
    logPath: join(dir, 'rambu.log'), cwd: plan.cwd, env: { ...process.env, ...plan.env, RAMBU_MEMORY_PROBE_DIR: probeDir },
  });
  const endpoint: Endpoint = { host: HOST, port: basePort + 1 };
  try {
    await waitForFirstAnswer(endpoint, data.firstAnswer, performance.now(), { timeoutMs: 180_000, abort: () => (proc.hasExited() ? `rambu exited; see ${proc.logPath}` : null) });
    await sleep(3000);
    report('started, 3 s after the first answer', proc.pid, probeDir);
    const load: DnsperfLoad = { clients: 10, threads: 1, outstanding: 100, seconds: null, timeout: 2 };
    await runDnsperf(tools.dnsperf, endpoint, data.queryFile, load, join(dir, 'dnsperf-warm.log'));
    await sleep(500);
    report('after one pass over the query file', proc.pid, probeDir);
    const timed = await runDnsperf(tools.dnsperf, endpoint, data.queryFile, { ...load, seconds: Number(values.seconds) }, join(dir, 'dnsperf-timed.log'));
    await sleep(500);
    report(`after ${values.seconds} s at full speed (${Math.round(timed.qps).toLocaleString('en')} q/s)`, proc.pid, probeDir);
    if (values.snapshot) {
      process.kill(proc.pid, 'SIGUSR2');
      await sleep(15_000);
      log(`\nheap snapshot of the main thread written to ${dir}`);
    }
    const reloads = Number(values.reloads);
    if (reloads > 0 && plan.markReload !== undefined) {
      for (let i = 1; i <= reloads; i++) {
        plan.markReload(`reload-${i}.memory.example`);
        process.kill(proc.pid, 'SIGHUP');
        await runDnsperf(tools.dnsperf, endpoint, data.queryFile, { ...load, seconds: 3, maxQps: 5000 }, join(dir, `dnsperf-reload-${i}.log`));
      }
      // The last reload may still be compiling: wait until every load thread has ended.
      const loading = (): boolean => Object.values(readProbes(probeDir).find((p) => p.threadId === 0)?.workers ?? {}).some((w) => w.file.startsWith('load-thread') && !w.ended);
      for (let waited = 0; loading() && waited < 60_000; waited += 500) await sleep(500);
      await sleep(2000);
      report(`after ${reloads} reloads under 5,000 q/s, 2 s after the last ended`, proc.pid, probeDir);
    }
    log(`\nRSS peak (VmHWM) ${mb(treeMemory(proc.pid).peakRssBytes)} MB`);
  } finally {
    await stopProcess(proc);
    await stopProcess(upstream);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:memory: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
