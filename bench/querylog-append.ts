/**
 * The query log's cost on the hot path: append entries at a steady rate, the way the DNS server does,
 * and report the main thread's time per append and the worst event-loop stall. Run after a build:
 *
 *   node dist/bench/querylog-append.js                   # 2,000,000 entries at 50,000/s
 *   ENTRIES=500000 RATE=30000 node dist/bench/querylog-append.js
 *
 * Two passes over the same entries: one into a no-op sink (what generating entries costs by itself),
 * then one into the store. "main thread per entry" is the difference of their event-loop busy time,
 * so it includes everything the log does on the main thread (appends, timers, flushes, messages).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { openStore } from '../src/store/index.js';
import type { QueryLogEntry } from '../src/store/index.js';

const ENTRIES = Number(process.env['ENTRIES'] ?? 2_000_000);
const RATE = Number(process.env['RATE'] ?? 50_000);
const START = Date.parse('2026-05-04T08:00:00+07:00');
const SERVICES = ['youtube', 'tiktok', 'netflix', 'vidio'] as const;

/** The i-th entry, built from fresh strings as a decoded query would be. */
function makeEntry(i: number): QueryLogEntry {
  const blocked = i % 7 === 0;
  const service = SERVICES[i % SERVICES.length] ?? null;
  return {
    time: START + Math.floor(i / 50), client: `10.20.${i % 16}.${(i * 7) % 250}`,
    name: blocked ? `rr${i % 60}---sn-${i % 13}.googlevideo.com` : `host${(i * 31) % 20_000}.pasuruankota.go.id`,
    type: i % 3 === 0 ? 'AAAA' : 'A', action: blocked ? 'block' : 'allow', service: blocked ? service : null,
    rule: blocked ? 'blokir-streaming-jam-kerja' : null, exemption: null, rcode: blocked ? 'NXDOMAIN' : 'NOERROR',
    latencyMs: blocked ? 0.05 : 0.2 + (i % 400) / 100, upstream: blocked || i % 2 === 0 ? null : 'udp://10.20.0.1:53', cached: i % 2 === 0,
  };
}

interface PassResult {
  appendNs: number; busyMs: number; cpuMs: number; wallMs: number;
  maxStallMs: number; p99StallMs: number; meanStallMs: number; sdStallMs: number;
  /** The longest gaps between 1 ms ticks: [ms into the pass, gap ms]. */
  worst: [number, number][];
}

/** CPU time of the main thread alone (Linux), ms; NaN elsewhere. */
function mainThreadCpuMs(): number {
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks, counted after the parenthesised command name.
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Feed ENTRIES entries to `sink` at RATE per second, one slice per event-loop turn. */
async function pass(sink: (e: QueryLogEntry) => void): Promise<PassResult> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  const chunk: QueryLogEntry[] = [];
  let sent = 0;
  let appendMs = 0;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = mainThreadCpuMs();
  const t0 = performance.now();
  const gaps: [number, number][] = [];
  let tick = t0;
  const ticker = setInterval(() => {
    const now = performance.now();
    if (now - tick > 5) gaps.push([now - t0, now - tick]);
    tick = now;
  }, 1);
  h.enable();
  while (sent < ENTRIES) {
    const due = Math.min(ENTRIES, Math.floor(((performance.now() - t0) / 1000) * RATE));
    chunk.length = 0;
    for (let i = sent; i < due; i++) chunk.push(makeEntry(i));
    const t = performance.now();
    for (const e of chunk) sink(e);
    appendMs += performance.now() - t;
    sent = due;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  h.disable();
  clearInterval(ticker);
  const wallMs = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  return {
    appendNs: (appendMs * 1e6) / ENTRIES, busyMs: elu.active, cpuMs: mainThreadCpuMs() - cpu0, wallMs,
    worst: gaps.sort((a, b) => b[1] - a[1]).slice(0, 5),
    maxStallMs: h.max / 1e6, p99StallMs: h.percentile(99) / 1e6, meanStallMs: h.mean / 1e6, sdStallMs: h.stddev / 1e6,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'rambu-bench-append-'));
try {
  process.stdout.write(`${ENTRIES.toLocaleString('en')} entries at ${RATE.toLocaleString('en')}/s\n`);
  let sunk = 0;
  const idle = await pass(() => { sunk++; });
  const store = openStore({ dir, pruneIntervalMs: 0, retentionDays: 3650 });
  const logged = await pass((e) => store.queryLog.append(e));
  const t = performance.now();
  await store.queryLog.flush();
  const drainMs = performance.now() - t;
  const stats = store.queryLog.stats();
  await store.close();
  const bytes = statSync(store.file).size;

  const rows: [string, string, string][] = [
    ['append call, ns per entry', idle.appendNs.toFixed(0), logged.appendNs.toFixed(0)],
    ['main thread busy per entry, ns (event-loop active time)', (idle.busyMs * 1e6 / ENTRIES).toFixed(0), (logged.busyMs * 1e6 / ENTRIES).toFixed(0)],
    ['  of which the log (difference), ns', '', ((logged.busyMs - idle.busyMs) * 1e6 / ENTRIES).toFixed(0)],
    ['main thread CPU per entry, ns', (idle.cpuMs * 1e6 / ENTRIES).toFixed(0), (logged.cpuMs * 1e6 / ENTRIES).toFixed(0)],
    ['  of which the log (difference), ns', '', ((logged.cpuMs - idle.cpuMs) * 1e6 / ENTRIES).toFixed(0)],
    ['event-loop delay max, ms', idle.maxStallMs.toFixed(1), logged.maxStallMs.toFixed(1)],
    ['event-loop delay p99, ms', idle.p99StallMs.toFixed(1), logged.p99StallMs.toFixed(1)],
    ['event-loop delay mean, ms', idle.meanStallMs.toFixed(2), logged.meanStallMs.toFixed(2)],
    ['event-loop delay stddev, ms', idle.sdStallMs.toFixed(2), logged.sdStallMs.toFixed(2)],
    ['wall time, s', (idle.wallMs / 1000).toFixed(1), (logged.wallMs / 1000).toFixed(1)],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`${''.padEnd(w0)}  ${'no-op sink'.padStart(10)}  ${'query log'.padStart(10)}\n`);
  for (const [label, a, b] of rows) process.stdout.write(`${label.padEnd(w0)}  ${a.padStart(10)}  ${b.padStart(10)}\n`);
  const worst = (r: PassResult): string => r.worst.map(([at, gap]) => `${gap.toFixed(0)} ms at ${(at / 1000).toFixed(1)} s`).join(', ');
  process.stdout.write(`\nlongest gaps, no-op sink: ${worst(idle)}\nlongest gaps, query log:  ${worst(logged)}\n`);
  process.stdout.write(`\nfinal flush ${drainMs.toFixed(0)} ms; written ${stats.written.toLocaleString('en')}, dropped ${stats.dropped}, failed ${stats.failed}` +
    `; database ${(bytes / 1e6).toFixed(0)} MB (${(bytes / Math.max(1, stats.written)).toFixed(0)} bytes per row, not vacuumed); sunk ${sunk}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
