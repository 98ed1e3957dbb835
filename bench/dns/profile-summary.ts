/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, as `npm run bench:dns -- --profile` writes them)
 * into the functions and files that use the most self time, so that a slow DNS path can be read
 * without opening a profiler UI.
 *
 * Usage: node dist/bench/dns/profile-summary.js FILE.cpuprofile [--top 30]
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

/** Self time in microseconds per node id. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const times = new Map<number, number>();
  profile.samples.forEach((id, i) => times.set(id, (times.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  return times;
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
export function summarizeProfile(profile: CpuProfile, top: number): string {
  const times = selfTimes(profile);
  const total = [...times.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = times.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = shortUrl(url);
    const fn = `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  return [
    `total sampled: ${(total / 1000).toFixed(0)} ms`,
    table('by function:', [...byFunction], total, top),
    table('by file:', [...byFile], total, top),
  ].join('\n\n');
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
  if (positionals.length === 0) {
    process.stderr.write('Usage: node dist/bench/dns/profile-summary.js FILE.cpuprofile [--top 30]\n');
    process.exitCode = 1;
    return;
  }
  for (const path of positionals) {
    const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    process.stdout.write(`${path}\n${summarizeProfile(profile, Number(values.top))}\n\n`);
  }
}

main();
