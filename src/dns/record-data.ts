/**
 * Rdata of the record types whose rdata holds names (RFC 1035 §3.3, RFC 2782) or addresses
 * (RFC 1035 §3.4.1, RFC 3596), decoded so names can be decompressed and re-compressed. Every other
 * type (TXT, SVCB/HTTPS, DNSSEC types, unknown types per RFC 3597) passes through as raw bytes;
 * none of those may contain compressed names, so raw bytes stay valid in any message.
 */
import { ERROR_CODES, RambuError } from '../errors.js';
import { readName } from './domain-name.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip-address.js';
import { RR_TYPE, typeName } from './rr-types.js';
import { malformed, type WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface MxData { preference: number; exchange: string }

export interface SrvData { priority: number; weight: number; port: number; target: string }

/**
 * Decoded rdata: an address (A, AAAA) or a name (CNAME, NS, PTR, DNAME) as a string, SOA, MX and
 * SRV as objects, anything else as the raw rdata bytes.
 */
export type RecordData = string | SoaData | MxData | SrvData | Buffer;

/** Decode `length` bytes of rdata of `type` at `r.pos`; leaves `r.pos` at the end of the rdata. */
export function readRecordData(r: WireReader, type: number, length: number): RecordData {
  const start = r.pos;
  const end = start + length;
  r.need(length, 'rdata');
  let data: RecordData;
  switch (type) {
    case RR_TYPE.A:
      if (length !== 4) throw malformed(`A rdata of ${length} bytes`, start);
      data = formatIPv4(r.buf, start);
      r.pos = end;
      return data;
    case RR_TYPE.AAAA:
      if (length !== 16) throw malformed(`AAAA rdata of ${length} bytes`, start);
      data = formatIPv6(r.buf, start);
      r.pos = end;
      return data;
    case RR_TYPE.CNAME:
    case RR_TYPE.NS:
    case RR_TYPE.PTR:
    case RR_TYPE.DNAME:
      data = readName(r);
      break;
    case RR_TYPE.SOA: {
      const mname = readName(r);
      const rname = readName(r);
      data = { mname, rname, serial: r.u32('SOA serial'), refresh: r.u32('SOA refresh'), retry: r.u32('SOA retry'), expire: r.u32('SOA expire'), minimum: r.u32('SOA minimum') };
      break;
    }
    case RR_TYPE.MX: {
      const preference = r.u16('MX preference');
      data = { preference, exchange: readName(r) };
      break;
    }
    case RR_TYPE.SRV: {
      const priority = r.u16('SRV priority');
      const weight = r.u16('SRV weight');
      const port = r.u16('SRV port');
      data = { priority, weight, port, target: readName(r) };
      break;
    }
    default:
      return r.bytes(length, 'rdata');
  }
  if (r.pos !== end) throw malformed(`${typeName(type)} rdata does not fill its length ${length}`, start);
  return data;
}

function wrongShape(type: number): RambuError {
  return new RambuError(ERROR_CODES.DNS_ENCODE, `cannot encode ${typeName(type)} rdata: wrong data shape`);
}

function isObject(data: RecordData): data is SoaData | MxData | SrvData {
  return typeof data === 'object' && !Buffer.isBuffer(data);
}

/**
 * Write rdata of `type`. Only the RFC 1035 types compress the names inside (RFC 3597 §4); SRV and
 * DNAME targets are written in full.
 */
export function writeRecordData(w: WireWriter, type: number, data: RecordData): void {
  if (Buffer.isBuffer(data)) { w.bytes(data); return; }
  switch (type) {
    case RR_TYPE.A:
      if (typeof data !== 'string') throw wrongShape(type);
      w.bytes(parseIPv4(data));
      return;
    case RR_TYPE.AAAA:
      if (typeof data !== 'string') throw wrongShape(type);
      w.bytes(parseIPv6(data));
      return;
    case RR_TYPE.CNAME:
    case RR_TYPE.NS:
    case RR_TYPE.PTR:
    case RR_TYPE.DNAME:
      if (typeof data !== 'string') throw wrongShape(type);
      w.name(data, type !== RR_TYPE.DNAME);
      return;
    case RR_TYPE.SOA:
      if (!isObject(data) || !('mname' in data)) throw wrongShape(type);
      w.name(data.mname, true);
      w.name(data.rname, true);
      w.u32(data.serial); w.u32(data.refresh); w.u32(data.retry); w.u32(data.expire); w.u32(data.minimum);
      return;
    case RR_TYPE.MX:
      if (!isObject(data) || !('exchange' in data)) throw wrongShape(type);
      w.u16(data.preference);
      w.name(data.exchange, true);
      return;
    case RR_TYPE.SRV:
      if (!isObject(data) || !('target' in data)) throw wrongShape(type);
      w.u16(data.priority); w.u16(data.weight); w.u16(data.port);
      w.name(data.target, false);
      return;
    default:
      throw wrongShape(type);
  }
}

/** RFC 1035 §3.3 character-strings (TXT, HINFO rdata) from text; each at most 255 bytes. */
export function characterStrings(strings: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of strings) {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 255) throw new RambuError(ERROR_CODES.DNS_ENCODE, `character-string longer than 255 bytes: "${s.slice(0, 20)}..."`);
    parts.push(Buffer.from([b.length]), b);
  }
  return Buffer.concat(parts);
}
