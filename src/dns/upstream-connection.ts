/**
 * One TCP or TLS connection to an upstream that carries several queries at once (RFC 7766 §6.2.1.1
 * pipelining; RFC 7858 over TLS). Each query on it has its own random ID, unique on the connection;
 * answers may come in any order and are matched by ID and question. A frame that matches nothing is
 * counted and dropped: it never ends a query. The {@link StreamUpstream} pool decides which
 * connection a query goes to and what happens to the queries of a connection that breaks.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect, type SecureContext } from 'node:tls';
import type { UpstreamSpec } from '../config/index.js';
import { decodeMessage, type DecodedMessage, type Question } from './message-codec.js';
import { FrameReader, frameMessage } from './stream-frames.js';
import { isReplyTo, randomId } from './upstream-exchange.js';

/** A query handed to the pool, from the forwarder's call until it is answered, fails or times out. */
export interface PendingQuery {
  question: Question;
  /**
   * The encoded query as sent (for tls://, padded); its ID is replaced by the one drawn for each
   * connection it is sent on.
   */
  query: Buffer;
  /** ID on the current connection. */
  id: number;
  conn: UpstreamConnection | null;
  /** Whether it was already moved once to a fresh connection after its connection broke. */
  retried: boolean;
  /** performance.now() when it was handed to its connection. */
  sentAt: number;
  /** Answered, failed or timed out; the caller has its result. */
  done: boolean;
  settle(err: Error | null, msg?: DecodedMessage): void;
}

export interface ConnectionOptions {
  /** Queries on the connection at once, unanswered timed-out ones included. */
  maxInFlight: number;
  /** A connection with nothing outstanding for this long is closed. */
  idleMs: number;
  /** For tls://: the trust store, when it is not Node's default one. */
  secureContext: SecureContext | undefined;
  /** For tls://: a session of an earlier connection to resume (RFC 7858 §3.4). */
  session: Buffer | null;
  onMismatch: () => void;
}

export interface ConnectionEvents {
  /** A slot came free: the pool may hand over a waiting query. */
  onFree(conn: UpstreamConnection): void;
  /**
   * The connection is gone. `orphans` are the queries still waiting for an answer on it;
   * `established` says whether it ever finished connecting (and, for TLS, the handshake).
   */
  onClose(conn: UpstreamConnection, orphans: PendingQuery[], detail: string, established: boolean): void;
  onSession(session: Buffer): void;
}

/** Time a closed connection gets to say goodbye (FIN, TLS close_notify) before it is destroyed. */
const CLOSE_GRACE_MS = 1000;

export class UpstreamConnection {
  readonly #sock: Socket;
  readonly #o: ConnectionOptions;
  readonly #events: ConnectionEvents;
  /** Every ID in use: live queries and timed-out ones whose answer may still come. */
  readonly #byId = new Map<number, PendingQuery>();
  /** Queries given before the connection was ready, written once it is. */
  #held: PendingQuery[] = [];
  #live = 0;
  #state: 'connecting' | 'open' | 'draining' | 'closed' = 'connecting';
  #established = false;
  readonly #frames = new FrameReader();
  #lastReadAt = Number.NEGATIVE_INFINITY;
  #idleTimer: NodeJS.Timeout | null = null;
  #error: Error | null = null;
  /** A TLS session that arrived during the handshake, kept until the handshake is accepted. */
  #session: Buffer | null = null;

  constructor(spec: UpstreamSpec, options: ConnectionOptions, events: ConnectionEvents) {
    this.#o = options;
    this.#events = events;
    if (spec.protocol === 'tls') {
      // The certificate must verify against the trust store and name `#servername`, or the host.
      const servername = spec.serverName ?? (isIP(spec.host) === 0 ? spec.host : undefined);
      this.#sock = tlsConnect({
        host: spec.host, port: spec.port, minVersion: 'TLSv1.2', rejectUnauthorized: true,
        ...(servername === undefined ? {} : { servername }),
        ...(options.secureContext === undefined ? {} : { secureContext: options.secureContext }),
        ...(options.session === null ? {} : { session: options.session }),
      });
      // Only a session of a connection that passed the checks is offered for resumption.
      this.#sock.on('session', (session: Buffer) => {
        if (this.#established) events.onSession(session);
        else this.#session = session;
      });
    } else {
      this.#sock = netConnect({ host: spec.host, port: spec.port });
    }
    // Pooled connections never keep the process alive; a query's own timer does while it waits.
    this.#sock.unref();
    this.#sock.setNoDelay(true);
    this.#sock.on(spec.protocol === 'tls' ? 'secureConnect' : 'connect', () => this.#onReady());
    this.#sock.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#sock.on('error', (err) => { this.#error ??= err; });
    this.#sock.on('close', () => this.#onClose());
  }

  /** Whether new queries may be sent on it. */
  get accepting(): boolean {
    return this.#state === 'connecting' || this.#state === 'open';
  }

  /** Whether it can take one more query now. */
  get hasRoom(): boolean {
    return this.accepting && this.#byId.size < this.#o.maxInFlight;
  }

  /** Queries waiting for an answer on it, timed-out ones not counted. */
  get live(): number {
    return this.#live;
  }

  /** Send `p` with an ID not in use on this connection. */
  send(p: PendingQuery): void {
    let id = randomId();
    while (this.#byId.has(id)) id = randomId();
    p.id = id;
    p.conn = this;
    p.sentAt = performance.now();
    this.#byId.set(id, p);
    this.#live++;
    this.#stopIdle();
    if (this.#state === 'connecting') this.#held.push(p);
    else this.#write(p);
  }

  /**
   * `p` timed out. Its ID stays reserved until its answer comes or the connection goes, as the
   * server may still be working on it. A connection that read nothing since `p` was sent, or that
   * holds many such queries, is presumed broken and takes no more queries.
   */
  abandon(p: PendingQuery): void {
    if (this.#byId.get(p.id) !== p) return;
    this.#live--;
    const held = this.#held.indexOf(p);
    if (held >= 0) {
      this.#held.splice(held, 1);
      this.#byId.delete(p.id);
    }
    const timedOut = this.#byId.size - this.#live;
    if (this.#lastReadAt < p.sentAt || timedOut * 2 >= this.#o.maxInFlight) this.retire();
    else this.#whenFree();
  }

  /** Take no more queries; close once the outstanding ones are settled. */
  retire(): void {
    if (!this.accepting) return;
    this.#state = 'draining';
    this.#whenFree();
  }

  /** Close at once, failing the outstanding queries with `err` (the pool is shutting down). */
  destroy(err: Error): void {
    const orphans = this.#detach();
    for (const p of orphans) p.settle(err);
    this.#sock.destroy();
  }

  #onReady(): void {
    if (this.#state === 'closed') return;
    this.#established = true;
    if (this.#session !== null) this.#events.onSession(this.#session);
    this.#session = null;
    if (this.#state === 'connecting') this.#state = 'open';
    const held = this.#held;
    this.#held = [];
    for (const p of held) this.#write(p);
  }

  #write(p: PendingQuery): void {
    const frame = frameMessage(p.query);
    // The query's ID on this connection, after the length.
    frame.writeUInt16BE(p.id, 2);
    this.#sock.write(frame);
  }

  #onData(chunk: Buffer): void {
    this.#lastReadAt = performance.now();
    // At most one partial frame (under 64 KiB) stays buffered between reads.
    const frames = this.#frames;
    frames.push(chunk);
    while (this.#state !== 'closed') {
      const body = frames.next();
      if (body === null) break;
      this.#onFrame(body);
    }
  }

  #onFrame(body: Buffer): void {
    let msg: DecodedMessage;
    try {
      msg = decodeMessage(body);
    } catch {
      this.#o.onMismatch();
      return;
    }
    const p = this.#byId.get(msg.id);
    if (p === undefined || !isReplyTo(msg, { id: p.id, question: p.question })) {
      this.#o.onMismatch();
      return;
    }
    this.#byId.delete(p.id);
    // A late answer to a query that timed out only frees its ID.
    if (!p.done) {
      this.#live--;
      p.settle(null, msg);
    }
    this.#whenFree();
  }

  /** After a slot came free: close a drained connection, start the idle clock, or take more work. */
  #whenFree(): void {
    if (this.#state === 'closed') return;
    if (this.#live === 0 && this.#state === 'draining') { this.#close(); return; }
    if (this.#live === 0) this.#startIdle();
    if (this.hasRoom) this.#events.onFree(this);
  }

  #startIdle(): void {
    if (this.#idleTimer !== null) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#live === 0) this.#close();
    }, this.#o.idleMs);
    this.#idleTimer.unref();
  }

  #stopIdle(): void {
    if (this.#idleTimer === null) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  /** Close with nothing outstanding: end politely, destroy if the other side does not follow. */
  #close(): void {
    this.#detach();
    this.#events.onClose(this, [], 'connection closed', this.#established);
    this.#sock.end();
    setTimeout(() => this.#sock.destroy(), CLOSE_GRACE_MS).unref();
  }

  #onClose(): void {
    if (this.#state === 'closed') return;
    const detail = this.#error === null ? 'connection closed before an answer' : this.#error.message;
    this.#events.onClose(this, this.#detach(), detail, this.#established);
  }

  /** Mark closed and hand back the queries still waiting. */
  #detach(): PendingQuery[] {
    this.#state = 'closed';
    this.#stopIdle();
    const orphans = [...this.#byId.values()].filter((p) => !p.done);
    this.#byId.clear();
    this.#held = [];
    this.#live = 0;
    for (const p of orphans) p.conn = null;
    return orphans;
  }
}
