/**
 * EDNS(0) (RFC 6891): the OPT pseudo-record carries the requestor's UDP payload size, the DO bit
 * (RFC 3225) and the upper bits of the rcode. It is hop-by-hop: never cached, never forwarded.
 */
import type { DnsMessage, ResourceRecord } from './message-codec.js';
import { RR_TYPE } from './rr-types.js';
import { malformed } from './wire-reader.js';

/** DNSSEC OK, in the 16 flag bits of the OPT TTL field. */
export const EDNS_DO = 0x8000;

/** Smallest UDP payload every DNS node must accept, and the floor for advertised sizes. */
export const MIN_UDP_SIZE = 512;

/** Payload size that avoids IP fragmentation on nearly every path (DNS flag day 2020). */
export const DEFAULT_UDP_SIZE = 1232;

export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
  /** Upper 8 bits of the 12-bit rcode. */
  extendedRcode: number;
}

/**
 * The EDNS parameters of a message, or null when it has no OPT record. More than one OPT, or an
 * OPT with a name other than the root or outside the additional section, is DNS_MALFORMED.
 */
export function readEdns(msg: DnsMessage): Edns | null {
  let opt: ResourceRecord | null = null;
  for (const rr of msg.additionals) {
    if (rr.type !== RR_TYPE.OPT) continue;
    if (opt !== null) throw malformed('more than one OPT record', 0);
    if (rr.name !== '') throw malformed('OPT record with a non-root name', 0);
    opt = rr;
  }
  for (const rr of msg.answers) if (rr.type === RR_TYPE.OPT) throw malformed('OPT record in the answer section', 0);
  for (const rr of msg.authorities) if (rr.type === RR_TYPE.OPT) throw malformed('OPT record in the authority section', 0);
  if (opt === null) return null;
  return {
    udpSize: opt.class,
    version: (opt.ttl >>> 16) & 0xff,
    dnssecOk: (opt.ttl & EDNS_DO) !== 0,
    extendedRcode: opt.ttl >>> 24,
  };
}

/** An OPT record advertising `udpSize`, with the DO bit and extended rcode bits given. */
export function makeOpt(udpSize: number, dnssecOk: boolean, extendedRcode = 0): ResourceRecord {
  return {
    name: '',
    type: RR_TYPE.OPT,
    class: udpSize,
    ttl: ((extendedRcode & 0xff) << 24) + (dnssecOk ? EDNS_DO : 0),
    data: Buffer.alloc(0),
  };
}
