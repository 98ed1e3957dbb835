/**
 * DNS counters across threads: each DNS thread sends a plain snapshot of its {@link DnsStats}, the
 * thread that serves /metrics sums the snapshots into one `DnsStats` that `registerDnsMetrics` reads.
 */
import { createDnsStats, type DnsStats } from './dns-stats.js';

/** The numeric fields of {@link DnsStats}: counters, plus `tcpConnections` (a gauge). */
export type DnsStatsSnapshot = Record<DnsStatsKey, number>;
type DnsStatsKey = Exclude<keyof DnsStats, 'upstreamLatency'>;

const KEYS = Object.keys(createDnsStats()).filter((k) => k !== 'upstreamLatency') as DnsStatsKey[];

/** A copy of the numbers in `stats`, safe to post to another thread. */
export function snapshotDnsStats(stats: DnsStats): DnsStatsSnapshot {
  const out = {} as DnsStatsSnapshot;
  for (const k of KEYS) out[k] = stats[k];
  return out;
}

/** An all-zero snapshot. */
export function emptyDnsStatsSnapshot(): DnsStatsSnapshot {
  const out = {} as DnsStatsSnapshot;
  for (const k of KEYS) out[k] = 0;
  return out;
}

/** Adds `from` into `into` (missing or non-numeric fields count as 0). */
export function addDnsStats(into: DnsStatsSnapshot, from: Partial<DnsStatsSnapshot>): void {
  for (const k of KEYS) {
    const v = from[k];
    if (typeof v === 'number' && Number.isFinite(v)) into[k] += v;
  }
}

/** Sets the numbers of `target` in place to the sum of `snapshots`. */
export function sumDnsStatsInto(target: DnsStats, snapshots: Iterable<Partial<DnsStatsSnapshot>>): void {
  const total = emptyDnsStatsSnapshot();
  for (const s of snapshots) addDnsStats(total, s);
  for (const k of KEYS) target[k] = total[k];
}
