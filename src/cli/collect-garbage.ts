/**
 * Memory that a long-running gateway should give back. Compiling a policy with a large blocklist
 * leaves tens of megabytes behind (the file's bytes, the index's arrays before they were trimmed);
 * an idle server may not collect them for hours, and they count in its resident memory all that
 * time. `serve` collects once after each (re)load. V8 exposes `gc` only with --expose-gc, which can
 * be turned on at run time; when that fails, nothing happens.
 *
 * Then glibc's malloc: freed blocks in the middle of its heaps stay resident until something
 * trims them, and a growing answer cache or a blocklist load frees large blocks there. With the
 * native helper (native/process.c), `serve` makes blocks of 128 KiB and more separate mappings
 * (returned when freed) before it loads anything, and hands the heaps' free pages back after each
 * collection and every 10 s. Measured with bench:dns's data after 20 s of load: resident memory
 * 162-166 MB without either, 152-154 MB with the fixed threshold, 146 MB with a trim on top; the
 * trim itself takes 0.1 to 0.5 ms (0.5 ms on a heap of a gigabyte with half its blocks freed).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadAddon, type ProcessAddon } from '../native-addons.js';

/** Blocks from this size on get their own mapping (glibc's default before it adapts). */
const MMAP_THRESHOLD = 128 * 1024;
/** How often free heap pages go back to the system. */
export const RELEASE_INTERVAL_MS = 10_000;

/**
 * How much V8 lets a heap grow past what the last full collection kept, in percent. V8's own
 * factor is up to 4x for a heap that allocates fast, so a main thread with 25 MB live grew to
 * 70-77 MB committed in a pass over bench:dns's query file before it collected; 1.3x is what V8
 * itself uses when it is asked to save memory.
 */
export const HEAP_GROWING_PERCENT = 30;

let gc: (() => void) | null | undefined;

/**
 * Run before the first large allocation: large blocks get mappings of their own from then on, and
 * V8's heaps (this thread's and those of threads started later) grow by HEAP_GROWING_PERCENT.
 */
export function tuneAllocator(): void {
  loadAddon<ProcessAddon>('process').binding?.fixMmapThreshold(MMAP_THRESHOLD);
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/** Free heap pages back to the system; false when there was nothing to give or no helper. */
export function releaseFreeMemory(): boolean {
  return loadAddon<ProcessAddon>('process').binding?.releaseFreeMemory() ?? false;
}

/** A full garbage collection, then the freed heap pages back to the system. */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const fn: unknown = runInNewContext('gc');
      gc = typeof fn === 'function' ? (fn as () => void) : null;
    } catch {
      gc = null;
    }
  }
  gc?.();
  releaseFreeMemory();
}
