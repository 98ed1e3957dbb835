/**
 * The shipping thread: copies the local query log into the shared one (log-shipping.ts) on a
 * connection of its own, off the DNS thread and off the log's writer thread, at idle priority. Makes
 * the coming days' partitions and drops the expired ones once an hour. Reports to the main thread
 * after every step.
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import pg from 'pg';
import { yieldToDns } from '../writer-priority.js';
import { LocalLogSource, prepareLocalLog, readMark, shipBatch, type ShipState } from './log-shipping.js';
import { DAY_MS, DAYS_AHEAD, dropOldPartitions, ensurePartitions } from './query-log-partitions.js';
import type { FromShipper, ShipperData, ToShipper } from './log-shipper.js';

const port = parentPort;
if (port === null) throw new Error('log-ship-worker.js runs as a worker thread only');
const data = workerData as ShipperData;
const send = (m: FromShipper): void => port.postMessage(m);
yieldToDns();

const MAINTENANCE_MS = 3_600_000;
let closing = false;
let wake: (() => void) | null = null;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
  const t = setTimeout(() => { wake = null; resolve(); }, ms);
  wake = () => { clearTimeout(t); wake = null; resolve(); };
});

port.on('message', (m: ToShipper) => {
  if (m.kind === 'close') { closing = true; wake?.(); }
});

const stats = { shipped: 0, dropped: 0, lagMs: 0, connected: false, error: null as string | null };

async function run(): Promise<void> {
  let local: Database | null = null;
  let source: LocalLogSource | null = null;
  let client: pg.Client | null = null;
  let state: ShipState | null = null;
  let maintainedAt = -Infinity;
  let days = new Set<number>();
  let delay = 500;
  while (!closing) {
    try {
      if (source === null) {
        local = new BetterSqlite3(data.file);
        local.pragma('busy_timeout = 5000');
        prepareLocalLog(local);
        source = new LocalLogSource(local);
      }
      if (client === null) {
        const c = new pg.Client(data.config);
        c.on('error', () => undefined);
        await c.connect();
        client = c;
        state = await readMark(c, data.gateway);
        days = new Set();
      }
      if (!stats.connected) { stats.connected = true; stats.error = null; send({ kind: 'stats', ...stats }); }
      const now = Date.now();
      if (now - maintainedAt >= MAINTENANCE_MS) {
        await ensurePartitions(client, now, now + DAYS_AHEAD * DAY_MS);
        const gone = await dropOldPartitions(client, now - data.retentionMs);
        if (gone.length > 0) send({ kind: 'dropped-partitions', names: gone });
        maintainedAt = now;
        days = new Set();
      }
      const result = await shipBatch(source, client, data.gateway, state!, { now, days });
      stats.shipped += result.shipped;
      stats.dropped += result.dropped;
      const oldest = source.firstTimeAfter(state!.mark);
      stats.lagMs = oldest === null ? 0 : Math.max(0, Date.now() - oldest);
      send({ kind: 'stats', ...stats });
      delay = 500;
      if (!result.more) await sleep(data.intervalMs);
    } catch (err) {
      const message = (err as Error).message;
      const was = stats.connected;
      stats.connected = false;
      stats.error = message;
      try {
        const oldest = source !== null && state !== null ? source.firstTimeAfter(state.mark) : null;
        if (oldest !== null) stats.lagMs = Math.max(0, Date.now() - oldest);
      } catch {
        // The local log cannot be read either: keep the last figure.
      }
      // Open the local log afresh next time: its schema may have been upgraded under this connection.
      local?.close();
      local = null;
      source = null;
      send({ kind: 'stats', ...stats });
      if (was || client !== null) send({ kind: 'error', error: message });
      await client?.end().catch(() => undefined);
      client = null;
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }
  await client?.end().catch(() => undefined);
  local?.close();
  send({ kind: 'closed' });
}

void run();
