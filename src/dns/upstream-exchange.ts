/**
 * One query to one upstream over UDP, TCP or TLS. A reply is accepted only when it comes from the
 * address and port asked, carries the random ID sent, and repeats the question; anything else is
 * counted and ignored while the exchange keeps waiting (an off-path spoofer cannot end it early).
 */
import { randomFillSync } from 'node:crypto';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { connect as netConnect, isIP, isIPv6, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { UpstreamSpec } from '../config/index.js';
import { ERROR_CODES, RambuError } from '../errors.js';
import { normalizeName } from './domain-name.js';
import { parseIPv6 } from './ip-address.js';
import { decodeMessage, type DecodedMessage, type Question } from './message-codec.js';
import { FLAG } from './rcodes.js';

/** What a valid reply must repeat. `name` is normalized. */
export interface Expected {
  id: number;
  question: Question;
}

const ID_POOL = Buffer.alloc(2048);
let idPos = ID_POOL.length;

/** A fresh, unpredictable 16-bit query ID from the system CSPRNG (RFC 5452 §9.2). */
export function randomId(): number {
  if (idPos >= ID_POOL.length) {
    randomFillSync(ID_POOL);
    idPos = 0;
  }
  const id = ID_POOL.readUInt16BE(idPos);
  idPos += 2;
  return id;
}

/** Whether `msg` is a response to `expected`. */
export function isReplyTo(msg: DecodedMessage, expected: Expected): boolean {
  if ((msg.flags & FLAG.QR) === 0 || msg.id !== expected.id || msg.questions.length !== 1) return false;
  const q = msg.questions[0]!;
  return q.type === expected.question.type && q.class === expected.question.class && normalizeName(q.name) === expected.question.name;
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  if (isIPv6(a) && isIPv6(b)) return parseIPv6(a).equals(parseIPv6(b));
  return false;
}

function failure(spec: UpstreamSpec, detail: string, cause?: unknown): RambuError {
  return new RambuError(ERROR_CODES.UPSTREAM_FAILED, `upstream ${spec.label} failed: ${detail}`, cause === undefined ? undefined : { cause });
}

/** Send `query` over UDP from a new socket on a random port and wait for a matching reply. */
export function exchangeUdp(spec: UpstreamSpec, query: Buffer, expected: Expected, timeoutMs: number, onMismatch: () => void): Promise<DecodedMessage> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIPv6(spec.host) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (err: Error | null, msg?: DecodedMessage): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      if (err !== null) reject(err);
      else resolve(msg!);
    };
    const timer = setTimeout(() => finish(failure(spec, `no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (err) => finish(failure(spec, err.message, err)));
    sock.on('message', (buf: Buffer, rinfo: RemoteInfo) => {
      if (rinfo.port !== spec.port || !sameAddress(rinfo.address, spec.host)) { onMismatch(); return; }
      let msg: DecodedMessage;
      try {
        msg = decodeMessage(buf);
      } catch {
        onMismatch();
        return;
      }
      if (!isReplyTo(msg, expected)) { onMismatch(); return; }
      finish(null, msg);
    });
    // Connecting binds a random ephemeral port and lets ICMP unreachable fail the attempt at once.
    sock.connect(spec.port, spec.host, () => {
      if (done) return;
      sock.send(query, (err) => { if (err) finish(failure(spec, err.message, err)); });
    });
  });
}

/** Send `query` over a new TCP or TLS connection (RFC 7766 framing) and wait for a matching reply. */
export function exchangeStream(spec: UpstreamSpec, query: Buffer, expected: Expected, timeoutMs: number, onMismatch: () => void): Promise<DecodedMessage> {
  return new Promise((resolve, reject) => {
    let sock: Socket;
    if (spec.protocol === 'tls') {
      const servername = spec.serverName ?? (isIP(spec.host) === 0 ? spec.host : undefined);
      sock = tlsConnect({ host: spec.host, port: spec.port, ...(servername === undefined ? {} : { servername }) });
    } else {
      sock = netConnect({ host: spec.host, port: spec.port });
    }
    let done = false;
    let pending: Buffer = Buffer.alloc(0);
    const finish = (err: Error | null, msg?: DecodedMessage): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err !== null) reject(err);
      else resolve(msg!);
    };
    const timer = setTimeout(() => finish(failure(spec, `no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (err) => finish(failure(spec, err.message, err)));
    sock.on('close', () => finish(failure(spec, 'connection closed before an answer')));
    sock.on(spec.protocol === 'tls' ? 'secureConnect' : 'connect', () => {
      const frame = Buffer.allocUnsafe(query.length + 2);
      frame.writeUInt16BE(query.length, 0);
      query.copy(frame, 2);
      sock.write(frame);
    });
    sock.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < len + 2) break;
        const frame = pending.subarray(2, len + 2);
        pending = pending.subarray(len + 2);
        let msg: DecodedMessage;
        try {
          msg = decodeMessage(frame);
        } catch {
          onMismatch();
          continue;
        }
        if (isReplyTo(msg, expected)) { finish(null, msg); return; }
        onMismatch();
      }
    });
  });
}
