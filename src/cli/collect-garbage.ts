/**
 * A full garbage collection on demand. Compiling a policy with a large blocklist leaves tens of
 * megabytes behind (the file's bytes, the index's arrays before they were trimmed); an idle server
 * may not collect them for hours, and they count in its resident memory all that time. `serve`
 * collects once after each (re)load. V8 exposes `gc` only with --expose-gc, which can be turned on
 * at run time; when that fails, nothing happens.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

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
}
