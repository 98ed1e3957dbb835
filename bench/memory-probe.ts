/**
 * Loaded into `rambu serve` by bench:memory with `node --import` (Node.js runs it in the main thread
 * and again in every worker thread): each thread writes its V8 heap figures to
 * `$RAMBU_MEMORY_PROBE_DIR/thread-<threadId>.json` every 200 ms and when it ends, with the largest
 * figures seen. The main thread also names the workers (the file each was started from, and its
 * resource limits) and adds glibc's malloc figures for the whole process.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import wt from 'node:worker_threads';
import { loadAddon, type ProcessAddon } from '../src/native-addons.js';

export interface ThreadFigures {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** V8's own memory for the heap (committed pages), and its code and other spaces. */
  physical: number;
  spaces: Record<string, number>;
}

export interface ProbeFile {
  threadId: number;
  at: number;
  ended: boolean;
  now: ThreadFigures;
  peak: ThreadFigures;
  /** Main thread only: the worker threads started, by thread id. */
  workers?: Record<string, { file: string; limits: unknown; ended: boolean }>;
  malloc?: ReturnType<ProcessAddon['mallocStats']>;
}

const INTERVAL_MS = 200;

function figures(): ThreadFigures {
  const usage = process.memoryUsage();
  const spaces: Record<string, number> = {};
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = s.space_used_size;
  return {
    heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external, arrayBuffers: usage.arrayBuffers,
    physical: getHeapStatistics().total_physical_size, spaces,
  };
}

function max(a: ThreadFigures, b: ThreadFigures): ThreadFigures {
  const spaces: Record<string, number> = { ...a.spaces };
  for (const [k, v] of Object.entries(b.spaces)) spaces[k] = Math.max(spaces[k] ?? 0, v);
  return {
    heapUsed: Math.max(a.heapUsed, b.heapUsed), heapTotal: Math.max(a.heapTotal, b.heapTotal), external: Math.max(a.external, b.external),
    arrayBuffers: Math.max(a.arrayBuffers, b.arrayBuffers), physical: Math.max(a.physical, b.physical), spaces,
  };
}

const dir = process.env['RAMBU_MEMORY_PROBE_DIR'];
if (dir !== undefined && dir !== '') {
  const workers: NonNullable<ProbeFile['workers']> = {};
  if (wt.isMainThread) {
    const Original = wt.Worker;
    class NamedWorker extends Original {
      constructor(file: string | URL, options?: wt.WorkerOptions) {
        super(file, options);
        const entry = { file: String(file).split('/').pop() ?? String(file), limits: options?.resourceLimits ?? null, ended: false };
        workers[String(this.threadId)] = entry;
        this.once('exit', () => { entry.ended = true; });
      }
    }
    (wt as { Worker: typeof Original }).Worker = NamedWorker;
    syncBuiltinESMExports();
  }
  let peak = figures();
  const write = (ended: boolean): void => {
    const now = figures();
    peak = max(peak, now);
    const file: ProbeFile = { threadId: wt.threadId, at: Date.now(), ended, now, peak };
    if (wt.isMainThread) {
      file.workers = workers;
      file.malloc = loadAddon<ProcessAddon>('process').binding?.mallocStats() ?? null;
    }
    const path = join(dir, `thread-${wt.threadId}.json`);
    try {
      writeFileSync(`${path}.tmp`, JSON.stringify(file));
      renameSync(`${path}.tmp`, path);
    } catch {
      // The directory went away: the benchmark is over.
    }
  };
  setInterval(() => write(false), INTERVAL_MS).unref();
  process.once('exit', () => write(true));
}
