/**
 * An upstream answer kept in wire form, ready to be sent to any client by patching: the ID, the
 * flags, the question (to echo the client's letter case), every TTL (counted down and clamped to
 * the policy's `until`) and an OPT record for EDNS clients. This is the hot path for cache hits.
 *
 * An entry's bytes are the response with ID 0, the question in lowercase and no OPT record, then
 * the byte offset of every TTL in it as two bytes each, starting word-aligned in memory that is
 * also seen as 32-bit words: a fresh entry owns such a buffer, a cached one lives in the cache's
 * arena (see {@link AnswerCache}). Rendering copies the response out a word at a time.
 */
import { normalizeName, readName } from './domain-name.js';
import { encodeMessage, HEADER_SIZE, type DnsMessage, type Question } from './message-codec.js';
import { FLAG, RCODE } from './rcodes.js';
import type { SoaData } from './record-data.js';
import { ResponsePool } from './response-pool.js';
import { RR_TYPE } from './rr-types.js';
import { WireReader } from './wire-reader.js';

export interface AnswerEntry {
  /** Holds the entry from `offset`: the response, then each TTL's offset as a 16-bit number. */
  readonly bytes: Uint8Array;
  /** The same memory as `bytes`, as 32-bit words. */
  readonly words: Int32Array;
  /** Where the entry starts in `bytes`: a multiple of 4. */
  readonly offset: number;
  /** Length of the response; the TTL offsets follow it. */
  readonly wireLength: number;
  /** How many TTL offsets follow the response. */
  readonly ttlCount: number;
  readonly questionEnd: number;
  /** Clock time (epoch ms) the TTLs were read at. */
  readonly storedAt: number;
  /** Seconds the entry may be cached; 0 when it must not be. */
  readonly cacheTtl: number;
  readonly rcode: number;
  readonly authenticData: boolean;
  /** Owner names and CNAME/DNAME targets in the answer section other than the question, normalized. */
  readonly names: readonly string[];
  readonly upstream: string | null;
}

export interface TtlLimits {
  minTtl: number;
  maxTtl: number;
  negativeMaxTtl: number;
}

const FLAGS_KEPT = FLAG.AA | FLAG.AD | 0x000f;
/** The names of an entry that has no other names than the question's. */
export const NO_NAMES: readonly string[] = Object.freeze([]);

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Build an entry from an upstream response to `question`. Positive answers are cacheable for the
 * smallest record TTL within [minTtl, maxTtl]; negative ones (NXDOMAIN, NODATA) for the SOA's
 * min(TTL, minimum) up to negativeMaxTtl (RFC 2308 §5); SERVFAIL and referrals not at all.
 */
export function createAnswerEntry(response: DnsMessage, question: Question, now: number, limits: TtlLimits, upstream: string | null): AnswerEntry {
  const rcode = response.flags & 0xf;
  // Copies: the TTLs are rewritten below and the caller's message stays as it was.
  const answers = response.answers.filter((rr) => rr.type !== RR_TYPE.OPT).map((rr) => ({ ...rr }));
  const authorities = response.authorities.filter((rr) => rr.type !== RR_TYPE.OPT).map((rr) => ({ ...rr }));
  const additionals = response.additionals.filter((rr) => rr.type !== RR_TYPE.OPT);
  const negative = rcode === RCODE.NXDOMAIN || (rcode === RCODE.NOERROR && answers.length === 0);
  let cacheTtl = 0;
  if (negative) {
    const soa = authorities.find((rr) => rr.type === RR_TYPE.SOA);
    if (soa !== undefined && typeof soa.data === 'object' && 'minimum' in soa.data) {
      const ttl = Math.min(soa.ttl, (soa.data as SoaData).minimum, limits.negativeMaxTtl);
      soa.ttl = ttl;
      cacheTtl = ttl;
    }
  } else if (rcode === RCODE.NOERROR) {
    let min = Infinity;
    for (const rr of answers) {
      rr.ttl = clamp(rr.ttl, limits.minTtl, limits.maxTtl);
      if (rr.ttl < min) min = rr.ttl;
    }
    for (const rr of authorities) {
      rr.ttl = clamp(rr.ttl, limits.minTtl, limits.maxTtl);
      if (rr.ttl < min) min = rr.ttl;
    }
    cacheTtl = min === Infinity ? 0 : min;
  }
  const qname = normalizeName(question.name);
  const names = new Set<string>();
  for (const rr of answers) {
    names.add(normalizeName(rr.name));
    if ((rr.type === RR_TYPE.CNAME || rr.type === RR_TYPE.DNAME) && typeof rr.data === 'string') names.add(normalizeName(rr.data));
  }
  names.delete(qname);
  const ttlOffsets: number[] = [];
  const encoded = encodeMessage({
    id: 0,
    flags: FLAG.QR | FLAG.RA | (response.flags & FLAGS_KEPT & ~FLAG.AA),
    questions: [{ name: qname, type: question.type, class: question.class }],
    answers,
    authorities,
    additionals,
  }, { ttlOffsets });
  const wireLength = encoded.length;
  const questionEnd = questionEndOf(encoded);
  // Escaped capitals survive normalizeName; the key lowercases every ASCII letter.
  for (let i = HEADER_SIZE; i < questionEnd - 4; i++) {
    const c = encoded[i]!;
    if (c >= 0x41 && c <= 0x5a) encoded[i] = c + 32;
  }
  const words = new Int32Array((wireLength + 2 * ttlOffsets.length + 3) >>> 2);
  const bytes = new Uint8Array(words.buffer);
  bytes.set(encoded);
  for (let i = 0; i < ttlOffsets.length; i++) {
    const at = wireLength + 2 * i;
    bytes[at] = ttlOffsets[i]! >>> 8;
    bytes[at + 1] = ttlOffsets[i]! & 0xff;
  }
  return {
    bytes,
    words,
    offset: 0,
    wireLength,
    ttlCount: ttlOffsets.length,
    questionEnd,
    storedAt: now,
    cacheTtl,
    rcode,
    authenticData: (response.flags & FLAG.AD) !== 0,
    names: names.size === 0 ? NO_NAMES : [...names],
    upstream,
  };
}

function questionEndOf(wire: Buffer): number {
  const r = new WireReader(wire, HEADER_SIZE);
  readName(r);
  return r.pos + 4;
}

/** Whether the entry's TTLs have run out at `now`. */
export function isExpired(entry: AnswerEntry, now: number): boolean {
  return now - entry.storedAt >= entry.cacheTtl * 1000;
}

export interface RenderRequest {
  /** The client's packet, for its ID, flags and question bytes. */
  query: Buffer;
  queryQuestionEnd: number;
  /** Client's EDNS: null when it sent no OPT. */
  ednsSize: number | null;
  dnssecOk: boolean;
  /** Largest response the transport takes (the UDP size, or 65535 over TCP). */
  maxSize: number;
  /** UDP payload size we advertise. */
  ourUdpSize: number;
  now: number;
  /** Upper bound of every TTL, seconds (from the policy's `until`); Infinity for none. */
  ttlCap: number;
  /** Set by {@link renderAnswer}: the smallest TTL it wrote, -1 when it wrote none (no records, or
   *  truncated). With `now` it gives the answer's expiry, for the answer cache's "last given" mark. */
  minTtl?: number;
}

const OPT_SIZE = 11;

function writeOpt(out: Buffer, at: number, udpSize: number, dnssecOk: boolean): void {
  out[at] = 0;
  out.writeUInt16BE(RR_TYPE.OPT, at + 1);
  out.writeUInt16BE(udpSize, at + 3);
  out.writeUInt32BE(dnssecOk ? 0x8000 : 0, at + 5);
  out.writeUInt16BE(0, at + 9);
}

const RESPONSES = new ResponsePool();

/** The response for one client, built from an entry without decoding or encoding. */
export function renderAnswer(entry: AnswerEntry, req: RenderRequest): Buffer {
  const query = req.query;
  const qflags = (query[2]! << 8) | query[3]!;
  const optLen = req.ednsSize === null ? 0 : OPT_SIZE;
  const bytes = entry.bytes;
  const base = entry.offset;
  const wireLength = entry.wireLength;
  let flags = (((bytes[base + 2]! << 8) | bytes[base + 3]!) & ~FLAG.AD) | (qflags & (FLAG.RD | FLAG.CD));
  // RFC 6840 §5.8: set AD only for clients that asked for DNSSEC (DO or AD).
  if (entry.authenticData && (req.dnssecOk || (qflags & FLAG.AD) !== 0)) flags |= FLAG.AD;
  const qEnd = entry.questionEnd;
  const sameQuestion = req.queryQuestionEnd === qEnd;
  if (wireLength + optLen > req.maxSize) {
    // Does not fit: header, question and OPT with TC, so the client retries over TCP.
    const out = RESPONSES.copy(entry.words, base, qEnd, qEnd + optLen);
    if (sameQuestion) copyQuestion(query, out, qEnd);
    out[0] = query[0]!;
    out[1] = query[1]!;
    out.writeUInt16BE(flags | FLAG.TC, 2);
    out.writeUInt32BE(0, 6);
    out.writeUInt16BE(optLen === 0 ? 0 : 1, 10);
    if (optLen !== 0) writeOpt(out, qEnd, req.ourUdpSize, req.dnssecOk);
    req.minTtl = -1;
    return out;
  }
  const out = RESPONSES.copy(entry.words, base, wireLength, wireLength + optLen);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out.writeUInt16BE(flags, 2);
  if (sameQuestion) copyQuestion(query, out, qEnd);
  const elapsed = Math.max(0, Math.floor((req.now - entry.storedAt) / 1000));
  const cap = req.ttlCap;
  let minTtl = -1;
  for (let p = base + wireLength, end = p + 2 * entry.ttlCount; p < end; p += 2) {
    const at = (bytes[p]! << 8) | bytes[p + 1]!;
    let ttl = ((out[at]! << 24) | (out[at + 1]! << 16) | (out[at + 2]! << 8) | out[at + 3]!) >>> 0;
    ttl -= elapsed;
    if (ttl < 0) ttl = 0;
    if (ttl > cap) ttl = cap;
    if (minTtl < 0 || ttl < minTtl) minTtl = ttl;
    out[at] = ttl >>> 24;
    out[at + 1] = (ttl >>> 16) & 0xff;
    out[at + 2] = (ttl >>> 8) & 0xff;
    out[at + 3] = ttl & 0xff;
  }
  if (optLen !== 0) {
    writeOpt(out, wireLength, req.ourUdpSize, req.dnssecOk);
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  }
  req.minTtl = minTtl;
  return out;
}

/**
 * The response for one client from an entry whose TTLs have run out, served stale (RFC 8767 §4):
 * as {@link renderAnswer}, with every TTL set to `ttl`. Off the hot path: it patches the TTLs again.
 */
export function renderStaleAnswer(entry: AnswerEntry, req: RenderRequest, ttl: number): Buffer {
  const out = renderAnswer(entry, req);
  // Truncated (TC, which a stored entry never has): header, question and OPT only, no TTL to set.
  if ((out[2]! & (FLAG.TC >>> 8)) !== 0) return out;
  const bytes = entry.bytes;
  for (let p = entry.offset + entry.wireLength, end = p + 2 * entry.ttlCount; p < end; p += 2) {
    out.writeUInt32BE(ttl, (bytes[p]! << 8) | bytes[p + 1]!);
  }
  return out;
}

/** Copy the client's question (its letter case) over the stored one; a byte loop, as it is short. */
function copyQuestion(query: Buffer, out: Buffer, qEnd: number): void {
  for (let i = HEADER_SIZE; i < qEnd; i++) out[i] = query[i]!;
}
