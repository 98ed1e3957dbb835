/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, as `npm run bench:dns -- --profile` writes them)
 * into the functions and files that use the most self time, so that a slow DNS path can be read
 * without opening a profiler UI.
 *
 * Usage: node dist/bench/dns/profile-summary.js FILE.cpuprofile [--top 30] [--from S] [--to S]
 * --from and --to keep the samples taken that many seconds after the profile started: the benchmark
 * logs when its timed run began and ended relative to the target's start.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Samples to keep, in seconds since the profile started. */
export interface Window { from: number; to: number }

/** Self time in microseconds per node id, over the samples inside `window`. */
function selfTimes(profile: CpuProfile, window: Window): Map<number, number> {
  const times = new Map<number, number>();
  let at = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at / 1e6 >= window.from && at / 1e6 <= window.to) times.set(id, (times.get(id) ?? 0) + delta);
  });
  return times;
}

const NOT_WORK = new Set(['(idle)', '(program)']);

/** Self plus descendants' time per node id. */
function inclusiveTimes(profile: CpuProfile, self: Map<number, number>): Map<number, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = new Map<number, number>();
  const visit = (id: number): number => {
    const node = byId.get(id);
    if (node === undefined) return 0;
    let sum = self.get(id) ?? 0;
    for (const child of node.children ?? []) sum += visit(child);
    total.set(id, sum);
    return sum;
  };
  const root = profile.nodes[0];
  if (root !== undefined) visit(root.id);
  return total;
}

function shortUrl(url: string): string {
  const at = url.search(/\/(src|dist|node_modules)\//);
  return at >= 0 ? url.slice(at + 1) : url.replace(/^file:\/\//, '') || '(native)';
}

function table(title: string, entries: [string, number][], total: number, top: number): string {
  const lines = [`${title}`, '  self ms    share  where'];
  for (const [key, us] of entries.sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${(us / 1000).toFixed(0).padStart(7)}  ${((us / total) * 100).toFixed(1).padStart(6)} %  ${key}`);
  }
  return lines.join('\n');
}

/** The summary text of one profile. */
export function summarizeProfile(profile: CpuProfile, top: number, window: Window): string {
  const times = selfTimes(profile, window);
  const inclusive = inclusiveTimes(profile, times);
  let sampled = 0;
  let busy = 0;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byFunctionInclusive = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = shortUrl(url);
    const fn = `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
    const us = times.get(node.id) ?? 0;
    sampled += us;
    if (us > 0 && !NOT_WORK.has(functionName)) {
      busy += us;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
      byFile.set(file, (byFile.get(file) ?? 0) + us);
    }
    // Recursion would count twice; the DNS path has none worth worrying about.
    const inc = inclusive.get(node.id) ?? 0;
    if (url !== '' && inc > 0) byFunctionInclusive.set(fn, (byFunctionInclusive.get(fn) ?? 0) + inc);
  }
  return [
    `sampled ${(sampled / 1000).toFixed(0)} ms, of which ${(busy / 1000).toFixed(0)} ms busy (shares below are of busy time)`,
    table('self time by function:', [...byFunction], busy, top),
    table('self time by file:', [...byFile], busy, top),
    table('inclusive time by function (JavaScript only):', [...byFunctionInclusive], busy, top),
  ].join('\n\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '30' }, from: { type: 'string', default: '0' }, to: { type: 'string', default: 'Infinity' } },
  });
  if (positionals.length === 0) {
    process.stderr.write('Usage: node dist/bench/dns/profile-summary.js FILE.cpuprofile [--top 30]\n');
    process.exitCode = 1;
    return;
  }
  for (const path of positionals) {
    const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    const window = { from: Number(values.from), to: Number(values.to) };
    process.stdout.write(`${path}\n${summarizeProfile(profile, Number(values.top), window)}\n\n`);
  }
}

main();
