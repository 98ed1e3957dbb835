/**
 * The benchmark's output: machine facts, one row per target (the median over runs), ratios against
 * unbound, printed as a Markdown table and written with the raw runs to bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { DnsperfResult } from './dnsperf.js';
import type { ManyClientsResult } from './many-clients.js';
import type { Shape } from './options.js';
import type { ReloadRun } from './reload-run.js';

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

export interface TargetFailure { target: string; run: number; error: string }

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
  runs: TargetRun[];
  failures: TargetFailure[];
}

/** What the answer index costs in queries/s, when rambu ran with it on and off in the sitting. */
function answerIndexCost(allRows: Row[]): string[] {
  const rows = allRows.filter((r) => r.shape === 'default');
  const on = rows.find((r) => r.target === 'rambu');
  const off = rows.find((r) => r.target === 'rambu, answer index off');
  if (on === undefined || off === undefined || off.qps === 0) return [];
  return [`The answer index costs ${((1 - on.qps / off.qps) * 100).toFixed(1)} % of rambu's queries/s in this sitting (${Math.round(on.qps).toLocaleString('en')} with it, ${Math.round(off.qps).toLocaleString('en')} without; target: at most 5 %).`, ''];
}

/** The whole report as Markdown. */
export function formatMarkdown(report: Report): string {
  const m = report.machine;
  const s = report.settings;
  const out = [
    `# DNS benchmark, ${m.date}`,
    '',
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}; Node.js ${m.node}; rambu ${m.rambuCommit} (built ${m.rambuBuilt}); ` +
      Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ') + '.',
    '',
    `Load: ${Number(s['domains']).toLocaleString('en')} blocked domains, ${Number(s['queries']).toLocaleString('en')} queries in the file ` +
      `(${Number(s['blockedShare']) * 100} % blocked, the rest from ${Number(s['allowed']).toLocaleString('en')} allowed names), ` +
      `dnsperf \`${String(s['dnsperfArgs'])}\`${s['latencyArgs'] ? ` then \`${String(s['latencyArgs'])}\`` : ''}` +
      `${s['manyClientsArgs'] ? `; many-clients shape: ${String(s['manyClientsArgs'])} (rambu's per-client rate limiter on in that shape, at 1,000,000 q/s a client so that none is limited)` : ''}, ` +
      `${String(s['runs'])} run(s) per target, medians shown. rambu as set up: ${String(s['rambuSetups'] ?? 'lean')} ` +
      '(shipped: console, query log and answer index on, flow collector listening; answer index off: the same without it; lean: query log alone).',
    '',
    formatTable(report.rows, Number(s['latencyRate'])),
    '',
    ...answerIndexCost(report.rows),
    'Latency is dnsperf\'s average over the saturating run, where it is mostly queueing (about outstanding / queries/s);',
    'the fixed-rate column is the average at a rate every target sustains, the time to answer itself. Lost are queries',
    'unanswered within dnsperf\'s timeout; RSS is the resident memory of the target\'s whole process tree after the load;',
    'NXDOMAIN % checks that blocking held under load (expected: the blocked share of the query file);',
    'other load % is the share of the machine\'s CPUs that processes outside the benchmark used during the timed run.',
    '',
  ];
  const configs = new Map(report.runs.map((r) => [r.target, `- ${r.target} ${r.version}: ${r.config}`]));
  out.push(...configs.values());
  for (const r of report.runs) {
    if (r.logged === null) continue;
    out.push(`- ${r.target}'s query log: ${r.logged.rows.toLocaleString('en')} rows for ${r.logged.answered.toLocaleString('en')} queries answered to dnsperf (${(100 * r.logged.rows / Math.max(1, r.logged.answered)).toFixed(1)} %)`);
  }
  const reloadRuns = report.runs.filter((r) => r.reloads !== null);
  if (reloadRuns.length > 0) {
    out.push('', `Reloads under a steady load (\`${String(s['reloadArgs'])}\`; each reload a config change and SIGHUP, the whole list compiled again; target: slowest answer under 50 ms):`, '',
      '| target | run | reloads in force | reload s (min to max) | slowest answer ms | avg latency ms | stddev ms | lost | RSS MB after | without reloads: slowest ms | avg ms | lost |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of reloadRuns) {
      const x = r.reloads!;
      const took = x.reloadSeconds;
      out.push(`| ${r.target} | ${reloadRuns.filter((q) => q.target === r.target).indexOf(r) + 1} | ${took.length} of ${x.asked} | ${took.length === 0 ? '-' : `${Math.min(...took).toFixed(2)} to ${Math.max(...took).toFixed(2)}`} | ${x.load.maxLatencyMs.toFixed(1)} | ${x.load.avgLatencyMs.toFixed(3)} | ${x.load.stddevLatencyMs.toFixed(3)} | ${x.load.lost} | ${(x.rssAfterBytes / 2 ** 20).toFixed(0)} | ${x.baseline.maxLatencyMs.toFixed(1)} | ${x.baseline.avgLatencyMs.toFixed(3)} | ${x.baseline.lost} |`);
    }
  }
  if (report.failures.length > 0) {
    out.push('', 'Not measured:');
    for (const f of report.failures) out.push(`- ${f.target} (run ${f.run}): ${f.error}`);
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
