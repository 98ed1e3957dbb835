/**
 * The connections to one tcp:// or tls:// upstream, reused across queries (RFC 7766 §6.2.1,
 * RFC 7858 §3.4): a query goes on an open connection with room, several at once, instead of paying
 * a connection (and a TLS handshake) each. Connections are opened on demand up to a small limit,
 * queries beyond every connection's limit wait in a bounded line, idle connections are closed.
 * Queries to a tls:// upstream are padded to a multiple of 128 bytes (RFC 7830, RFC 8467), so that
 * their length does not give their name away; tcp:// ones, carried in the clear, are not.
 */
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { UpstreamSpec } from '../config/index.js';
import type { DecodedMessage, Question } from './message-codec.js';
import { padMessage } from './padding.js';
import { UpstreamConnection, type ConnectionEvents, type ConnectionOptions, type PendingQuery } from './upstream-connection.js';
import { upstreamFailure } from './upstream-exchange.js';

/** Connections kept to one upstream. Two let a new one take over while an old one drains. */
export const STREAM_MAX_CONNECTIONS = 2;
/**
 * Queries on one connection at once. RFC 7766 §6.2.1.1 lets servers cap the queries they work on
 * per connection (resolvers commonly allow some tens); staying below that keeps queries from
 * sitting unread in the server's socket buffer.
 */
export const STREAM_MAX_IN_FLIGHT = 32;
/** Queries that may wait for a slot when every connection is full; more fail at once. */
export const STREAM_MAX_WAITING = 256;
/**
 * A connection with nothing outstanding for this long is closed. Resolvers close idle clients
 * after some seconds to tens of seconds (RFC 7766 §6.2.3 recommends seconds); closing first, rather
 * than being closed, keeps a query from being written into a connection the server is tearing down,
 * and 10 s still carries a busy office's steady trickle of cache misses on one connection.
 */
export const STREAM_IDLE_MS = 10_000;

export interface StreamUpstreamOptions {
  /** Counts frames that answer no outstanding query (garbage, wrong ID or question). */
  onMismatch: () => void;
  /** @default STREAM_MAX_CONNECTIONS */
  maxConnections?: number;
  /** @default STREAM_MAX_IN_FLIGHT */
  maxInFlight?: number;
  /** @default STREAM_MAX_WAITING */
  maxWaiting?: number;
  /** @default STREAM_IDLE_MS */
  idleMs?: number;
}

/** The pool of one tcp:// or tls:// upstream. */
export class StreamUpstream {
  readonly #spec: UpstreamSpec;
  readonly #maxConnections: number;
  readonly #maxWaiting: number;
  readonly #conns = new Set<UpstreamConnection>();
  /** Queries waiting for a slot, oldest first. */
  readonly #waiting = new Set<PendingQuery>();
  readonly #connOptions: ConnectionOptions;
  readonly #events: ConnectionEvents;
  #closed = false;

  constructor(spec: UpstreamSpec, options: StreamUpstreamOptions) {
    if (spec.protocol === 'udp') throw new TypeError(`upstream ${spec.label} is not tcp:// or tls://`);
    this.#spec = spec;
    this.#maxConnections = options.maxConnections ?? STREAM_MAX_CONNECTIONS;
    this.#maxWaiting = options.maxWaiting ?? STREAM_MAX_WAITING;
    this.#connOptions = {
      maxInFlight: options.maxInFlight ?? STREAM_MAX_IN_FLIGHT,
      idleMs: options.idleMs ?? STREAM_IDLE_MS,
      secureContext: trustStore(spec),
      session: null,
      onMismatch: options.onMismatch,
    };
    this.#events = {
      onFree: () => this.#pump(),
      onClose: (conn, orphans, detail, established) => this.#onClose(conn, orphans, detail, established),
      onSession: (session) => { this.#connOptions.session = session; },
    };
  }

  /** Open connections, draining ones included. */
  get connections(): number {
    return this.#conns.size;
  }

  /**
   * Send `query` (any ID; each connection it goes on gets a fresh one; padded for tls://) and wait
   * for the answer to `question` (name normalized). Rejects with UPSTREAM_FAILED after
   * `timeoutMs`, when the connection cannot be made or breaks, or when too many queries are
   * already waiting.
   */
  exchange(question: Question, query: Buffer, timeoutMs: number): Promise<DecodedMessage> {
    if (this.#closed) return Promise.reject(upstreamFailure(this.#spec, 'the forwarder is closed'));
    let wire: Buffer;
    try {
      wire = this.#spec.protocol === 'tls' ? padMessage(query) : query;
    } catch (err) {
      return Promise.reject(upstreamFailure(this.#spec, `the query cannot be padded: ${(err as Error).message}`, err));
    }
    return new Promise((resolve, reject) => {
      const p: PendingQuery = {
        question, query: wire, id: 0, conn: null, retried: false, sentAt: 0, done: false,
        settle: (err, msg) => {
          if (p.done) return;
          p.done = true;
          clearTimeout(timer);
          if (err !== null) reject(err);
          else resolve(msg!);
        },
      };
      const timer = setTimeout(() => {
        if (p.done) return;
        const conn = p.conn;
        p.settle(upstreamFailure(this.#spec, `no answer within ${timeoutMs} ms`));
        if (conn === null) this.#waiting.delete(p);
        else conn.abandon(p);
      }, timeoutMs);
      this.#dispatch(p);
    });
  }

  /** Fail everything outstanding and close every connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = upstreamFailure(this.#spec, 'the forwarder is closed');
    for (const p of this.#waiting) p.settle(err);
    this.#waiting.clear();
    for (const conn of this.#conns) conn.destroy(err);
    this.#conns.clear();
  }

  #dispatch(p: PendingQuery): void {
    const conn = this.#pick();
    if (conn !== null) { conn.send(p); return; }
    if (this.#waiting.size >= this.#maxWaiting) {
      p.settle(upstreamFailure(this.#spec, `${this.#waiting.size} queries already waiting for a connection`));
      return;
    }
    this.#waiting.add(p);
  }

  /** The first connection with room (so that light traffic keeps to one), or a new one. */
  #pick(): UpstreamConnection | null {
    let accepting = 0;
    for (const conn of this.#conns) {
      if (conn.hasRoom) return conn;
      if (conn.accepting) accepting++;
    }
    // Draining connections are not counted against the limit, but do bound how many may exist.
    if (accepting >= this.#maxConnections || this.#conns.size >= this.#maxConnections * 2) return null;
    const conn = new UpstreamConnection(this.#spec, this.#connOptions, this.#events);
    this.#conns.add(conn);
    return conn;
  }

  #pump(): void {
    for (const p of this.#waiting) {
      const conn = this.#pick();
      if (conn === null) return;
      this.#waiting.delete(p);
      conn.send(p);
    }
  }

  /**
   * Queries of a connection that broke after it was established are moved once to another
   * connection (DNS queries are idempotent, and a server may close at any time: RFC 7766 §6.2.3);
   * with a connection that never came up, or a second break, they fail and the forwarder fails over.
   */
  #onClose(conn: UpstreamConnection, orphans: PendingQuery[], detail: string, established: boolean): void {
    this.#conns.delete(conn);
    if (this.#closed) return;
    for (const p of orphans) {
      if (p.done) continue;
      if (established && !p.retried) {
        p.retried = true;
        this.#dispatch(p);
      } else {
        p.settle(upstreamFailure(this.#spec, detail));
      }
    }
    this.#pump();
  }
}

/**
 * The trust store of a tls:// upstream: Node's default one, or, with extra CA certificates
 * (`dns.upstreamCaFile`), the bundled roots plus those.
 */
function trustStore(spec: UpstreamSpec): SecureContext | undefined {
  if (spec.protocol !== 'tls' || spec.extraCa === undefined || spec.extraCa.length === 0) return undefined;
  return createSecureContext({ ca: [...rootCertificates, ...spec.extraCa], minVersion: 'TLSv1.2' });
}
