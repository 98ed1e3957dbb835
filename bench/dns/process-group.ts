/**
 * Every process the benchmark starts runs in its own process group and is remembered here, so that
 * a normal end, a failure, Ctrl-C or SIGTERM all stop the whole group (cluster workers included).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { CLOCK_TICKS } from './machine-load.js';

const running = new Set<ManagedProcess>();

/** A started process with its log file. */
export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  logPath: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  hasExited: () => boolean;
}

export interface StartOptions {
  /** Where stdout and stderr go. */
  logPath: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts `command` in a new process group with output appended to `options.logPath`. */
export function startProcess(name: string, command: string, args: string[], options: StartOptions): ManagedProcess {
  const fd = openSync(options.logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      running.delete(managed);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      done = true;
      running.delete(managed);
      resolve(`spawn failed: ${err.message}`);
    });
  });
  const managed: ManagedProcess = {
    name, child, pid: child.pid ?? -1, logPath: options.logPath, exited, hasExited: () => done,
  };
  if (managed.pid > 0) running.add(managed);
  return managed;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Stops the process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(proc: ManagedProcess, graceMs = 5000): Promise<void> {
  if (proc.pid <= 0) return;
  signalGroup(proc.pid, 'SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref());
  if ((await Promise.race([proc.exited, timer])) === 'timeout') signalGroup(proc.pid, 'SIGKILL');
  await proc.exited;
  // Workers of a group leader that exited first are still in its group.
  signalGroup(proc.pid, 'SIGKILL');
}

/** Kills every remaining group at once; synchronous, for exit and signal handlers. */
export function killAllNow(): void {
  for (const proc of running) signalGroup(proc.pid, 'SIGKILL');
  running.clear();
}

let trapped = false;

/** Makes SIGINT, SIGTERM, SIGHUP and process exit stop every started process. */
export function trapSignals(): void {
  if (trapped) return;
  trapped = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench:dns: ${signal}, stopping every started process\n`);
      killAllNow();
      process.exit(130);
    });
  }
}

/** `pid` and all its descendants that are alive now. */
export function treePids(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === null) continue;
    const ppid = Number(stat[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop()!;
    out.push(current);
    stack.push(...(children.get(current) ?? []));
  }
  return out;
}

/** The fields of /proc/PID/stat after the command name: [state, ppid, ...], or null. */
function readStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Memory of `pid` and its descendants in bytes: resident now (VmRSS) and peak (VmHWM), summed. */
export function treeMemory(pid: number): { rssBytes: number; peakRssBytes: number } {
  let rss = 0;
  let peak = 0;
  for (const p of treePids(pid)) {
    rss += statusKiB(p, 'VmRSS');
    peak += statusKiB(p, 'VmHWM');
  }
  return { rssBytes: rss * 1024, peakRssBytes: peak * 1024 };
}

/** CPU seconds (user + system) used so far by `pid` and its live descendants. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of treePids(pid)) {
    const stat = readStat(p);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    if (stat !== null) ticks += Number(stat[11]) + Number(stat[12]);
  }
  return ticks / CLOCK_TICKS;
}
