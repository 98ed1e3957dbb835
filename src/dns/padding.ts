/**
 * EDNS(0) Padding (RFC 7830): an option filled with zeros, in the OPT record, that makes a message's
 * length a multiple of a block size, so that someone watching an encrypted stream cannot tell
 * query names apart by length. Queries to tls:// upstreams are padded to 128-byte blocks, the
 * Block-Length Padding RFC 8467 §4.1 recommends for clients; padding on cleartext transports only
 * costs bytes (RFC 7830 §6).
 */
import { readName } from './domain-name.js';
import { MIN_UDP_SIZE } from './edns.js';
import { HEADER_SIZE } from './message-codec.js';
import { RR_TYPE } from './rr-types.js';
import { malformed, WireReader } from './wire-reader.js';

/** EDNS option code of Padding (RFC 7830 §3). */
export const EDNS_OPTION_PADDING = 12;

/** Block size queries are padded to (RFC 8467 §4.1). */
export const QUERY_PADDING_BLOCK = 128;

/** Option code and option length, before an option's data (RFC 6891 §6.1.2). */
const OPTION_HEADER = 4;
/** Root name, type, class, TTL and rdata length of an OPT record. */
const OPT_HEADER = 11;
/** Largest message a stream transport frames (RFC 7766 §8, RFC 1035 §4.2.2). */
const MAX_MESSAGE = 0xffff;

/** Where the OPT record of a message keeps its rdata. */
interface OptPlace {
  /** Offset of the rdata length field; the rdata follows it. */
  lengthAt: number;
  rdataEnd: number;
}

/** Skip `count` records, returning the OPT among them (when `findOpt`) or null. */
function skipRecords(r: WireReader, count: number, findOpt: boolean): OptPlace | null {
  let opt: OptPlace | null = null;
  for (let i = 0; i < count; i++) {
    const start = r.pos;
    const name = readName(r);
    const type = r.u16('record type');
    r.bytes(6, 'record class and TTL');
    const lengthAt = r.pos;
    const length = r.u16('rdata length');
    r.bytes(length, 'rdata');
    if (!findOpt || type !== RR_TYPE.OPT) continue;
    if (opt !== null) throw malformed('more than one OPT record', start);
    if (name !== '') throw malformed('OPT record with a non-root name', start);
    opt = { lengthAt, rdataEnd: r.pos };
  }
  return opt;
}

/** One option of an OPT record's rdata (RFC 6891 §6.1.2). */
export interface EdnsOption {
  code: number;
  data: Buffer;
}

/**
 * The options in the rdata of an OPT record, in wire order; `data` shares memory with `rdata`.
 * An option that runs past the end is DNS_MALFORMED; `base`, the rdata's offset in its message,
 * only places the error.
 */
export function readEdnsOptions(rdata: Buffer, base = 0): EdnsOption[] {
  const options: EdnsOption[] = [];
  let at = 0;
  while (at < rdata.length) {
    if (at + OPTION_HEADER > rdata.length) throw malformed('EDNS option header runs past the OPT rdata', base + at);
    const code = rdata.readUInt16BE(at);
    const end = at + OPTION_HEADER + rdata.readUInt16BE(at + 2);
    if (end > rdata.length) throw malformed(`EDNS option ${code} runs past the OPT rdata`, base + at);
    options.push({ code, data: rdata.subarray(at + OPTION_HEADER, end) });
    at = end;
  }
  return options;
}

/**
 * `message` padded with zeros to the closest multiple of `blockSize` bytes (the message itself,
 * without a stream transport's length prefix). The Padding option goes last in the message's OPT
 * record, replacing any Padding option already there, so padding twice changes nothing; the other
 * options, the header and every record stay as they are. A message without an OPT record gets one
 * (advertising 512 bytes, which stream transports ignore). A message that does not decode is
 * DNS_MALFORMED; one too long to pad within 65535 bytes is a RangeError.
 */
export function padMessage(message: Buffer, blockSize: number = QUERY_PADDING_BLOCK): Buffer {
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > MAX_MESSAGE) throw new RangeError(`padding block size ${blockSize} is not an integer in 1..${MAX_MESSAGE}`);
  if (message.length < HEADER_SIZE) throw malformed(`message of ${message.length} bytes is shorter than a header`, 0);
  const r = new WireReader(message, HEADER_SIZE);
  for (let i = message.readUInt16BE(4); i > 0; i--) {
    readName(r);
    r.u32('question type and class');
  }
  skipRecords(r, message.readUInt16BE(6) + message.readUInt16BE(8), false);
  const opt = skipRecords(r, message.readUInt16BE(10), true);
  if (r.pos !== message.length) throw malformed(`${message.length - r.pos} bytes after the last record`, r.pos);

  // head: everything up to the OPT rdata; kept: its other options; tail: the records after it.
  const head = opt === null ? message.length + OPT_HEADER : opt.lengthAt + 2;
  const kept = opt === null ? [] : readEdnsOptions(message.subarray(head, opt.rdataEnd), head).filter((o) => o.code !== EDNS_OPTION_PADDING);
  const tail = opt === null ? message.length : opt.rdataEnd;
  const keptLength = kept.reduce((n, o) => n + OPTION_HEADER + o.data.length, 0);
  const unpadded = head + keptLength + OPTION_HEADER + (message.length - tail);
  const padding = (blockSize - (unpadded % blockSize)) % blockSize;
  const total = unpadded + padding;
  if (total > MAX_MESSAGE) throw new RangeError(`message of ${message.length} bytes cannot be padded to a multiple of ${blockSize} within ${MAX_MESSAGE} bytes`);

  const out = Buffer.alloc(total);
  if (opt === null) {
    message.copy(out, 0);
    out.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
    // Root name (the zero byte Buffer.alloc left), type, UDP size; extended rcode, version, flags 0.
    out.writeUInt16BE(RR_TYPE.OPT, message.length + 1);
    out.writeUInt16BE(MIN_UDP_SIZE, message.length + 3);
  } else {
    message.copy(out, 0, 0, head);
  }
  out.writeUInt16BE(keptLength + OPTION_HEADER + padding, head - 2);
  let at = head;
  for (const o of kept) {
    out.writeUInt16BE(o.code, at);
    out.writeUInt16BE(o.data.length, at + 2);
    at += OPTION_HEADER + o.data.copy(out, at + OPTION_HEADER);
  }
  out.writeUInt16BE(EDNS_OPTION_PADDING, at);
  out.writeUInt16BE(padding, at + 2);
  // The padding bytes stay the zeros of Buffer.alloc (RFC 7830 §4).
  message.copy(out, at + OPTION_HEADER + padding, tail);
  return out;
}
