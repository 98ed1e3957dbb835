/**
 * Runs each configured probe on its own interval (the first at once), never two of the same probe at
 * a time, and stores every result; prunes results past the retention once an hour.
 */
import type { Logger } from 'pino';
import type { ProbeSettings } from '../config/index.js';
import type { ProbeStore } from '../store/index.js';
import type { ProbeResult } from './probe-result.js';
import { runProbe, type ProbeDeps } from './run-probe.js';

export interface ProbeSchedulerOptions extends ProbeDeps {
  probes: readonly ProbeSettings[];
  store: ProbeStore;
  logger: Logger;
  /** Days of results kept. */
  retentionDays: number;
}

export interface ProbeScheduler {
  /** The newest result of each probe, by name. */
  latest(): ReadonlyMap<string, ProbeResult>;
  start(): void;
  stop(): Promise<void>;
}

export function createProbeScheduler(options: ProbeSchedulerOptions): ProbeScheduler {
  const logger = options.logger.child({ subsystem: 'probes' });
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  const latest = new Map<string, ProbeResult>();
  const busy = new Set<string>();

  const once = (probe: ProbeSettings): void => {
    if (busy.has(probe.name)) return;
    busy.add(probe.name);
    const p = runProbe(probe, options)
      .then(async (result) => {
        latest.set(probe.name, result);
        if (!result.ok) logger.warn({ probe: probe.name, error: result.error, status: result.status }, 'probe failed');
        await options.store.add(result);
      })
      .catch((err: unknown) => logger.error({ err, probe: probe.name }, 'probe result not stored'))
      .finally(() => { busy.delete(probe.name); running.delete(p); });
    running.add(p);
  };

  return {
    latest: () => latest,
    start() {
      for (const probe of options.probes) {
        once(probe);
        const t = setInterval(() => once(probe), probe.intervalMs);
        t.unref();
        timers.push(t);
      }
      const prune = setInterval(() => {
        options.store.prune(options.now() - options.retentionDays * 86_400_000).catch((err: unknown) => logger.error({ err }, 'probe pruning failed'));
      }, 3_600_000);
      prune.unref();
      timers.push(prune);
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      timers.length = 0;
      await Promise.allSettled([...running]);
    },
  };
}
