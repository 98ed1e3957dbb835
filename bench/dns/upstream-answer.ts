/**
 * What the benchmark's fake upstream answers: every A query gets 198.51.100.7 and every AAAA query
 * 2001:db8::7, TTL 3600 (so the resolvers under test cache everything); every other type gets an
 * empty NOERROR. Building a response only copies the question and appends a fixed record.
 */
import { QTYPE, questionEnd } from './dns-wire.js';

export const UPSTREAM_TTL = 3600;
export const UPSTREAM_A = '198.51.100.7';
export const UPSTREAM_AAAA = '2001:db8:0:0:0:0:0:7';

/** Answer record after the question: name pointer to offset 12, type, class IN, TTL, rdata. */
function answerRecord(type: number, rdata: number[]): Buffer {
  const rr = Buffer.alloc(12 + rdata.length);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(UPSTREAM_TTL, 6);
  rr.writeUInt16BE(rdata.length, 10);
  Buffer.from(rdata).copy(rr, 12);
  return rr;
}

const A_RECORD = answerRecord(QTYPE.A, [198, 51, 100, 7]);
const AAAA_RECORD = answerRecord(QTYPE.AAAA, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);

/** Builds the response to `query`, or null for a message that is not a one-question query. */
export function answer(query: Buffer): Buffer | null {
  if (query.length < 17 || (query[2]! & 0x80) !== 0 || query.readUInt16BE(4) !== 1) return null;
  const end = questionEnd(query);
  if (end < 0) return null;
  const qtype = query.readUInt16BE(end - 4);
  const record = qtype === QTYPE.A ? A_RECORD : qtype === QTYPE.AAAA ? AAAA_RECORD : null;
  const response = Buffer.allocUnsafe(end + (record?.length ?? 0));
  query.copy(response, 0, 0, end);
  // QR and RA set; opcode and RD kept from the query; AA, TC, Z and rcode cleared.
  response[2] = 0x80 | (query[2]! & 0x79);
  response[3] = 0x80;
  response.writeUInt16BE(record === null ? 0 : 1, 6);
  response.writeUInt32BE(0, 8);
  if (record !== null) record.copy(response, end);
  return response;
}

