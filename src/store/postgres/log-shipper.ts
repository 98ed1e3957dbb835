/**
 * The main thread's side of the shipping thread (log-ship-worker.ts): starts it, keeps what it
 * reports, and stops it.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type pg from 'pg';

/** `workerData` of the shipping thread. */
export interface ShipperData {
  /** The local SQLite database. */
  file: string;
  /** How to reach the shared store (password included: it stays in this process). */
  config: pg.ClientConfig;
  gateway: string;
  retentionMs: number;
  /** Pause when caught up. */
  intervalMs: number;
}

export type ToShipper = { kind: 'close' };

export interface ShipperStats {
  /** Rows written to the shared log since the start. */
  shipped: number;
  /** Rows the local log pruned before they could be shipped. */
  dropped: number;
  /** Age of the oldest row not yet shipped, ms; 0 when caught up. */
  lagMs: number;
  /** Whether the last step reached the shared store. */
  connected: boolean;
  error: string | null;
}

export type FromShipper =
  | ({ kind: 'stats' } & ShipperStats)
  | { kind: 'error'; error: string }
  | { kind: 'dropped-partitions'; names: string[] }
  | { kind: 'closed' };

export interface LogShipper {
  stats(): ShipperStats;
  close(): Promise<void>;
}

const WORKER_URL = new URL('./log-ship-worker.js', import.meta.url);

/** Start shipping the local log at `data.file` into the shared store. */
export function startLogShipper(data: ShipperData, logger?: Logger): LogShipper {
  let stats: ShipperStats = { shipped: 0, dropped: 0, lagMs: 0, connected: false, error: null };
  let worker: Worker | null = new Worker(WORKER_URL, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
  let closed: (() => void) | null = null;
  let reportedDropped = 0;
  worker.unref();
  worker.on('message', (m: FromShipper) => {
    switch (m.kind) {
      case 'stats': {
        const { kind: _, ...s } = m;
        if (s.connected && !stats.connected && stats.error !== null) logger?.info('shared query log reachable again: shipping the buffered rows');
        stats = s;
        if (s.dropped > reportedDropped) {
          logger?.warn({ rows: s.dropped - reportedDropped }, 'query log rows pruned locally before they reached the shared store: dropped');
          reportedDropped = s.dropped;
        }
        break;
      }
      case 'error':
        logger?.warn({ err: m.error }, 'shared query log unreachable: rows wait in the local log');
        break;
      case 'dropped-partitions':
        logger?.info({ partitions: m.names }, 'shared query log: expired days dropped');
        break;
      case 'closed':
        closed?.();
        break;
    }
  });
  worker.on('error', (err) => logger?.error({ err }, 'query log shipping thread failed'));
  worker.on('exit', () => { worker = null; closed?.(); });
  return {
    stats: () => stats,
    async close() {
      const w = worker;
      if (w === null) return;
      await new Promise<void>((resolve) => {
        closed = resolve;
        w.postMessage({ kind: 'close' } satisfies ToShipper);
        setTimeout(resolve, 5_000).unref();
      });
      await w.terminate();
      worker = null;
    },
  };
}
