/**
 * One measured run of one target: start it, time its first correct answer, check that blocked
 * names get NXDOMAIN and allowed names resolve, warm its cache with a pass over the query file,
 * put it under timed load, read its memory, check it again, and stop it whatever happens.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLOCK_TICKS, cpuTimes, reapedChildrenCpuSeconds, waitForIdle } from './machine-load.js';
import type { DataSet } from './data-set.js';
import { startFlowFeed, type FlowFeed, type FlowFeedResult } from './flow-feed.js';
import { runDnsperf, type DnsperfLoad, type DnsperfResult } from './dnsperf.js';
import { checkAllPatiently, waitForFirstAnswer, type Endpoint } from './probe.js';
import { startProcess, stopProcess, treeCpuSeconds, treeMemory, type ManagedProcess } from './process-group.js';
import type { TargetRun } from './report.js';
import { runManyClients, type ManyClientsLoad } from './many-clients.js';
import type { FlowFormat, Shape } from './options.js';
import { measureReloads, type ReloadRun } from './reload-run.js';
import { prepareTarget, targetLabel, type LaunchPlan, type TargetContext, type TargetName } from './targets.js';

export interface MeasureOptions {
  data: DataSet;
  ctx: TargetContext;
  dnsperf: string;
  load: DnsperfLoad;
  /** The shape timed: `default` and `deep-queue` time `load`, `many-clients` times `manyClients`. */
  shape: Shape;
  /** The sitting this run belongs to, from 1. */
  sitting: number;
  /** A replayed export into rambu's flow collector during the timed and fixed-rate runs; null for none. */
  flowFeed: { rate: number; format: FlowFormat } | null;
  manyClients: ManyClientsLoad;
  version: string;
  upstreamPid: number;
  /** A run at a fixed rate that every target sustains, for latency without queueing; null skips it. */
  latencyLoad: DnsperfLoad | null;
  /** Reloads under a steady load (targets that can reload: rambu); null skips them. */
  reloads: { count: number; load: DnsperfLoad } | null;
  /** How long the target may take to give its first correct answer. */
  startTimeoutMs: number;
  log: (line: string) => void;
  /** Before timing, wait for the CPUs to be at most this busy (0..1)... */
  idleBusyMax: number;
  /** ...for at most this long. */
  idleWaitSeconds: number;
}

/** Warm-up passes stop once a pass loses at most this share of its queries. */
const WARM_LOSS_OK = 0.001;
const WARM_PASSES_MAX = 3;

function exitedMessage(name: string, proc: ManagedProcess): string | null {
  return proc.hasExited() ? `${name} exited before answering; see ${proc.logPath}` : null;
}

async function warmUp(name: TargetName, endpoint: Endpoint, o: MeasureOptions): Promise<DnsperfResult[]> {
  const passes: DnsperfResult[] = [];
  // The first pass sends every allowed name to the upstream; fewer in flight keeps forwarders from
  // dropping queries for lack of slots, which would leave names uncached.
  const load: DnsperfLoad = { ...o.load, outstanding: Math.min(o.load.outstanding, 100), seconds: null };
  for (let pass = 1; pass <= WARM_PASSES_MAX; pass++) {
    const result = await runDnsperf(o.dnsperf, endpoint, o.data.queryFile, load, join(o.ctx.dir, `dnsperf-warm-${pass}.log`));
    passes.push(result);
    o.log(`  ${name}: warm-up pass ${pass}: ${Math.round(result.qps).toLocaleString('en')} q/s, ${result.lost} lost`);
    if (result.lost <= result.sent * WARM_LOSS_OK) break;
  }
  return passes;
}

/** Measures `name` once. Throws with a clear message when it cannot start or answers wrongly. */
export async function measureTarget(name: TargetName, o: MeasureOptions): Promise<TargetRun> {
  const plan = prepareTarget(name, o.ctx);
  const run = await measureStarted(name, plan, o);
  if (plan.loggedQueries !== undefined) {
    const answered = [...run.warmup, run.timed, ...(run.fixedRate === null ? [] : [run.fixedRate]), ...(run.reloads === null ? [] : [run.reloads.baseline, run.reloads.load])].reduce((sum, r) => sum + r.completed, 0);
    run.logged = { rows: plan.loggedQueries(), answered };
    o.log(`  ${name}: query log holds ${run.logged.rows.toLocaleString('en')} rows for ${answered.toLocaleString('en')} queries answered to dnsperf`);
  }
  return run;
}

/** Starts the flow feed when the run asks for one, into the target's flow collector. */
async function feedFlows(plan: LaunchPlan, o: MeasureOptions, part: string, feeds: FlowFeed[]): Promise<FlowFeed | null> {
  if (o.flowFeed === null) return null;
  if (plan.metricsUrl === undefined) throw new Error('a flow feed needs rambu\'s console for /metrics');
  const logPath = join(o.ctx.dir, `flow-sender-${part}.log`);
  writeFileSync(logPath, '');
  const feed = await startFlowFeed({ port: o.ctx.flowsPort, metricsUrl: plan.metricsUrl, format: o.flowFeed.format, rate: o.flowFeed.rate, repoRoot: o.ctx.repoRoot, logPath });
  feeds.push(feed);
  return feed;
}

function flowLine(f: FlowFeedResult): string {
  return `flows: ${f.sent.toLocaleString('en')} records sent in ${f.seconds.toFixed(1)} s, ${f.received.toLocaleString('en')} received (${Math.round(f.received / Math.max(0.001, f.seconds)).toLocaleString('en')}/s), ${f.socketDrops} datagrams dropped by the kernel, sender CPU ${f.senderCpuSeconds.toFixed(1)} s`;
}

async function measureStarted(name: TargetName, plan: LaunchPlan, o: MeasureOptions): Promise<TargetRun> {
  const endpoint: Endpoint = { host: o.ctx.host, port: o.ctx.port };
  const logPath = join(o.ctx.dir, `${name}.log`);
  o.log(`  ${name}: starting ${[plan.command, ...plan.args].join(' ')}`);
  appendFileSync(logPath, `# bench:dns ${new Date().toISOString()}: ${[plan.command, ...plan.args].join(' ')}\n`);
  const startedAt = performance.now();
  const proc = startProcess(name, plan.command, plan.args, { logPath, cwd: plan.cwd, ...(plan.env === undefined ? {} : { env: { ...process.env, ...plan.env } }) });
  const feeds: FlowFeed[] = [];
  try {
    const firstMs = await waitForFirstAnswer(endpoint, o.data.firstAnswer, startedAt, {
      timeoutMs: o.startTimeoutMs,
      abort: () => exitedMessage(name, proc),
    });
    o.log(`  ${name}: first correct answer after ${(firstMs / 1000).toFixed(2)} s`);

    const failures = await checkAllPatiently(endpoint, o.data.correctness);
    if (failures.length > 0) {
      throw new Error(`wrong answers, not timed: ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? ` (and ${failures.length - 5} more)` : ''}`);
    }

    const warmup = await warmUp(name, endpoint, o);
    const warmMemory = treeMemory(proc.pid);
    const idle = await waitForIdle(o.idleBusyMax, o.idleWaitSeconds);
    if (idle.busy > o.idleBusyMax) o.log(`  ${name}: the machine is still ${(idle.busy * 100).toFixed(0)} % busy after ${idle.waitedSeconds.toFixed(0)} s; timing anyway`);
    const feed = await feedFlows(plan, o, 'timed', feeds);
    const cpuBefore = treeCpuSeconds(proc.pid);
    const upstreamBefore = treeCpuSeconds(o.upstreamPid);
    const dnsperfBefore = reapedChildrenCpuSeconds();
    const machineBefore = cpuTimes();
    const selfBefore = process.cpuUsage();
    const timedFrom = (performance.now() - startedAt) / 1000;
    let timed: DnsperfResult;
    let percentiles = '';
    if (o.shape === 'many-clients') {
      const many = await runManyClients(endpoint, o.data.queryFile, o.manyClients);
      percentiles = ` (p50 ${many.p50LatencyMs.toFixed(3)}, p99 ${many.p99LatencyMs.toFixed(3)}, max ${many.maxLatencyMs.toFixed(1)}) from ${many.clients} source addresses`;
      timed = many;
    } else {
      timed = await runDnsperf(o.dnsperf, endpoint, o.data.queryFile, o.load, join(o.ctx.dir, 'dnsperf-timed.log'));
    }
    const cpuSeconds = treeCpuSeconds(proc.pid) - cpuBefore;
    const upstreamCpuSeconds = treeCpuSeconds(o.upstreamPid) - upstreamBefore;
    const dnsperfCpuSeconds = reapedChildrenCpuSeconds() - dnsperfBefore;
    const machineAfter = cpuTimes();
    const feedCpuSeconds = feed?.cpuSeconds() ?? 0;
    const timedTo = (performance.now() - startedAt) / 1000;
    o.log(`  ${name}: timed run from ${timedFrom.toFixed(1)} s to ${timedTo.toFixed(1)} s after start (for profile-summary --from/--to)`);
    const self = process.cpuUsage(selfBefore);
    const ours = cpuSeconds + upstreamCpuSeconds + dnsperfCpuSeconds + feedCpuSeconds + (self.user + self.system) / 1e6;
    const machineBusySeconds = (machineAfter.busy - machineBefore.busy) / CLOCK_TICKS;
    const machineTotalSeconds = (machineAfter.total - machineBefore.total) / CLOCK_TICKS;
    const otherShare = machineTotalSeconds > 0 ? Math.max(0, machineBusySeconds - ours) / machineTotalSeconds : 0;
    const memory = treeMemory(proc.pid);
    const timedFlows = feed === null ? null : await feed.stop();
    if (timedFlows !== null) o.log(`  ${targetLabel(name, o.ctx.rambuSetup)}: ${flowLine(timedFlows)}`);
    const completed = Math.max(1, timed.completed);
    const nxdomainShare = (timed.rcodes['NXDOMAIN'] ?? 0) / completed;
    o.log(`  ${name}: ${o.shape}: ${Math.round(timed.qps).toLocaleString('en')} q/s, avg ${timed.avgLatencyMs.toFixed(3)} ms${percentiles}, ${timed.lost} lost, RSS ${(memory.rssBytes / 2 ** 20).toFixed(0)} MB (${(warmMemory.rssBytes / 2 ** 20).toFixed(0)} MB after warm-up), CPU ${cpuSeconds.toFixed(1)} s (${o.shape === 'many-clients' ? `generator ${((self.user + self.system) / 1e6).toFixed(1)} s` : `dnsperf ${dnsperfCpuSeconds.toFixed(1)} s`}, upstream ${upstreamCpuSeconds.toFixed(1)} s), other load ${(idle.busy * 100).toFixed(0)} % before, ${(otherShare * 100).toFixed(0)} % during`);

    let fixedRate: DnsperfResult | null = null;
    let fixedRateFlows: FlowFeedResult | null = null;
    if (o.latencyLoad !== null) {
      const latencyFeed = await feedFlows(plan, o, 'latency', feeds);
      fixedRate = await runDnsperf(o.dnsperf, endpoint, o.data.queryFile, o.latencyLoad, join(o.ctx.dir, 'dnsperf-latency.log'));
      fixedRateFlows = latencyFeed === null ? null : await latencyFeed.stop();
      if (fixedRateFlows !== null) o.log(`  ${targetLabel(name, o.ctx.rambuSetup)}: at ${o.latencyLoad.maxQps} q/s, ${flowLine(fixedRateFlows)}`);
      o.log(`  ${name}: at ${o.latencyLoad.maxQps} q/s: avg ${fixedRate.avgLatencyMs.toFixed(3)} ms (stddev ${fixedRate.stddevLatencyMs.toFixed(3)}, max ${fixedRate.maxLatencyMs.toFixed(1)}), ${fixedRate.lost} lost`);
    }

    let reloads: ReloadRun | null = null;
    if (o.reloads !== null && plan.markReload !== undefined) {
      reloads = await measureReloads({
        dnsperf: o.dnsperf, endpoint, queryFile: o.data.queryFile, load: o.reloads.load, reloads: o.reloads.count,
        dir: o.ctx.dir, pid: proc.pid, markReload: plan.markReload, log: o.log,
      });
      reloads.rssAfterBytes = treeMemory(proc.pid).rssBytes;
      const r = reloads.load;
      const took = reloads.reloadSeconds;
      const b = reloads.baseline;
      o.log(`  ${name}: at ${o.reloads.load.maxQps} q/s without reloads: slowest answer ${b.maxLatencyMs.toFixed(1)} ms, avg ${b.avgLatencyMs.toFixed(3)} ms (stddev ${b.stddevLatencyMs.toFixed(3)}), ${b.lost} lost`);
      o.log(`  ${name}: ${took.length} of ${reloads.asked} reloads in force (each ${took.length === 0 ? '-' : `${Math.min(...took).toFixed(2)} to ${Math.max(...took).toFixed(2)} s`}) under ${o.reloads.load.maxQps} q/s: slowest answer ${r.maxLatencyMs.toFixed(1)} ms, avg ${r.avgLatencyMs.toFixed(3)} ms (stddev ${r.stddevLatencyMs.toFixed(3)}), ${r.lost} lost, RSS ${(reloads.rssAfterBytes / 2 ** 20).toFixed(0)} MB after`);
    }

    const after = await checkAllPatiently(endpoint, o.data.correctness);
    if (after.length > 0) throw new Error(`wrong answers after the load: ${after.slice(0, 5).join('; ')}`);
    const expectedShare = o.data.blockedQueries / o.data.spec.queries;
    if (Math.abs(nxdomainShare - expectedShare) > 0.02) {
      throw new Error(`NXDOMAIN share under load was ${(nxdomainShare * 100).toFixed(1)} %, expected ${(expectedShare * 100).toFixed(1)} % (response codes ${JSON.stringify(timed.rcodes)})`);
    }
    return {
      target: targetLabel(name, o.ctx.rambuSetup), shape: o.shape, sitting: o.sitting, version: o.version, config: plan.config,
      flows: timedFlows === null ? null : { timed: timedFlows, fixedRate: fixedRateFlows },
      firstAnswerSeconds: firstMs / 1000, warmup, timed, fixedRate, reloads,
      rssBytes: memory.rssBytes, peakRssBytes: memory.peakRssBytes, rssAfterWarmupBytes: warmMemory.rssBytes,
      timedWindow: { from: timedFrom, to: timedTo },
      cpuSeconds, upstreamCpuSeconds, dnsperfCpuSeconds, nxdomainShare, busyBefore: idle.busy, otherDuring: otherShare, logged: null,
    };
  } finally {
    await Promise.all(feeds.map((f) => f.cancel()));
    await stopProcess(proc);
  }
}
