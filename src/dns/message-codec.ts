/**
 * Whole DNS messages (RFC 1035 §4): header, question, answer, authority and additional sections.
 * Pure functions over Buffers; decoding throws DNS_MALFORMED, encoding DNS_ENCODE.
 */
import { readName } from './domain-name.js';
import { readRecordData, writeRecordData, type RecordData } from './record-data.js';
import { RR_TYPE } from './rr-types.js';
import { malformed, WireReader } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

export const HEADER_SIZE = 12;

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface ResourceRecord {
  name: string;
  type: number;
  /** The class; for OPT the requestor's UDP payload size. */
  class: number;
  /** Seconds; for OPT the extended rcode, version and flags. */
  ttl: number;
  data: RecordData;
}

export interface DnsMessage {
  id: number;
  /** QR, opcode, AA, TC, RD, RA, Z, AD, CD and rcode as on the wire; see FLAG in rcodes.ts. */
  flags: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

/** A decoded message with where its question section ends, for copying a question verbatim. */
export interface DecodedMessage extends DnsMessage {
  questionEnd: number;
}

/** The ID and flags of a message, when at least its 12-byte header is present. */
export function readHeader(buf: Buffer): { id: number; flags: number } | null {
  if (buf.length < HEADER_SIZE) return null;
  return { id: buf.readUInt16BE(0), flags: buf.readUInt16BE(2) };
}

function readRecords(r: WireReader, count: number, out: ResourceRecord[]): void {
  for (let i = 0; i < count; i++) {
    const name = readName(r);
    const type = r.u16('record type');
    const cls = r.u16('record class');
    const ttl = r.u32('record TTL');
    const length = r.u16('rdata length');
    out.push({ name, type, class: cls, ttl, data: readRecordData(r, type, length) });
  }
}

/**
 * Decode a message. Counts that promise more than the bytes can hold, names that break the
 * compression rules, rdata that does not fill its length, and bytes after the last record are all
 * DNS_MALFORMED.
 */
export function decodeMessage(buf: Buffer): DecodedMessage {
  if (buf.length < HEADER_SIZE) throw malformed(`message of ${buf.length} bytes is shorter than a header`, 0);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  // Each question takes at least 5 bytes and each record at least 11: reject lying counts early.
  if (qd * 5 + (an + ns + ar) * 11 > buf.length - HEADER_SIZE) throw malformed(`section counts ${qd}/${an}/${ns}/${ar} exceed the message`, 4);
  const r = new WireReader(buf, HEADER_SIZE);
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    const name = readName(r);
    questions.push({ name, type: r.u16('question type'), class: r.u16('question class') });
  }
  const questionEnd = r.pos;
  const answers: ResourceRecord[] = [];
  const authorities: ResourceRecord[] = [];
  const additionals: ResourceRecord[] = [];
  readRecords(r, an, answers);
  readRecords(r, ns, authorities);
  readRecords(r, ar, additionals);
  if (r.pos !== buf.length) throw malformed(`${buf.length - r.pos} bytes after the last record`, r.pos);
  return { id: buf.readUInt16BE(0), flags: buf.readUInt16BE(2), questions, answers, authorities, additionals, questionEnd };
}

export interface EncodeOptions {
  /** Filled with the byte offset of the TTL of every record except OPT, in message order. */
  ttlOffsets?: number[];
}

function writeRecords(w: WireWriter, records: readonly ResourceRecord[], ttlOffsets: number[] | undefined): void {
  for (const rr of records) {
    w.name(rr.name, true);
    w.u16(rr.type);
    w.u16(rr.class);
    if (ttlOffsets !== undefined && rr.type !== RR_TYPE.OPT) ttlOffsets.push(w.pos);
    w.u32(rr.ttl);
    const lengthAt = w.pos;
    w.u16(0);
    writeRecordData(w, rr.type, rr.data);
    w.setU16(lengthAt, w.pos - lengthAt - 2);
  }
}

/** Encode a message with name compression. */
export function encodeMessage(msg: DnsMessage, options: EncodeOptions = {}): Buffer {
  const w = new WireWriter();
  w.u16(msg.id);
  w.u16(msg.flags);
  w.u16(msg.questions.length);
  w.u16(msg.answers.length);
  w.u16(msg.authorities.length);
  w.u16(msg.additionals.length);
  for (const q of msg.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  writeRecords(w, msg.answers, options.ttlOffsets);
  writeRecords(w, msg.authorities, options.ttlOffsets);
  writeRecords(w, msg.additionals, options.ttlOffsets);
  return w.finish();
}
