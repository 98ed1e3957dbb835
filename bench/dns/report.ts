/**
 * The benchmark's output: machine facts, one row per target (the median over runs), ratios against
 * unbound, printed as a Markdown table and written with the raw runs to bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { DnsperfResult } from './dnsperf.js';
import type { FlowFeedResult } from './flow-feed.js';
import type { ManyClientsResult } from './many-clients.js';
import type { Shape } from './options.js';
import type { ReloadRun } from './reload-run.js';
import { costOf, formatSpread, formatVerdict, summarizeSittings, verdicts, type Sample, type SpreadRow, type Verdict } from './sittings.js';

export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  rambuCommit: string;
  /** When dist/src/cli/main.js was last built: the code measured, if src/ changed since the commit. */
  rambuBuilt: string;
  versions: Record<string, string>;
}

/** One measured run of one target. */
export interface TargetRun {
  /** The target, with rambu's setup when it is not the shipped one (`targetLabel`). */
  target: string;
  /** The load shape timed (`timed` is dnsperf's run, or the many-clients generator's). */
  shape: Shape;
  /** The sitting it belongs to, from 1. */
  sitting: number;
  /** What rambu's flow collector received from the replayed export meanwhile (the flows setup). */
  flows: { timed: FlowFeedResult; fixedRate: FlowFeedResult | null } | null;
  version: string;
  config: string;
  firstAnswerSeconds: number;
  warmup: DnsperfResult[];
  timed: DnsperfResult | ManyClientsResult;
  /** The fixed-rate latency run, when there was one. */
  fixedRate: DnsperfResult | null;
  /** Reloads under a steady load, when measured (rambu only). */
  reloads: ReloadRun | null;
  /** Resident memory of the target's process tree after the timed run. */
  rssBytes: number;
  /** Resident memory after the warm-up, before the timed run. */
  rssAfterWarmupBytes: number;
  /** Sum of VmHWM over the tree: the peak, for the JSON only. */
  peakRssBytes: number;
  /** When the timed run began and ended, in seconds after the target was started. */
  timedWindow: { from: number; to: number };
  /**
   * Rows in rambu's query log after it stopped, against the queries dnsperf got answers to (warm-up,
   * timed and fixed-rate runs); the log also holds the probes' few hundred queries. Null for peers.
   */
  logged: { rows: number; answered: number } | null;
  /** CPU seconds the target and the fake upstream used during the timed run. */
  cpuSeconds: number;
  upstreamCpuSeconds: number;
  dnsperfCpuSeconds: number;
  /** Share of the CPUs busy (with other work) just before the timed run, 0..1. */
  busyBefore: number;
  /** Share of the CPUs used by processes other than the benchmark's during the timed run, 0..1. */
  otherDuring: number;
  /** Share of timed answers that were NXDOMAIN, against the share of blocked queries in the file. */
  nxdomainShare: number;
}

export interface TargetFailure { target: string; run: number; sitting?: number; error: string }

/** The row of the table: medians over the runs of one target. */
export interface Row {
  target: string;
  shape: Shape;
  runs: number;
  qps: number;
  avgLatencyMs: number;
  /** Average latency at the fixed rate; null when not measured. */
  fixedRateLatencyMs: number | null;
  lost: number;
  rssMB: number;
  firstAnswerSeconds: number;
  nxdomainShare: number;
  otherDuring: number;
  /** Latency percentiles and the slowest answer of the timed run, when the generator measured them. */
  p50LatencyMs: number | null;
  p99LatencyMs: number | null;
  maxLatencyMs: number;
}

function gitCommit(repoRoot: string): string {
  const head = spawnSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', repoRoot, 'status', '--porcelain', '--', 'src', 'bin'], { encoding: 'utf8' });
  const commit = head.status === 0 ? head.stdout.trim() : 'unknown';
  return dirty.stdout?.trim() ? `${commit} (src/ or bin/ modified)` : commit;
}

function builtAt(path: string): string {
  try {
    return statSync(path).mtime.toISOString();
  } catch {
    return 'not built';
  }
}

export function machineInfo(repoRoot: string, versions: Record<string, string>): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    rambuCommit: gitCommit(repoRoot),
    rambuBuilt: builtAt(join(repoRoot, 'dist', 'src', 'cli', 'main.js')),
    versions,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentileOf(run: TargetRun, key: 'p50LatencyMs' | 'p99LatencyMs'): number | null {
  return key in run.timed ? (run.timed as ManyClientsResult)[key] : null;
}

/** One row per shape and target, in the order first measured. */
export function summarize(runs: TargetRun[]): Row[] {
  const keys = [...new Map(runs.map((r) => [`${r.shape}\u0000${r.target}`, { shape: r.shape, target: r.target }])).values()];
  return keys.map(({ shape, target }) => {
    const mine = runs.filter((r) => r.target === target && r.shape === shape);
    const p50 = mine.map((r) => percentileOf(r, 'p50LatencyMs'));
    const p99 = mine.map((r) => percentileOf(r, 'p99LatencyMs'));
    return {
      target,
      shape,
      runs: mine.length,
      qps: median(mine.map((r) => r.timed.qps)),
      avgLatencyMs: median(mine.map((r) => r.timed.avgLatencyMs)),
      fixedRateLatencyMs: mine.every((r) => r.fixedRate !== null) ? median(mine.map((r) => r.fixedRate!.avgLatencyMs)) : null,
      lost: median(mine.map((r) => r.timed.lost)),
      rssMB: median(mine.map((r) => r.rssBytes / 2 ** 20)),
      firstAnswerSeconds: median(mine.map((r) => r.firstAnswerSeconds)),
      nxdomainShare: median(mine.map((r) => r.nxdomainShare)),
      otherDuring: median(mine.map((r) => r.otherDuring)),
      p50LatencyMs: p50.every((v) => v !== null) ? median(p50 as number[]) : null,
      p99LatencyMs: p99.every((v) => v !== null) ? median(p99 as number[]) : null,
      maxLatencyMs: median(mine.map((r) => r.timed.maxLatencyMs)),
    };
  });
}

function ratio(value: number, base: number | undefined): string {
  return base === undefined || base === 0 ? '' : `${(value / base).toFixed(2)}x`;
}

/** The many-clients shape's rows as a Markdown table with ratios against unbound. */
function formatManyClientsTable(rows: Row[]): string {
  const base = rows.find((r) => r.target === 'unbound');
  const lines = [
    '| target | queries/s | vs unbound | avg latency ms | vs unbound | p50 ms | p99 ms | slowest ms | lost | RSS MB | vs unbound | start to first answer s | NXDOMAIN % | other load % |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.target} | ${Math.round(r.qps).toLocaleString('en')} | ${ratio(r.qps, base?.qps)} | ${r.avgLatencyMs.toFixed(3)} | ${ratio(r.avgLatencyMs, base?.avgLatencyMs)} | ${r.p50LatencyMs?.toFixed(3) ?? '-'} | ${r.p99LatencyMs?.toFixed(3) ?? '-'} | ${r.maxLatencyMs.toFixed(1)} | ${Math.round(r.lost)} | ${r.rssMB.toFixed(0)} | ${ratio(r.rssMB, base?.rssMB)} | ${r.firstAnswerSeconds.toFixed(2)} | ${(r.nxdomainShare * 100).toFixed(1)} | ${(r.otherDuring * 100).toFixed(0)} |`);
  }
  return lines.join('\n');
}

/** The results as Markdown tables, one per load shape, with ratios against unbound. */
export function formatTable(rows: Row[], fixedRate: number): string {
  const shapes = [...new Set(rows.map((r) => r.shape))];
  if (shapes.length === 1 && shapes[0] === 'default') return formatShapeTable(rows, fixedRate);
  return shapes.map((shape) => {
    const mine = rows.filter((r) => r.shape === shape);
    return `Shape ${shape}:\n\n${shape === 'many-clients' ? formatManyClientsTable(mine) : formatShapeTable(mine, fixedRate)}`;
  }).join('\n\n');
}

function formatShapeTable(rows: Row[], fixedRate: number): string {
  const base = rows.find((r) => r.target === 'unbound');
  const rateLabel = `${(fixedRate / 1000).toFixed(0)}k`;
  const lines = [
    `| target | queries/s | vs unbound | avg latency ms | vs unbound | avg latency ms at ${rateLabel} q/s | vs unbound | lost | RSS MB | vs unbound | start to first answer s | NXDOMAIN % | other load % |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.target} | ${Math.round(r.qps).toLocaleString('en')} | ${ratio(r.qps, base?.qps)} | ${r.avgLatencyMs.toFixed(3)} | ${ratio(r.avgLatencyMs, base?.avgLatencyMs)} | ${r.fixedRateLatencyMs?.toFixed(3) ?? '-'} | ${r.fixedRateLatencyMs === null ? '' : ratio(r.fixedRateLatencyMs, base?.fixedRateLatencyMs ?? undefined)} | ${Math.round(r.lost)} | ${r.rssMB.toFixed(0)} | ${ratio(r.rssMB, base?.rssMB)} | ${r.firstAnswerSeconds.toFixed(2)} | ${(r.nxdomainShare * 100).toFixed(1)} | ${(r.otherDuring * 100).toFixed(0)} |`);
  }
  return lines.join('\n');
}

export interface Report {
  machine: MachineInfo;
  settings: Record<string, unknown>;
  rows: Row[];
  /** Medians and ranges over the sittings, and the verdicts on them. */
  sittingRows: SpreadRow[];
  verdicts: Verdict[];
  runs: TargetRun[];
  failures: TargetFailure[];
}

/** rambu's rows the issue's targets apply to: as shipped, and as shipped receiving flows. */
export const VERDICT_SUBJECTS = ['rambu', 'rambu, receiving flows'];
export const PEERS = ['unbound', 'dnsmasq'];

/** A run's figures for the sittings arithmetic. */
export function sampleOf(run: TargetRun): Sample {
  const flows = run.flows?.timed ?? null;
  const fixedFlows = run.flows?.fixedRate ?? null;
  return {
    sitting: run.sitting, shape: run.shape, target: run.target,
    values: {
      qps: run.timed.qps,
      avgLatencyMs: run.timed.avgLatencyMs,
      fixedRateLatencyMs: run.fixedRate?.avgLatencyMs ?? null,
      p99LatencyMs: percentileOf(run, 'p99LatencyMs'),
      lost: run.timed.lost,
      rssMB: run.rssBytes / 2 ** 20,
      firstAnswerSeconds: run.firstAnswerSeconds,
      otherDuring: run.otherDuring * 100,
      reloadSlowestMs: run.reloads?.load.maxLatencyMs ?? null,
      flowsPerSecond: flows === null ? null : flows.received / Math.max(0.001, flows.seconds),
      flowsLost: flows === null || flows.sent === 0 ? null : (Math.max(0, flows.sent - flows.received) / flows.sent) * 100,
      flowDrops: flows?.socketDrops ?? null,
      fixedRateFlowsPerSecond: fixedFlows === null ? null : fixedFlows.received / Math.max(0.001, fixedFlows.seconds),
    },
  };
}

/** The sittings' rows and the verdicts on them. */
export function summarizeAll(runs: TargetRun[], sittings: number): { sittingRows: SpreadRow[]; verdicts: Verdict[] } {
  const sittingRows = summarizeSittings(runs.map(sampleOf), sittings);
  return { sittingRows, verdicts: verdicts(sittingRows, VERDICT_SUBJECTS, PEERS) };
}

const SHAPE_TITLES: Record<string, string> = {
  'default': 'default (dnsperf at full speed)',
  'deep-queue': 'deep queue (dnsperf at full speed, deep queue)',
  'many-clients': 'many clients (1,000 source addresses)',
};

function spreadRatio(row: SpreadRow, base: SpreadRow | undefined, metric: 'qps' | 'avgLatencyMs' | 'fixedRateLatencyMs' | 'rssMB'): string {
  const a = row.cells[metric]?.median;
  const b = base?.cells[metric]?.median;
  return a === undefined || b === undefined || b === 0 ? '' : `${(a / b).toFixed(2)}x`;
}

/** One table per shape, each cell the median over the sittings with the range beside it. */
export function formatSittingTables(rows: SpreadRow[], fixedRate: number, dnsperfArgs: Record<string, string>): string {
  const out: string[] = [];
  const shapes = [...new Set(rows.map((r) => r.shape))];
  for (const shape of shapes) {
    const mine = rows.filter((r) => r.shape === shape);
    const base = mine.find((r) => r.target === 'unbound');
    const p99 = mine.some((r) => r.cells.p99LatencyMs !== undefined);
    const flows = mine.some((r) => r.cells.flowsPerSecond !== undefined);
    out.push(`Shape ${SHAPE_TITLES[shape] ?? shape}${dnsperfArgs[shape] ? `, \`${dnsperfArgs[shape]}\`` : ''}:`, '',
      `| target | queries/s | vs unbound | avg latency ms | vs unbound |${p99 ? ' p99 ms |' : ''} lost | RSS MB | vs unbound | start to first answer s |${flows ? ' flow records/s received | flow records lost % | kernel drops |' : ''} other load % |`,
      `|---|---:|---:|---:|---:|${p99 ? '---:|' : ''}---:|---:|---:|---:|${flows ? '---:|---:|---:|' : ''}---:|`);
    for (const r of mine) {
      const c = r.cells;
      out.push(`| ${r.target} | ${formatSpread(c.qps)} | ${spreadRatio(r, base, 'qps')} | ${formatSpread(c.avgLatencyMs, 3)} | ${spreadRatio(r, base, 'avgLatencyMs')} |${p99 ? ` ${formatSpread(c.p99LatencyMs, 3)} |` : ''} ${formatSpread(c.lost)} | ${formatSpread(c.rssMB)} | ${spreadRatio(r, base, 'rssMB')} | ${formatSpread(c.firstAnswerSeconds, 2)} |${flows ? ` ${formatSpread(c.flowsPerSecond)} | ${formatSpread(c.flowsLost, 2)} | ${formatSpread(c.flowDrops)} |` : ''} ${formatSpread(c.otherDuring)} |`);
    }
    out.push('');
    const fixed = mine.filter((r) => r.cells.fixedRateLatencyMs !== undefined);
    if (fixed.length > 0) {
      const fixedBase = fixed.find((r) => r.target === 'unbound');
      const fixedFlows = fixed.some((r) => r.cells.fixedRateFlowsPerSecond !== undefined);
      out.push(`Shape latency (a fixed ${fixedRate.toLocaleString('en')} queries/s, \`-Q ${fixedRate}\`, after the ${shape} shape's timed run on the same start):`, '',
        `| target | avg latency ms | vs unbound |${fixedFlows ? ' flow records/s received |' : ''}`, `|---|---:|---:|${fixedFlows ? '---:|' : ''}`);
      for (const r of fixed) out.push(`| ${r.target} | ${formatSpread(r.cells.fixedRateLatencyMs, 3)} | ${spreadRatio(r, fixedBase, 'fixedRateLatencyMs')} |${fixedFlows ? ` ${formatSpread(r.cells.fixedRateFlowsPerSecond)} |` : ''}`);
      out.push('');
    }
  }
  return out.join('\n');
}

/** The verdicts as a Markdown table. */
export function formatVerdicts(list: Verdict[]): string {
  if (list.length === 0) return '';
  const f = (v: Verdict, x: number): string => `${x.toLocaleString('en', { minimumFractionDigits: v.digits, maximumFractionDigits: v.digits })}`;
  const lines = ['| shape | rambu row | target | measured (median) | against | verdict |', '|---|---|---|---:|---:|---|'];
  for (const v of list) lines.push(`| ${v.shape} | ${v.target} | ${v.goal} | ${f(v, v.value)} ${v.unit} | ${f(v, v.bound)} ${v.unit} | ${formatVerdict(v)} |`);
  return lines.join('\n');
}

/** What the answer index, the collector and receiving flows cost in queries/s, where both rows ran. */
export function featureCosts(rows: SpreadRow[]): string[] {
  const out: string[] = [];
  const pairs: [string, string, string, string][] = [
    ['the answer index', 'rambu', 'rambu, answer index off', ' (target: at most 5 %)'],
    ['the flow collector, listening', 'rambu', 'rambu, collector off', ''],
    ['receiving flows', 'rambu, receiving flows', 'rambu', ''],
  ];
  for (const shape of [...new Set(rows.map((r) => r.shape))]) {
    for (const [what, on, off, target] of pairs) {
      const cost = costOf(rows, shape, on, off);
      if (cost === null) continue;
      const per = cost.perSitting.length > 1 ? ` (by sitting: ${cost.perSitting.map((c) => `${(c * 100).toFixed(1)} %`).join(', ')})` : '';
      out.push(`- ${shape}: ${what} costs ${(cost.median * 100).toFixed(1)} % of rambu's queries/s over the medians${per}${target}.`);
    }
  }
  return out;
}

/** The whole report as Markdown. */
export function formatMarkdown(report: Report): string {
  const m = report.machine;
  const s = report.settings;
  const sittings = Number(s['sittings'] ?? 1);
  const shapeArgs: Record<string, string> = { 'default': String(s['dnsperfArgs']), ...(s['deepArgs'] ? { 'deep-queue': String(s['deepArgs']) } : {}) };
  const out = [
    `# DNS benchmark, ${m.date}`,
    '',
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}; Node.js ${m.node}; rambu ${m.rambuCommit} (built ${m.rambuBuilt}); ` +
      Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ') + '.',
    '',
    `Load: ${Number(s['domains']).toLocaleString('en')} blocked domains, ${Number(s['queries']).toLocaleString('en')} queries in the file ` +
      `(${Number(s['blockedShare']) * 100} % blocked, the rest from ${Number(s['allowed']).toLocaleString('en')} allowed names), ` +
      `dnsperf \`${String(s['dnsperfArgs'])}\`${s['latencyArgs'] ? ` then \`${String(s['latencyArgs'])}\`` : ''}` +
      `${s['manyClientsArgs'] ? `; many-clients shape: ${String(s['manyClientsArgs'])} (rambu's per-client rate limiter on in that shape, at 1,000,000 q/s a client so that none is limited)` : ''}` +
      `${s['deepArgs'] ? `; deep-queue shape: dnsperf \`${String(s['deepArgs'])}\`` : ''}` +
      `, ${String(s['runs'])} run(s) per target${sittings > 1 ? ` in each of ${sittings} sittings (every shape over every target, started afresh, then again), each cell the median over the sittings with the lowest and highest in brackets` : ', medians shown'}. rambu as set up: ${String(s['rambuSetups'] ?? 'lean')}` +
      `${s['otherShapeSetups'] && s['otherShapeSetups'] !== s['rambuSetups'] ? ` (in the other shapes: ${String(s['otherShapeSetups'])})` : ''} ` +
      '(shipped, the row "rambu": console, query log and answer index on, flow collector listening; receiving flows: the same while ' +
      `${s['flowArgs'] ? String(s['flowArgs']) : 'a replayed export sends its collector flow records'} during the timed and fixed-rate runs; ` +
      'answer index off, collector off: shipped without it; lean: query log alone).',
    '',
    sittings > 1 ? formatSittingTables(report.sittingRows, Number(s['latencyRate']), shapeArgs) : formatTable(report.rows, Number(s['latencyRate'])),
    '',
    ...(s['cutShort'] ? [`Cut short: ${String(s['cutShort'])}.`, ''] : []),
    ...(Array.isArray(s['sittingStarts']) && sittings > 1 ? [`Sittings began ${(s['sittingStarts'] as string[]).join('; ')}; the whole took ${String(s['minutes'])} minutes.`, ''] : []),
    'Latency is dnsperf\'s average over the saturating run, where it is mostly queueing (about outstanding / queries/s);',
    'the fixed-rate column is the average at a rate every target sustains, the time to answer itself. Lost are queries',
    'unanswered within dnsperf\'s timeout; RSS is the resident memory of the target\'s whole process tree after the load;',
    'NXDOMAIN % checks that blocking held under load (expected: the blocked share of the query file);',
    'other load % is the share of the machine\'s CPUs that processes outside the benchmark used during the timed run.',
    '',
  ];
  if (report.verdicts.length > 0) {
    out.push(`Verdicts on the issue's targets, over the medians${sittings > 1 ? `, with the sittings in which each held` : ''}:`, '', formatVerdicts(report.verdicts), '');
  }
  const costs = featureCosts(report.sittingRows);
  if (costs.length > 0) out.push('What each part costs in queries/s, the same sitting(s):', '', ...costs, '');
  const flowRuns = report.runs.filter((r) => r.flows !== null);
  if (flowRuns.length > 0) {
    out.push('The replayed export into rambu\'s collector, per run (records from rambu\'s /metrics: rambu_flow_records, rambu_flow_socket_drops):', '',
      '| sitting | shape | part | records sent | s | received | received/s | lost % | kernel drops (datagrams) | sender CPU s |', '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of flowRuns) {
      for (const [part, f] of [['timed', r.flows!.timed], ['fixed rate', r.flows!.fixedRate]] as const) {
        if (f === null) continue;
        out.push(`| ${r.sitting} | ${r.shape} | ${part} | ${f.sent.toLocaleString('en')} | ${f.seconds.toFixed(1)} | ${f.received.toLocaleString('en')} | ${Math.round(f.received / Math.max(0.001, f.seconds)).toLocaleString('en')} | ${f.sent === 0 ? '-' : ((Math.max(0, f.sent - f.received) / f.sent) * 100).toFixed(2)} | ${f.socketDrops} | ${f.senderCpuSeconds.toFixed(1)} |`);
      }
    }
    out.push('');
  }
  // Each target's config as the default shape (the first measured) ran it.
  const configs = new Map<string, string>();
  for (const r of report.runs) if (!configs.has(r.target)) configs.set(r.target, `- ${r.target} ${r.version}: ${r.config}`);
  out.push(...configs.values());
  const logged = report.runs.filter((r) => r.logged !== null);
  const share = (r: TargetRun): number => (100 * r.logged!.rows) / Math.max(1, r.logged!.answered);
  if (logged.length > 6) {
    const shares = logged.map(share);
    out.push(`- rambu's query log, in each of its ${logged.length} runs: ${Math.min(...shares).toFixed(1)} to ${Math.max(...shares).toFixed(1)} % as many rows as queries answered to the load generators (the probes' queries are logged too; every run in the JSON)`);
  }
  for (const r of logged.length > 6 ? [] : logged) {
    const l = r.logged!;
    out.push(`- ${r.target}'s query log${sittings > 1 || r.shape !== 'default' ? ` (sitting ${r.sitting}, ${r.shape})` : ''}: ${l.rows.toLocaleString('en')} rows for ${l.answered.toLocaleString('en')} queries answered to dnsperf (${share(r).toFixed(1)} %)`);
  }
  const reloadRuns = report.runs.filter((r) => r.reloads !== null);
  if (reloadRuns.length > 0) {
    out.push('', `Reloads under a steady load (\`${String(s['reloadArgs'])}\`; each reload a config change and SIGHUP, the whole list compiled again; target: slowest answer under 50 ms):`, '',
      '| target | sitting | run | reloads in force | reload s (min to max) | slowest answer ms | avg latency ms | stddev ms | lost | RSS MB after | without reloads: slowest ms | avg ms | lost |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of reloadRuns) {
      const x = r.reloads!;
      const took = x.reloadSeconds;
      out.push(`| ${r.target} | ${r.sitting} | ${reloadRuns.filter((q) => q.target === r.target && q.sitting === r.sitting).indexOf(r) + 1} | ${took.length} of ${x.asked} | ${took.length === 0 ? '-' : `${Math.min(...took).toFixed(2)} to ${Math.max(...took).toFixed(2)}`} | ${x.load.maxLatencyMs.toFixed(1)} | ${x.load.avgLatencyMs.toFixed(3)} | ${x.load.stddevLatencyMs.toFixed(3)} | ${x.load.lost} | ${(x.rssAfterBytes / 2 ** 20).toFixed(0)} | ${x.baseline.maxLatencyMs.toFixed(1)} | ${x.baseline.avgLatencyMs.toFixed(3)} | ${x.baseline.lost} |`);
    }
  }
  if (report.failures.length > 0) {
    out.push('', 'Not measured:');
    for (const f of report.failures) out.push(`- ${f.target} (${f.sitting === undefined ? '' : `sitting ${f.sitting}, `}run ${f.run}): ${f.error}`);
  }
  return `${out.join('\n')}\n`;
}

/** Writes `dns-<date>.md` and `.json` into `dir` and returns their paths. */
export function writeReport(report: Report, dir: string, suffix: string): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = report.machine.date.slice(0, 16).replace(':', '');
  const base = join(dir, `dns-${stamp}${suffix}`);
  writeFileSync(`${base}.md`, formatMarkdown(report));
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  return [`${base}.md`, `${base}.json`];
}
