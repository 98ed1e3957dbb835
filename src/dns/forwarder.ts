/**
 * Sends questions to the upstream resolvers: fastest healthy upstream first, failover on timeout,
 * error or a refusing rcode, a retry over TCP when a UDP answer is truncated, and a hard deadline
 * so that the caller can always answer SERVFAIL in time. UDP takes a fresh socket per query
 * (RFC 5452); TCP and TLS reuse pooled connections (RFC 7766, RFC 7858), closed by `close()`.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { UpstreamSpec } from '../config/index.js';
import { ERROR_CODES, RambuError } from '../errors.js';
import type { DnsStats } from './dns-stats.js';
import { makeOpt } from './edns.js';
import { encodeMessage, type DecodedMessage, type Question } from './message-codec.js';
import { FLAG, RCODE } from './rcodes.js';
import { exchangeUdp, randomId, type Expected } from './upstream-exchange.js';
import { StreamUpstream, type StreamUpstreamOptions } from './upstream-stream.js';

export interface ForwarderOptions {
  upstreams: readonly UpstreamSpec[];
  /** Total time one question may take across every attempt. */
  timeoutMs: number;
  /** UDP payload size advertised to upstreams. */
  udpSize: number;
  stats: DnsStats;
  logger: Logger;
  /** Limits of the tcp:// and tls:// connection pools; see upstream-stream.ts for the defaults. */
  streams?: Omit<StreamUpstreamOptions, 'onMismatch'>;
}

/** What the forwarder knows about one upstream. */
export interface UpstreamHealth {
  label: string;
  /** Smoothed round-trip time, ms. */
  srttMs: number;
  /** Failures since the last success. */
  failures: number;
  queries: number;
}

export interface Forwarded {
  response: DecodedMessage;
  upstream: string;
}

interface UpstreamState extends UpstreamHealth {
  spec: UpstreamSpec;
  /** performance.now() of the last failure. */
  failedAt: number;
}

/** Failures in a row after which an upstream is tried last until it has rested. */
const SICK_AFTER = 3;
const REST_MS = 30_000;
/** Part of the timeout kept back so the SERVFAIL itself goes out before it (25..200 ms). */
function marginMs(timeoutMs: number): number {
  return Math.min(200, Math.max(25, Math.round(timeoutMs * 0.05)));
}

export class Forwarder {
  readonly #states: UpstreamState[];
  readonly #timeoutMs: number;
  readonly #udpSize: number;
  readonly #stats: DnsStats;
  readonly #log: Logger;
  readonly #onMismatch: () => void;
  readonly #streamOptions: StreamUpstreamOptions;
  /** Connection pools of the tcp:// and tls:// upstreams, and of UDP ones retried over TCP. */
  readonly #streams = new Map<string, StreamUpstream>();
  #closed = false;

  constructor(options: ForwarderOptions) {
    if (options.upstreams.length === 0) throw new RambuError(ERROR_CODES.NO_UPSTREAM, 'no upstream DNS resolver configured');
    this.#states = options.upstreams.map((spec) => ({ spec, label: spec.label, srttMs: 50, failures: 0, queries: 0, failedAt: 0 }));
    this.#timeoutMs = options.timeoutMs;
    this.#udpSize = options.udpSize;
    this.#stats = options.stats;
    this.#log = options.logger;
    this.#onMismatch = () => { this.#stats.upstreamMismatches++; };
    this.#streamOptions = { ...options.streams, onMismatch: this.#onMismatch };
  }

  /**
   * Close the pooled connections, failing the queries waiting on them; later tcp:// and tls://
   * attempts fail at once. UDP sockets live for one query and need no closing.
   */
  close(): void {
    this.#closed = true;
    for (const pool of this.#streams.values()) pool.close();
    this.#streams.clear();
  }

  #stream(spec: UpstreamSpec): StreamUpstream {
    if (this.#closed) throw new RambuError(ERROR_CODES.UPSTREAM_FAILED, `upstream ${spec.label} failed: the forwarder is closed`);
    const key = `${spec.protocol}|${spec.host}|${spec.port}|${spec.serverName ?? ''}`;
    let pool = this.#streams.get(key);
    if (pool === undefined) {
      pool = new StreamUpstream(spec, this.#streamOptions);
      this.#streams.set(key, pool);
    }
    return pool;
  }

  health(): UpstreamHealth[] {
    return this.#states.map(({ label, srttMs, failures, queries }) => ({ label, srttMs, failures, queries }));
  }

  #order(now: number): UpstreamState[] {
    const score = (s: UpstreamState): number =>
      (s.failures >= SICK_AFTER && now - s.failedAt < REST_MS ? 1e9 : 0) + s.srttMs + s.failures * 200;
    return [...this.#states].sort((a, b) => score(a) - score(b));
  }

  #failed(s: UpstreamState, now: number): void {
    s.failures++;
    s.failedAt = now;
    s.srttMs = Math.min(5000, s.srttMs * 1.5 + 10);
  }

  /**
   * Resolve `question` (name normalized). Rejects with UPSTREAM_FAILED when no upstream gave a
   * usable answer before the deadline.
   */
  async resolve(question: Question, dnssecOk: boolean, checkingDisabled: boolean): Promise<Forwarded> {
    const start = performance.now();
    const deadline = start + this.#timeoutMs - marginMs(this.#timeoutMs);
    const order = this.#order(start);
    const passes = order.length === 1 ? 2 : Math.min(2, order.length);
    const perAttempt = Math.max(250, Math.floor(this.#timeoutMs / Math.min(3, order.length + 1)));
    this.#stats.upstreamQueries++;
    let lastError = 'no attempt made';
    for (let pass = 0; pass < passes; pass++) {
      for (const s of order) {
        const t0 = performance.now();
        const left = deadline - t0;
        if (left < 20) break;
        s.queries++;
        try {
          const response = await this.#attempt(s.spec, question, dnssecOk, checkingDisabled, Math.min(perAttempt, left), deadline);
          const rcode = response.flags & 0xf;
          const rtt = performance.now() - t0;
          if (rcode === RCODE.SERVFAIL || rcode === RCODE.REFUSED || rcode === RCODE.NOTIMP || rcode === RCODE.FORMERR) {
            this.#failed(s, performance.now());
            lastError = `${s.label} answered rcode ${rcode}`;
            continue;
          }
          s.failures = 0;
          s.srttMs = s.srttMs * 0.7 + rtt * 0.3;
          this.#stats.upstreamLatency.add(rtt, s.label);
          return { response, upstream: s.label };
        } catch (err) {
          this.#failed(s, performance.now());
          lastError = err instanceof Error ? err.message : String(err);
          this.#log.debug({ upstream: s.label, name: question.name, err: lastError }, 'upstream attempt failed');
        }
      }
    }
    this.#stats.upstreamFailures++;
    throw new RambuError(ERROR_CODES.UPSTREAM_FAILED, `no upstream answered "${question.name}": ${lastError}`);
  }

  async #attempt(spec: UpstreamSpec, question: Question, dnssecOk: boolean, cd: boolean, timeoutMs: number, deadline: number): Promise<DecodedMessage> {
    const expected: Expected = { id: randomId(), question };
    const query = encodeMessage({
      id: expected.id,
      flags: FLAG.RD | (cd ? FLAG.CD : 0),
      questions: [question],
      answers: [],
      authorities: [],
      additionals: [makeOpt(this.#udpSize, dnssecOk)],
    });
    if (spec.protocol !== 'udp') return this.#stream(spec).exchange(question, query, timeoutMs);
    const reply = await exchangeUdp(spec, query, expected, timeoutMs, this.#onMismatch);
    if ((reply.flags & FLAG.TC) === 0) return reply;
    // Truncated: ask the same server over TCP (RFC 7766 §5); the connection draws a fresh ID.
    const left = deadline - performance.now();
    if (left < 20) throw new RambuError(ERROR_CODES.UPSTREAM_FAILED, `upstream ${spec.label} truncated and no time is left for TCP`);
    return this.#stream({ ...spec, protocol: 'tcp' }).exchange(question, query, left);
  }
}
