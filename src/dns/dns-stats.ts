/**
 * Counters of the DNS engine as a plain object that is updated in place (cheap on the hot path),
 * and an optional bridge that exposes them as Prometheus metrics through prom-client.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const RECENT = 1024;

/** Upstream round-trip times: totals plus the most recent samples, for percentiles. */
export class LatencySamples {
  count = 0;
  sumMs = 0;
  readonly #recent = new Float64Array(RECENT);
  #observer: ((ms: number, upstream: string) => void) | null = null;

  add(ms: number, upstream: string): void {
    this.#recent[this.count % RECENT] = ms;
    this.count++;
    this.sumMs += ms;
    if (this.#observer !== null) this.#observer(ms, upstream);
  }

  /** The most recent samples, oldest first. */
  recent(): number[] {
    const n = Math.min(this.count, RECENT);
    const out: number[] = [];
    for (let i = this.count - n; i < this.count; i++) out.push(this.#recent[i % RECENT]!);
    return out;
  }

  /** The `p` quantile (0..1) of the recent samples, or null when there are none. */
  quantile(p: number): number | null {
    const s = this.recent().sort((a, b) => a - b);
    if (s.length === 0) return null;
    return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  }

  observe(fn: ((ms: number, upstream: string) => void) | null): void {
    this.#observer = fn;
  }
}

export interface DnsStats {
  /** Queries received with a readable question (malformed packets are counted apart). */
  queries: number;
  udpQueries: number;
  tcpQueries: number;
  blocked: number;
  allowed: number;
  cacheHits: number;
  cacheMisses: number;
  /** Queries sent to upstreams (after coalescing), and those that got no usable answer. */
  upstreamQueries: number;
  upstreamFailures: number;
  /** Upstream packets ignored because ID, question or source did not match. */
  upstreamMismatches: number;
  servfail: number;
  /** Answers served stale from the cache because no upstream answered (RFC 8767). */
  staleAnswers: number;
  rateLimited: number;
  malformed: number;
  /** REFUSED for clients outside `allowFrom`. */
  refused: number;
  /** UDP answers not sent: the socket's send buffer stayed full, or the address was refused. */
  udpDropped: number;
  /** UDP datagrams longer than the batch reader's 4,096-byte slots, dropped unread. */
  udpOversize: number;
  /** Open client TCP connections. */
  tcpConnections: number;
  readonly upstreamLatency: LatencySamples;
}

export function createDnsStats(): DnsStats {
  return {
    queries: 0, udpQueries: 0, tcpQueries: 0, blocked: 0, allowed: 0, cacheHits: 0, cacheMisses: 0,
    upstreamQueries: 0, upstreamFailures: 0, upstreamMismatches: 0, servfail: 0, staleAnswers: 0, rateLimited: 0,
    malformed: 0, refused: 0, udpDropped: 0, udpOversize: 0, tcpConnections: 0, upstreamLatency: new LatencySamples(),
  };
}

type CounterKey = Exclude<keyof DnsStats, 'upstreamLatency' | 'tcpConnections'>;

const COUNTERS: Record<CounterKey, string> = {
  queries: 'DNS queries received',
  udpQueries: 'DNS queries received over UDP',
  tcpQueries: 'DNS queries received over TCP',
  blocked: 'DNS queries answered with a block answer',
  allowed: 'DNS queries allowed by the policy',
  cacheHits: 'DNS queries answered from the cache',
  cacheMisses: 'DNS queries not in the cache',
  upstreamQueries: 'Queries sent to upstream resolvers',
  upstreamFailures: 'Upstream queries that got no usable answer',
  upstreamMismatches: 'Upstream packets ignored for a wrong ID, question or source',
  servfail: 'SERVFAIL answers sent',
  staleAnswers: 'Expired cached answers sent because no upstream answered',
  rateLimited: 'DNS queries refused or dropped by the per-client rate limit',
  malformed: 'DNS packets that could not be decoded',
  refused: 'DNS queries refused because the client is not in allowFrom',
  udpDropped: 'UDP answers not sent because the socket stayed full or refused the address',
  udpOversize: 'UDP datagrams longer than 4096 bytes, dropped unread',
};

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Register `rambu_dns_*` metrics on `registry`, read from `stats` at scrape time; `refresh`, when
 * given, runs first (to sum several threads' counters into `stats`, say).
 */
export function registerDnsMetrics(stats: DnsStats, registry: Registry, refresh?: () => void): void {
  for (const [key, help] of Object.entries(COUNTERS) as [CounterKey, string][]) {
    new Counter({
      name: `rambu_dns_${snake(key)}_total`,
      help,
      registers: [registry],
      collect() {
        refresh?.();
        this.reset();
        this.inc(stats[key]);
      },
    });
  }
  new Gauge({
    name: 'rambu_dns_tcp_connections',
    help: 'Open client TCP connections',
    registers: [registry],
    collect() {
      refresh?.();
      this.set(stats.tcpConnections);
    },
  });
  const histogram = new Histogram({
    name: 'rambu_dns_upstream_latency_seconds',
    help: 'Round-trip time of answered upstream queries',
    labelNames: ['upstream'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  stats.upstreamLatency.observe((ms, upstream) => histogram.observe({ upstream }, ms / 1000));
}
