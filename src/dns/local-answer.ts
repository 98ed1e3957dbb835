/**
 * Answers the gateway makes itself rather than forwarding: errors, block answers (every qtype,
 * per `blockResponse`, with a short-lived SOA so that an unblock reaches clients within seconds)
 * and the minimal answer to ANY queries (RFC 8482).
 */
import type { BlockResponse } from '../config/index.js';
import { makeOpt } from './edns.js';
import { encodeMessage, HEADER_SIZE, type DnsMessage, type Question, type ResourceRecord } from './message-codec.js';
import { FLAG, RCODE } from './rcodes.js';
import { characterStrings } from './record-data.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

/** What a local answer needs to know about the query it answers. */
export interface LocalQuery {
  id: number;
  flags: number;
  question: Question | null;
  /** The client's EDNS UDP size, or null when it sent no OPT. */
  ednsSize: number | null;
  dnssecOk: boolean;
  /** Largest response the transport takes. */
  maxSize: number;
  ourUdpSize: number;
}

/** Zone named in the SOA of block answers: `.invalid` can never be a real zone (RFC 6761). */
export const BLOCK_SOA_MNAME = 'rambu.invalid';
export const BLOCK_SOA_RNAME = 'hostmaster.rambu.invalid';

/** Encode a response to `q`, dropping the records and setting TC when it does not fit. */
export function localResponse(q: LocalQuery, rcode: number, answers: ResourceRecord[] = [], authorities: ResourceRecord[] = []): Buffer {
  const msg: DnsMessage = {
    id: q.id,
    flags: FLAG.QR | FLAG.RA | (q.flags & (FLAG.RD | FLAG.CD | 0x7800)) | (rcode & 0xf),
    questions: q.question === null ? [] : [q.question],
    answers,
    authorities,
    additionals: q.ednsSize === null ? [] : [makeOpt(q.ourUdpSize, q.dnssecOk, rcode >>> 4)],
  };
  const wire = encodeMessage(msg);
  if (wire.length <= q.maxSize) return wire;
  msg.flags |= FLAG.TC;
  msg.answers = [];
  msg.authorities = [];
  return encodeMessage(msg);
}

/**
 * FORMERR for a packet whose header could be read but not the rest; null for one that has no
 * header or is itself a response (answering responses could start a loop between two servers).
 */
export function formerrFromHeader(packet: Buffer): Buffer | null {
  if (packet.length < HEADER_SIZE) return null;
  const flags = packet.readUInt16BE(2);
  if ((flags & FLAG.QR) !== 0) return null;
  const out = Buffer.alloc(HEADER_SIZE);
  out.writeUInt16BE(packet.readUInt16BE(0), 0);
  out.writeUInt16BE(FLAG.QR | (flags & (0x7800 | FLAG.RD)) | RCODE.FORMERR, 2);
  return out;
}

/** The SOA that block answers carry in the authority section, owned by the blocked name. */
export function blockSoa(owner: string, ttl: number): ResourceRecord {
  return {
    name: owner,
    type: RR_TYPE.SOA,
    class: RR_CLASS.IN,
    ttl,
    data: { mname: BLOCK_SOA_MNAME, rname: BLOCK_SOA_RNAME, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: ttl },
  };
}

/** The rcode and answer records of a block answer to a question of `type`. */
export function blockRecords(response: BlockResponse, name: string, type: number, ttl: number): { rcode: number; answers: ResourceRecord[] } {
  const record = (t: number, address: string): ResourceRecord[] => [{ name, type: t, class: RR_CLASS.IN, ttl, data: address }];
  switch (response.kind) {
    case 'nxdomain':
      return { rcode: RCODE.NXDOMAIN, answers: [] };
    case 'refused':
      return { rcode: RCODE.REFUSED, answers: [] };
    case 'nullip':
      if (type === RR_TYPE.A) return { rcode: RCODE.NOERROR, answers: record(type, '0.0.0.0') };
      if (type === RR_TYPE.AAAA) return { rcode: RCODE.NOERROR, answers: record(type, '::') };
      return { rcode: RCODE.NOERROR, answers: [] };
    case 'address':
      if (type === RR_TYPE.A && response.v4 !== null) return { rcode: RCODE.NOERROR, answers: record(type, response.v4) };
      if (type === RR_TYPE.AAAA && response.v6 !== null) return { rcode: RCODE.NOERROR, answers: record(type, response.v6) };
      return { rcode: RCODE.NOERROR, answers: [] };
  }
}

/** A whole block answer for `q` (which must have a question). */
export function blockAnswer(q: LocalQuery & { question: Question }, response: BlockResponse, ttl: number): { wire: Buffer; rcode: number } {
  const { rcode, answers } = blockRecords(response, q.question.name, q.question.type, ttl);
  return { wire: localResponse(q, rcode, answers, [blockSoa(q.question.name, ttl)]), rcode };
}

/** RFC 8482 §4.2: answer ANY with one synthesised HINFO record instead of everything. */
export function anyAnswer(q: LocalQuery & { question: Question }, ttl: number): Buffer {
  const hinfo: ResourceRecord = {
    name: q.question.name,
    type: RR_TYPE.HINFO,
    class: q.question.class,
    ttl,
    data: characterStrings(['RFC8482', '']),
  };
  return localResponse(q, RCODE.NOERROR, [hinfo]);
}
