/**
 * One query to one upstream over UDP, and what every transport shares: random IDs and the reply
 * check. A reply is accepted only when it comes from the address and port asked, carries the random
 * ID sent, and repeats the question; anything else is counted and ignored while the exchange keeps
 * waiting (an off-path spoofer cannot end it early). TCP and TLS go through upstream-stream.ts.
 */
import { randomFillSync } from 'node:crypto';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
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

/** UPSTREAM_FAILED naming the upstream, with `detail` after a colon. */
export function upstreamFailure(spec: UpstreamSpec, detail: string, cause?: unknown): RambuError {
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
    const timer = setTimeout(() => finish(upstreamFailure(spec, `no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (err) => finish(upstreamFailure(spec, err.message, err)));
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
      sock.send(query, (err) => { if (err) finish(upstreamFailure(spec, err.message, err)); });
    });
  });
}
