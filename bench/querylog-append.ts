/**
 * The query log's cost: on the hot path (append), on the writer thread, and in resident memory.
 * Run after a build, with the V8 flag `npm start` uses:
 *
 *   node --max-semi-space-size=4 dist/bench/querylog-append.js            # 2,000,000 entries at 50,000/s
 *   ENTRIES=500000 RATE=30000 node dist/bench/querylog-append.js
 *   MIX=office node dist/bench/querylog-append.js                         # the office mix (see below)
 *   MIX=replay node dist/bench/querylog-append.js                         # the DNS mix, replayed (see below)
 *   MIX=many node dist/bench/querylog-append.js                           # the DNS mix from 1,000 clients
 *   MODE=writer node dist/bench/querylog-append.js                        # the writer alone, flat out
 *
 * MIX=dns (the default) is the DNS benchmark's traffic (bench:dns): one client; 75 % of names from
 * 50,000 allowed names, 25 % blocked names drawn from a 1,000,000-name list, half of them as random
 * subdomains, so nearly every blocked name is new. Names are fresh flat one-byte strings, as the DNS
 * server decodes them. MIX=office: 4,000 clients, 20,000 allowed names, one query in seven blocked
 * among 780 streaming names. MIX=replay: the DNS mix's first 300,000 entries over and over (times
 * still advancing), as dnsperf replays its query file in bench:dns: about 123,000 names that each
 * recur every 300,000 queries. MIX=many: the DNS mix from 1,000 clients taken in turn (127.1.0.1
 * onwards), as bench:dns's many-clients shape sends it.
 *
 * MODE=paced (the default) makes two passes over the same entries at RATE per second: one into a
 * no-op sink (what generating entries costs by itself), then one into the store. "Main thread per
 * entry" is the difference of their event-loop busy time, so it includes everything the log does on
 * the main thread (appends, timers, flushes, messages). The writer thread's CPU time is read from
 * /proc (Linux) for the thread the store started; "process CPU" adds V8's helper threads (concurrent
 * garbage collection) and the main thread. Resident memory (VmRSS) is sampled every 250 ms over the
 * second half of each pass (mean and peak) and at its end, before the store closes: the difference
 * between the passes is what the log holds under load, give or take the main thread's heap, which
 * is shown beside it because it varies from run to run by more than the log costs.
 *
 * MODE=writer encodes batches of 5,000 entries and writes them synchronously through the writer on a
 * connection set up as the writer thread's: CPU time and file I/O per row, rows per second the
 * writer sustains fed as fast as it can take them; no thread, no pacing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { openStore } from '../src/store/index.js';
import type { QueryLogEntry } from '../src/store/index.js';
import { BatchEncoder } from '../src/store/query-log-batch.js';
import { openWriterDatabase, QueryLogWriter } from '../src/store/query-log-writer.js';
import { allowedName, blockedName, subdomainOf } from './dns/domain-names.js';
import { createRandom } from './dns/prng.js';

const ENTRIES = Number(process.env['ENTRIES'] ?? 2_000_000);
const RATE = Number(process.env['RATE'] ?? 50_000);
const MIX = process.env['MIX'] ?? 'dns';
const MODE = process.env['MODE'] ?? 'paced';
const START = Date.parse('2026-05-04T08:00:00+07:00');
const SERVICES = ['youtube', 'tiktok', 'netflix', 'vidio'] as const;
/** Production's batch size (SqliteQueryLogOptions.batchSize); BATCH=n for the rows 250 ms bring at a lower rate. */
const BATCH = Number(process.env['BATCH'] ?? 5000);

/** The office mix's i-th entry, built from fresh strings as a decoded query would be. */
function officeEntry(i: number): QueryLogEntry {
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

const LIST_SEED = 5;
const LIST_SIZE = 1_000_000;
/** The DNS benchmark's allowed names (built once, before any pass). */
const ALLOWED: readonly string[] = MIX !== 'office' ? (() => {
  const random = createRandom(LIST_SEED);
  const set = new Set<string>();
  while (set.size < 50_000) set.add(allowedName(random));
  return [...set];
})() : [];

const scratch = Buffer.alloc(256);

/** `s` as a fresh flat one-byte string, the way the DNS server decodes a name (query-view.ts). */
function decoded(s: string): string {
  return scratch.toString('latin1', 0, scratch.write(s, 'latin1'));
}

/** The DNS mix's i-th entry; entry k of the blocked list is generated on demand, so the list costs no memory. */
function dnsEntry(i: number): QueryLogEntry {
  const random = createRandom(0x5eed_0000 ^ Math.imul(i, 0x9e3779b1));
  const type = random.next() < 0.8 ? 'A' : 'AAAA';
  if (random.next() < 0.25) {
    const listed = blockedName(createRandom(Math.imul(LIST_SEED, 0x01000193) + random.int(0, LIST_SIZE - 1)));
    return {
      time: START + Math.floor(i / 50), client: decoded('127.0.0.1'), name: decoded(random.next() < 0.5 ? listed : subdomainOf(random, listed)),
      type, action: 'block', service: 'big', rule: 'block-big-list', exemption: null, rcode: 'NXDOMAIN',
      latencyMs: 0.01 + random.next() * 0.02, upstream: null, cached: false,
    };
  }
  const name = decoded(ALLOWED[random.int(0, ALLOWED.length - 1)] ?? '');
  const cached = random.next() < 0.97;
  return {
    time: START + Math.floor(i / 50), client: decoded('127.0.0.1'), name, type, action: 'allow', service: null, rule: null,
    exemption: null, rcode: 'NOERROR', latencyMs: cached ? 0.02 : 0.3 + random.next(), upstream: cached ? null : 'udp://127.0.0.1:5353', cached,
  };
}

/** Entries in the query file that MIX=replay goes through again and again. */
const REPLAY_FILE = 300_000;

/** The replayed DNS mix's i-th entry. */
function replayEntry(i: number): QueryLogEntry {
  return { ...dnsEntry(i % REPLAY_FILE), time: START + Math.floor(i / 50) };
}

/** Clients of MIX=many, as text. */
const MANY: readonly string[] = Array.from({ length: 1000 }, (_, k) => `127.1.${Math.floor(k / 254)}.${(k % 254) + 1}`);

/** The DNS mix's i-th entry from the many-clients shape's client i % 1,000. */
function manyEntry(i: number): QueryLogEntry {
  return { ...dnsEntry(i), client: decoded(MANY[i % MANY.length] ?? '') };
}

const makeEntry = MIX === 'office' ? officeEntry : MIX === 'replay' ? replayEntry : MIX === 'many' ? manyEntry : dnsEntry;

interface PassResult {
  appendNs: number; busyMs: number; cpuMs: number; processCpuMs: number; wallMs: number;
  maxStallMs: number; p99StallMs: number; meanStallMs: number; sdStallMs: number;
  /** The longest gaps between 1 ms ticks: [ms into the pass, gap ms]. */
  worst: [number, number][];
  /** VmRSS at the end of the pass, and its mean and peak over the pass's second half (sampled every 250 ms), MB. */
  rssMb: number; rssMeanMb: number; rssPeakMb: number;
  /** The main thread's V8 heap (physical), mean over the second half, MB. */
  heapMeanMb: number;
}

/** CPU time of thread `tid` of this process (Linux), ms; NaN when it is gone or elsewhere. */
function threadCpuMs(tid: string): number {
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks, counted after the parenthesised command name.
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function threadIds(): string[] {
  try {
    return readdirSync('/proc/self/task');
  } catch {
    return [];
  }
}

/** VmRSS (Linux), MB; NaN elsewhere. */
function rssMb(): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m === null ? Number.NaN : Number(m[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Feed ENTRIES entries to `sink` at RATE per second, one slice per event-loop turn. */
async function pass(sink: (e: QueryLogEntry) => void): Promise<PassResult> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  const chunk: QueryLogEntry[] = [];
  let sent = 0;
  let appendMs = 0;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = threadCpuMs(String(process.pid));
  const pcpu0 = processCpuMs();
  const t0 = performance.now();
  const gaps: [number, number][] = [];
  let tick = t0;
  const rss: number[] = [];
  const heap: number[] = [];
  let sampled = t0;
  const ticker = setInterval(() => {
    const now = performance.now();
    if (now - tick > 5) gaps.push([now - t0, now - tick]);
    tick = now;
    if (now - sampled >= 250) { sampled = now; if (sent >= ENTRIES / 2) { rss.push(rssMb()); heap.push(getHeapStatistics().total_physical_size / 1048576); } }
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
    appendNs: (appendMs * 1e6) / ENTRIES, busyMs: elu.active, cpuMs: threadCpuMs(String(process.pid)) - cpu0,
    processCpuMs: processCpuMs() - pcpu0, wallMs, rssMb: rssMb(),
    rssMeanMb: mean(rss), rssPeakMb: Math.max(...rss), heapMeanMb: mean(heap),
    worst: gaps.sort((a, b) => b[1] - a[1]).slice(0, 5),
    maxStallMs: h.max / 1e6, p99StallMs: h.percentile(99) / 1e6, meanStallMs: h.mean / 1e6, sdStallMs: h.stddev / 1e6,
  };
}

async function paced(dir: string): Promise<void> {
  process.stdout.write(`${ENTRIES.toLocaleString('en')} entries at ${RATE.toLocaleString('en')}/s, ${MIX} mix\n`);
  let sunk = 0;
  const idle = await pass(() => { sunk++; });
  const store = openStore({ dir, pruneIntervalMs: 0, retentionDays: 3650 });
  const threadsBefore = new Set(threadIds());
  const logged = await pass((e) => store.queryLog.append(e));
  const t = performance.now();
  await store.queryLog.flush();
  const drainMs = performance.now() - t;
  // The writer thread is the one the store started (it starts with the first batch, during the pass).
  const writerCpuMs = threadIds().filter((tid) => !threadsBefore.has(tid)).map(threadCpuMs).filter(Number.isFinite).reduce((a, b) => a + b, 0);
  const rssLoaded = rssMb();
  const stats = store.queryLog.stats();
  await store.close();
  const bytes = statSync(store.file).size;

  const perEntry = (ms: number): string => (ms * 1e6 / ENTRIES).toFixed(0);
  const rows: [string, string, string][] = [
    ['append call, ns per entry', idle.appendNs.toFixed(0), logged.appendNs.toFixed(0)],
    ['main thread busy per entry, ns (event-loop active time)', perEntry(idle.busyMs), perEntry(logged.busyMs)],
    ['  of which the log (difference), ns', '', perEntry(logged.busyMs - idle.busyMs)],
    ['main thread CPU per entry, ns', perEntry(idle.cpuMs), perEntry(logged.cpuMs)],
    ['  of which the log (difference), ns', '', perEntry(logged.cpuMs - idle.cpuMs)],
    ['writer thread CPU per entry, ns', '', perEntry(writerCpuMs)],
    ['writer thread CPU, % of a core', '', (100 * writerCpuMs / logged.wallMs).toFixed(1)],
    ['process CPU per entry, ns (all threads)', perEntry(idle.processCpuMs), perEntry(logged.processCpuMs)],
    ['  of which the log (difference), ns', '', perEntry(logged.processCpuMs - idle.processCpuMs)],
    ['resident memory, mean over the second half, MB', idle.rssMeanMb.toFixed(1), logged.rssMeanMb.toFixed(1)],
    ['  of which the log (difference), MB', '', (logged.rssMeanMb - idle.rssMeanMb).toFixed(1)],
    ['resident memory, peak over the second half, MB', idle.rssPeakMb.toFixed(1), logged.rssPeakMb.toFixed(1)],
    ['resident memory at the end of the pass, MB', idle.rssMb.toFixed(1), logged.rssMb.toFixed(1)],
    ['main thread V8 heap, mean over the second half, MB', idle.heapMeanMb.toFixed(1), logged.heapMeanMb.toFixed(1)],
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
  process.stdout.write(`\nfinal flush ${drainMs.toFixed(0)} ms; resident memory after the flush ${rssLoaded.toFixed(1)} MB; written ${stats.written.toLocaleString('en')}, ` +
    `dropped ${stats.dropped}, failed ${stats.failed}; database ${(bytes / 1e6).toFixed(0)} MB (${(bytes / Math.max(1, stats.written)).toFixed(0)} bytes per row, ` +
    `not vacuumed); sunk ${sunk}\n`);
}

/** Bytes this process has read and written through system calls (Linux), NaN elsewhere. */
function ioBytes(): { read: number; written: number } {
  try {
    const io = readFileSync('/proc/self/io', 'utf8');
    return { read: Number(/^rchar: (\d+)/m.exec(io)?.[1] ?? Number.NaN), written: Number(/^wchar: (\d+)/m.exec(io)?.[1] ?? Number.NaN) };
  } catch {
    return { read: Number.NaN, written: Number.NaN };
  }
}

function flatOut(dir: string): void {
  process.stdout.write(`${ENTRIES.toLocaleString('en')} entries in batches of ${BATCH}, ${MIX} mix, written synchronously\n`);
  const store = openStore({ dir, pruneIntervalMs: 0, retentionDays: 3650 });
  const db = openWriterDatabase(store.file);
  const writer = new QueryLogWriter(db);
  const encoder = new BatchEncoder({ capacity: BATCH });
  let wallMs = 0;
  let cpuMs = 0;
  let encodeMs = 0;
  let read = 0;
  let written = 0;
  const write = (): void => {
    const b = encoder.take();
    if (b === null) return;
    const io0 = ioBytes();
    const c0 = processCpuMs();
    const t0 = performance.now();
    writer.write(b);
    wallMs += performance.now() - t0;
    cpuMs += processCpuMs() - c0;
    const io = ioBytes();
    read += io.read - io0.read;
    written += io.written - io0.written;
    encoder.recycle(b.buffer);
  };
  for (let i = 0; i < ENTRIES; i++) {
    const e = makeEntry(i);
    const t = performance.now();
    const fits = encoder.encode(e);
    encodeMs += performance.now() - t;
    if (!fits) { write(); encoder.encode(e); }
  }
  write();
  db.close();
  const rows = store.db.prepare('SELECT count(*) FROM querylog').pluck().get() as number;
  const pages = store.db.pragma('page_count', { simple: true }) as number;
  const pageSize = store.db.pragma('page_size', { simple: true }) as number;
  void store.close();
  const per = (x: number): string => (x / ENTRIES).toFixed(0);
  process.stdout.write(`rows written ${rows.toLocaleString('en')}\n` +
    `writer: ${per(cpuMs * 1e6)} ns CPU per row (${Math.round(ENTRIES / (cpuMs / 1000)).toLocaleString('en')} rows per CPU second); ` +
    `${per(wallMs * 1e6)} ns wall per row (${Math.round(ENTRIES / (wallMs / 1000)).toLocaleString('en')} rows/s)\n` +
    `file I/O per row: ${per(read)} bytes read, ${per(written)} bytes written (page reads, WAL, checkpoints; the OS page cache mostly)\n` +
    `encoder: ${per(encodeMs * 1e6)} ns per entry; database ${per(pages * pageSize)} bytes per row\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'rambu-bench-append-'));
try {
  if (MODE === 'writer') flatOut(dir);
  else await paced(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
