/**
 * A DNS server over TCP or TLS (RFC 7766 framing) for the connection pool tests, on 127.0.0.1 port
 * 0. It counts the connections it accepts and the queries outstanding on each, and hands every query
 * to `onQuery`, which may answer at once, later, out of order, with junk first, or close the
 * connection. The TLS one presents the test-only certificate of test/fixtures for 127.0.0.1 and
 * dns.test. Every query's length and EDNS Padding option are recorded; a query over TLS that is not
 * padded to a multiple of 128 bytes, or one over TCP that is padded at all, is also listed in
 * `paddingErrors`. Padded queries get answers padded to a multiple of 468 bytes, as resolvers do
 * (RFC 8467 §4.1).
 */
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import type { UpstreamSpec } from '../../src/config/index.js';
import { decodeMessage, encodeMessage, FLAG, makeOpt, normalizeName, readEdns, RR_TYPE, type DecodedMessage } from '../../src/dns/index.js';
import { EDNS_OPTION_PADDING, padMessage, QUERY_PADDING_BLOCK, readEdnsOptions } from '../../src/dns/padding.js';
import { FrameReader, frameMessage } from '../../src/dns/stream-frames.js';
import { rr } from './fake-upstream.js';

const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);
export const TEST_CERT = readFileSync(new URL('upstream-tls-cert.pem', FIXTURES), 'utf8');
export const TEST_KEY = readFileSync(new URL('upstream-tls-key.pem', FIXTURES), 'utf8');
/** A self-signed certificate that did not sign TEST_CERT. */
export const OTHER_CA = readFileSync(new URL('other-ca-cert.pem', FIXTURES), 'utf8');

export interface StreamQuery {
  /** Connection number, 1 for the first accepted. */
  conn: number;
  socket: Socket;
  query: DecodedMessage;
  /** Normalized question name. */
  name: string;
}

/** Block size of padded answers (RFC 8467 §4.1). */
export const RESPONSE_PADDING_BLOCK = 468;

/** Length of the EDNS Padding option of `msg`, or null when it has none (or no OPT). */
export function paddingOf(msg: DecodedMessage): number | null {
  const opt = msg.additionals.find((rr) => rr.type === RR_TYPE.OPT);
  if (opt === undefined || !Buffer.isBuffer(opt.data)) return null;
  const padding = readEdnsOptions(opt.data).find((o) => o.code === EDNS_OPTION_PADDING);
  return padding === undefined ? null : padding.data.length;
}

/** The address the server gives `q<N>.example`: 198.51.100.N (N < 256). */
export function addressFor(name: string): string {
  const n = /^q(\d+)\./.exec(name)?.[1];
  return `198.51.100.${n ?? 0}`;
}

/**
 * The right answer to `query`: one A record from {@link addressFor}, with an OPT when the query had
 * one, padded when the query was; `id` and `name` may be forged.
 */
export function answerTo(query: DecodedMessage, over: { id?: number; name?: string; address?: string } = {}): Buffer {
  const q = query.questions[0]!;
  const name = over.name ?? q.name;
  const edns = readEdns(query);
  const answer = encodeMessage({
    id: over.id ?? query.id,
    flags: FLAG.QR | FLAG.RA | FLAG.RD,
    questions: [{ ...q, name }],
    answers: [rr(name, RR_TYPE.A, 300, over.address ?? addressFor(normalizeName(q.name)))],
    authorities: [],
    additionals: edns === null ? [] : [makeOpt(1232, edns.dnssecOk)],
  });
  return paddingOf(query) === null ? answer : padMessage(answer, RESPONSE_PADDING_BLOCK);
}

export class StreamServer {
  readonly tls: boolean;
  port = 0;
  /** TCP connections accepted (for TLS, handshakes that failed included). */
  accepted = 0;
  /** Numbers of the connections the client closed or that went away. */
  readonly closed: number[] = [];
  /** Every query: `length` without the length prefix, `padding` the Padding option's length or null. */
  readonly seen: { conn: number; id: number; name: string; length: number; padding: number | null }[] = [];
  /** Queries padded wrongly for the transport: over TLS, unpadded; over TCP, padded. */
  readonly paddingErrors: string[] = [];
  /** TLS connections that resumed an earlier session. */
  resumed = 0;
  /** Most unanswered queries seen on one connection at once. */
  maxOutstanding = 0;
  onQuery: (q: StreamQuery) => void = (q) => this.answer(q);
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #outstanding = new Map<Socket, number>();
  #served = 0;

  /** Connections that got as far as DNS: for TLS, after the handshake. */
  get served(): number {
    return this.#served;
  }

  private constructor(tls: boolean) {
    this.tls = tls;
    this.#server = tls
      ? createTlsServer({ cert: TEST_CERT, key: TEST_KEY }, (s) => this.#serve(s))
      : createTcpServer((s) => this.#serve(s));
    this.#server.on('connection', (s: Socket) => {
      this.accepted++;
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => undefined);
    });
    // A client refusing the certificate is expected in some tests.
    this.#server.on('tlsClientError', () => undefined);
  }

  static async start(tls: boolean): Promise<StreamServer> {
    const s = new StreamServer(tls);
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    s.port = (s.#server.address() as { port: number }).port;
    return s;
  }

  spec(over: Partial<UpstreamSpec> = {}): UpstreamSpec {
    const protocol = this.tls ? 'tls' : 'tcp';
    return { protocol, host: '127.0.0.1', port: this.port, serverName: null, label: `${protocol}://127.0.0.1:${this.port}`, ...over };
  }

  /** Queries seen for `name` (normalized), on every connection. */
  count(name: string): number {
    return this.seen.filter((q) => q.name === name).length;
  }

  /** Send `message` framed, counting it as the answer to one outstanding query. */
  answer(q: StreamQuery, message: Buffer = answerTo(q.query)): void {
    this.#outstanding.set(q.socket, (this.#outstanding.get(q.socket) ?? 1) - 1);
    this.send(q.socket, message);
  }

  /** Send `message` framed, without counting it as an answer. */
  send(socket: Socket, message: Buffer): void {
    if (!socket.destroyed) socket.write(frameMessage(message));
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    const conn = ++this.#served;
    if (socket instanceof TLSSocket && socket.isSessionReused()) this.resumed++;
    socket.on('close', () => this.closed.push(conn));
    const frames = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      frames.push(chunk);
      for (let body = frames.next(); body !== null; body = frames.next()) {
        const query = decodeMessage(body);
        const name = normalizeName(query.questions[0]!.name);
        const padding = paddingOf(query);
        this.seen.push({ conn, id: query.id, name, length: body.length, padding });
        if (this.tls && (padding === null || body.length % QUERY_PADDING_BLOCK !== 0)) {
          this.paddingErrors.push(`${name}: ${body.length} bytes over TLS, padding ${padding ?? 'none'}`);
        } else if (!this.tls && padding !== null) {
          this.paddingErrors.push(`${name}: padded to ${body.length} bytes over TCP`);
        }
        const outstanding = (this.#outstanding.get(socket) ?? 0) + 1;
        this.#outstanding.set(socket, outstanding);
        this.maxOutstanding = Math.max(this.maxOutstanding, outstanding);
        this.onQuery({ conn, socket, query, name });
      }
    });
  }
}
