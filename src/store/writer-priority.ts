/**
 * The query log's writer thread gives way to DNS. On a small gateway the writer shares the cores
 * with the DNS thread; when it runs at the same priority, its bursts (a batch every 250 ms) delay
 * answers: at 10,000 queries/s the average answer took 0.080 to 0.107 ms with the writer at the
 * default priority, 0.060 to 0.063 ms under SCHED_IDLE, 0.065 to 0.072 ms at nice 10 or 19, and
 * 0.056 to 0.059 ms with a writer that wrote nothing (bench:dns's data, dnsperf -Q 10000). Under
 * SCHED_IDLE the writer runs mostly on an otherwise idle core (the scheduler still gives it a slice now
 * and then while DNS waits: docs/performance.md); rows wait in memory meanwhile, bounded
 * by the log's `maxBuffer` (beyond it they are dropped and counted), which at sustained full load
 * favours answering over logging.
 */
import { setPriority } from 'node:os';
import { loadAddon, type ProcessAddon } from '../native-addons.js';

/** The nice value taken where SCHED_IDLE is not available (the lowest priority). */
export const FALLBACK_NICE = 19;

export type WriterPriority = 'idle' | 'nice' | 'unchanged';

/**
 * Lowers the calling thread (Linux schedules threads; elsewhere this may lower the whole process,
 * so it is only done on Linux): SCHED_IDLE through native/process.c, else nice 19.
 */
export function yieldToDns(): WriterPriority {
  if (process.platform !== 'linux') return 'unchanged';
  const native = loadAddon<ProcessAddon>('process').binding;
  if (native !== null && native.idleThread() === 0) return 'idle';
  try {
    // Process 0 is the calling thread on Linux.
    setPriority(0, FALLBACK_NICE);
    return 'nice';
  } catch {
    return 'unchanged';
  }
}
