/**
 * Block answers built by patching the query instead of encoding a message: the client's header and
 * question are copied, the flags and counts rewritten, and the answer record (for `nullip` and
 * `address`), the SOA and the OPT are appended from bytes prepared once. The result is byte for
 * byte what {@link blockAnswer} encodes for the same query.
 */
import type { BlockResponse } from '../config/index.js';
import { BLOCK_SOA_MNAME, BLOCK_SOA_RNAME, blockRecords } from './local-answer.js';
import { HEADER_SIZE } from './message-codec.js';
import type { QueryView } from './query-view.js';
import { FLAG } from './rcodes.js';
import { parseIPv4, parseIPv6 } from './ip-address.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

const POINTER_TO_QUESTION = 0xc00c;

function labelsOf(name: string): Buffer {
  const parts: number[] = [];
  for (const label of name.split('.')) parts.push(label.length, ...Buffer.from(label, 'latin1'));
  return Buffer.from(parts);
}

/** Writes the block answers of one `blockResponse` and block TTL. */
export class BlockWriter {
  readonly #ttl: number;
  readonly #rcode: number;
  readonly #ourUdpSize: number;
  readonly #v4: Buffer | null;
  readonly #v6: Buffer | null;
  /** `rambu.invalid` in full, then `hostmaster` and a pointer back to it (patched per answer). */
  readonly #soaNames: Buffer;
  readonly #rnamePointerAt: number;

  constructor(response: BlockResponse, ttl: number, ourUdpSize: number) {
    this.#ttl = ttl;
    // The rcode depends on the kind of block answer only, never on the question type.
    this.#rcode = blockRecords(response, '', RR_TYPE.A, ttl).rcode;
    this.#ourUdpSize = ourUdpSize;
    this.#v4 = response.kind === 'nullip' ? parseIPv4('0.0.0.0') : response.kind === 'address' && response.v4 !== null ? parseIPv4(response.v4) : null;
    this.#v6 = response.kind === 'nullip' ? parseIPv6('::') : response.kind === 'address' && response.v6 !== null ? parseIPv6(response.v6) : null;
    const mname = Buffer.concat([labelsOf(BLOCK_SOA_MNAME), Buffer.from([0])]);
    const host = BLOCK_SOA_RNAME.slice(0, BLOCK_SOA_RNAME.length - BLOCK_SOA_MNAME.length - 1);
    const rnameHead = labelsOf(host);
    this.#rnamePointerAt = mname.length + rnameHead.length;
    this.#soaNames = Buffer.concat([mname, rnameHead, Buffer.from([0xc0, 0])]);
  }

  /** The rcode of every block answer. */
  get rcode(): number {
    return this.#rcode;
  }

  /**
   * The block answer to `query`, as read into `view`, or null when it would not fit in `maxSize`
   * (the full path then sets TC). The question name must not end in `.invalid`, which the SOA's
   * names would otherwise be compressed against.
   */
  write(query: Buffer, view: QueryView, maxSize: number): Buffer | null {
    const type = view.type;
    const rcode = this.#rcode;
    const address = rcode !== 0 ? null : type === RR_TYPE.A ? this.#v4 : type === RR_TYPE.AAAA ? this.#v6 : null;
    const qEnd = view.questionEnd;
    // The owner of the records is the question name: a pointer to it, or the root's single zero.
    const ownerLength = view.name === '' ? 1 : 2;
    const answerLength = address === null ? 0 : ownerLength + 10 + address.length;
    const soaNames = this.#soaNames;
    const soaLength = ownerLength + 10 + soaNames.length + 20;
    const optLength = view.ednsSize < 0 ? 0 : 11;
    const total = qEnd + answerLength + soaLength + optLength;
    if (total > maxSize) return null;
    const out = Buffer.allocUnsafe(total);
    query.copy(out, 0, 0, qEnd);
    out.writeUInt16BE(FLAG.QR | FLAG.RA | (view.flags & (FLAG.RD | FLAG.CD | 0x7800)) | rcode, 2);
    out.writeUInt16BE(address === null ? 0 : 1, 6);
    out.writeUInt16BE(1, 8);
    out.writeUInt16BE(optLength === 0 ? 0 : 1, 10);
    let at = qEnd;
    const ttl = this.#ttl;
    if (address !== null) {
      at = writeOwner(out, at, ownerLength);
      at = writeRecordHead(out, at, type, ttl, address.length);
      address.copy(out, at);
      at += address.length;
    }
    at = writeOwner(out, at, ownerLength);
    at = writeRecordHead(out, at, RR_TYPE.SOA, ttl, soaNames.length + 20);
    const mnameAt = at;
    soaNames.copy(out, at);
    out[at + this.#rnamePointerAt + 1] = mnameAt & 0xff;
    out[at + this.#rnamePointerAt] = 0xc0 | (mnameAt >>> 8);
    at += soaNames.length;
    out.writeUInt32BE(1, at);
    out.writeUInt32BE(3600, at + 4);
    out.writeUInt32BE(600, at + 8);
    out.writeUInt32BE(86400, at + 12);
    out.writeUInt32BE(ttl, at + 16);
    at += 20;
    if (optLength !== 0) {
      out[at] = 0;
      out.writeUInt16BE(RR_TYPE.OPT, at + 1);
      out.writeUInt16BE(this.#ourUdpSize, at + 3);
      // Extended rcode bits are zero: every block rcode fits in the header.
      out.writeUInt32BE(view.dnssecOk ? 0x8000 : 0, at + 5);
      out.writeUInt16BE(0, at + 9);
    }
    return out;
  }
}

function writeOwner(out: Buffer, at: number, ownerLength: number): number {
  if (ownerLength === 1) out[at] = 0;
  else out.writeUInt16BE(POINTER_TO_QUESTION, at);
  return at + ownerLength;
}

function writeRecordHead(out: Buffer, at: number, type: number, ttl: number, rdLength: number): number {
  out.writeUInt16BE(type, at);
  out.writeUInt16BE(RR_CLASS.IN, at + 2);
  out.writeUInt32BE(ttl, at + 4);
  out.writeUInt16BE(rdLength, at + 8);
  return at + 10;
}

/** Whether the SOA names of block answers would compress against `name` (lowercase). */
export function sharesBlockZone(name: string): boolean {
  return name === 'invalid' || name.endsWith('.invalid');
}
