/**
 * Probe results on SQLite: every timed request of a critical service, and per service over a time
 * range its availability and latency percentiles.
 */
import type { Database } from 'better-sqlite3';
import type { TrafficRange } from './sqlite-flows.js';

/** One timed request of a critical service, as probes make it and the store keeps it. Phases are ms from the start; null when not reached. */
export interface ProbeRow {
  /** Epoch ms the probe started. */
  time: number;
  name: string;
  /** Whether the service answered with the expected status in time. */
  ok: boolean;
  status: number | null;
  /** Name lookup through rambu's own resolver (0 for an address URL). */
  dnsMs: number | null;
  /** TCP connection established. */
  connectMs: number | null;
  /** TLS handshake done (https only). */
  tlsMs: number | null;
  /** First byte of the response. */
  firstByteMs: number | null;
  /** Response complete. */
  totalMs: number | null;
  /** What went wrong, for a failed probe. */
  error: string | null;
}

/** One service's line in a probe report. */
export interface ProbeSummary {
  key: string;
  probes: number;
  /** Probes that got the expected answer in time. */
  available: number;
  /** available / probes, 0..1. */
  availability: number;
  /** Total time of the available probes, ms: median and 95th percentile (null when none). */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface ProbeStore {
  add(row: ProbeRow): Promise<void>;
  /** Per service over `range`, or over the union of several ranges (work hours of several days). */
  summary(range?: TrafficRange | readonly TrafficRange[]): Promise<ProbeSummary[]>;
  prune(before: number): Promise<number>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export class SqliteProbeStore implements ProbeStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async add(r: ProbeRow): Promise<void> {
    this.#db.prepare(`INSERT INTO probe_results (time, name, ok, status, dns_ms, connect_ms, tls_ms, first_byte_ms, total_ms, error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(r.time, r.name, r.ok ? 1 : 0, r.status, r.dnsMs, r.connectMs, r.tlsMs, r.firstByteMs, r.totalMs, r.error);
  }

  async summary(range: TrafficRange | readonly TrafficRange[] = {}): Promise<ProbeSummary[]> {
    const select = this.#db.prepare('SELECT name, ok, total_ms AS total FROM probe_results WHERE time >= ? AND time < ? ORDER BY name');
    const rows = (Array.isArray(range) ? range as readonly TrafficRange[] : [range as TrafficRange])
      .flatMap((r) => select.all(r.from ?? 0, r.to ?? Number.MAX_SAFE_INTEGER) as { name: string; ok: number; total: number | null }[]);
    const by = new Map<string, { probes: number; times: number[] }>();
    for (const r of rows) {
      let s = by.get(r.name);
      if (s === undefined) { s = { probes: 0, times: [] }; by.set(r.name, s); }
      s.probes++;
      if (r.ok === 1 && r.total !== null) s.times.push(r.total);
    }
    return [...by].map(([key, s]) => {
      s.times.sort((a, b) => a - b);
      return {
        key, probes: s.probes, available: s.times.length, availability: Math.round((s.times.length / s.probes) * 10_000) / 10_000,
        p50Ms: percentile(s.times, 50), p95Ms: percentile(s.times, 95),
      };
    });
  }

  async prune(before: number): Promise<number> {
    return this.#db.prepare('DELETE FROM probe_results WHERE time < ?').run(before).changes;
  }
}
