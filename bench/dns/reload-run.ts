/**
 * Reloads under load (issue 19, point 4): dnsperf sends at a steady rate while rambu reloads its
 * config several times, each time compiling the whole list again. Before each reload the config
 * gains a new marker name in a blocking rule, and the run then asks for that name until it is
 * NXDOMAIN: so each reload is known to have been put in force, and how long it took. dnsperf's
 * slowest answer over the run is the figure that matters (target: under 50 ms); the same load
 * without reloads just before it shows what the machine alone adds.
 */
import { join } from 'node:path';
import { runDnsperf, type DnsperfLoad, type DnsperfResult } from './dnsperf.js';
import { RCODE } from './dns-wire.js';
import { query, type Endpoint } from './probe.js';

export interface ReloadRun {
  /** Reloads asked for (a config change and SIGHUP each). */
  asked: number;
  /** Seconds from each SIGHUP to its marker being blocked; reloads not seen in force are missing. */
  reloadSeconds: number[];
  /** dnsperf over the whole run. */
  load: DnsperfResult;
  /** dnsperf over a run of the same load just before, without reloads: the sitting's own noise. */
  baseline: DnsperfResult;
  /** Resident memory of the target's process tree after the reloads (set by the caller). */
  rssAfterBytes: number;
}

export interface ReloadOptions {
  dnsperf: string;
  endpoint: Endpoint;
  queryFile: string;
  /** The steady load: seconds and maxQps set. */
  load: DnsperfLoad;
  reloads: number;
  dir: string;
  /** Process to send SIGHUP to. */
  pid: number;
  /** Rewrites the config so that `marker` is blocked. */
  markReload: (marker: string) => void;
  log: (line: string) => void;
}

const POLL_MS = 20;
/** A reload not in force after this long counts as missing. */
const RELOAD_LIMIT_MS = 15_000;
/** The first reload starts this long after the load, and the last leaves this long before its end. */
const MARGIN_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `name` is answered NXDOMAIN; its time in ms, or null after RELOAD_LIMIT_MS. */
async function untilBlocked(endpoint: Endpoint, name: string, from: number): Promise<number | null> {
  while (performance.now() - from < RELOAD_LIMIT_MS) {
    const response = await query(endpoint, name, 'A', 1000);
    if (response?.rcode === RCODE.NXDOMAIN) return performance.now() - from;
    await sleep(POLL_MS);
  }
  return null;
}

export async function measureReloads(o: ReloadOptions): Promise<ReloadRun> {
  const baseline = await runDnsperf(o.dnsperf, o.endpoint, o.queryFile, o.load, join(o.dir, 'dnsperf-before-reloads.log'));
  const seconds = o.load.seconds ?? 20;
  const every = Math.max(0, (seconds * 1000 - 3 * MARGIN_MS) / Math.max(1, o.reloads - 1));
  const running = runDnsperf(o.dnsperf, o.endpoint, o.queryFile, o.load, join(o.dir, 'dnsperf-reloads.log'));
  const start = performance.now();
  const reloadSeconds: number[] = [];
  try {
    for (let n = 1; n <= o.reloads; n++) {
      const wait = start + MARGIN_MS + (n - 1) * every - performance.now();
      if (wait > 0) await sleep(wait);
      const marker = `reload-${n}-${Date.now()}.bench-reload.test`;
      o.markReload(marker);
      const from = performance.now();
      process.kill(o.pid, 'SIGHUP');
      const took = await untilBlocked(o.endpoint, marker, from);
      if (took === null) o.log(`  rambu: reload ${n} was not in force after ${RELOAD_LIMIT_MS / 1000} s`);
      else reloadSeconds.push(took / 1000);
    }
  } finally {
    // dnsperf runs its full time whatever happened here.
    await running.catch(() => undefined);
  }
  return { asked: o.reloads, reloadSeconds, load: await running, baseline, rssAfterBytes: 0 };
}
