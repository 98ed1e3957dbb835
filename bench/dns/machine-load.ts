/**
 * How busy the machine is apart from the benchmark. Development machines are shared, so before each
 * timed run the benchmark waits (up to a limit) for the CPUs to be mostly idle, and records how busy
 * they were, so that a noisy number can be recognised as such.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ, the unit of /proc CPU times: 100 on every Linux architecture Node.js runs on. */
export const CLOCK_TICKS = 100;

/** Busy and total CPU time of the whole machine since boot, in clock ticks summed over CPUs. */
export function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Share of all CPUs that were busy during the next `ms` milliseconds, 0..1. */
export async function busyShare(ms: number): Promise<number> {
  const before = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTimes();
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

export interface IdleWait {
  /** Busy share of the last one-second sample, 0..1. */
  busy: number;
  waitedSeconds: number;
}

/**
 * Waits until the CPUs are at most `maxBusy` busy over one second, or `limitSeconds` have passed;
 * the caller's own processes must be idle meanwhile.
 */
export async function waitForIdle(maxBusy: number, limitSeconds: number): Promise<IdleWait> {
  const started = performance.now();
  let busy = await busyShare(1000);
  while (busy > maxBusy && performance.now() - started < limitSeconds * 1000) busy = await busyShare(1000);
  return { busy, waitedSeconds: (performance.now() - started) / 1000 };
}

/** CPU seconds used by this process's children that have ended and been reaped (dnsperf runs). */
export function reapedChildrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // cutime and cstime are fields 16 and 17 of the line, 14 and 15 after the command name.
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}
