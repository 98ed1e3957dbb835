/**
 * The few DNS wire-format pieces the benchmark needs: encode a one-question query, read a
 * response's header and answer records, and find where a query's question ends. The benchmark keeps
 * its own small codec so that it measures rambu without trusting rambu's codec to check rambu.
 */

export const QTYPE = { A: 1, AAAA: 28 } as const;
export type QTypeName = keyof typeof QTYPE;

export const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

const HEADER_LENGTH = 12;

/** Encodes a standard query with recursion desired for `name` (no trailing dot needed). */
export function encodeQuery(id: number, name: string, qtype: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  const nameLength = labels.reduce((n, l) => n + 1 + Buffer.byteLength(l), 1);
  const buf = Buffer.alloc(HEADER_LENGTH + nameLength + 4);
  buf.writeUInt16BE(id & 0xffff, 0);
  buf.writeUInt16BE(0x0100, 2); // RD
  buf.writeUInt16BE(1, 4);
  let at = HEADER_LENGTH;
  for (const label of labels) {
    const length = buf.write(label, at + 1, 'ascii');
    if (length === 0 || length > 63) throw new RangeError(`Invalid label in "${name}"`);
    buf[at] = length;
    at += 1 + length;
  }
  buf[at] = 0;
  buf.writeUInt16BE(qtype, at + 1);
  buf.writeUInt16BE(1, at + 3); // IN
  return buf;
}

/**
 * Returns the offset just past the question of a one-question message, or -1 when the message is
 * too short or uses a compression pointer in the question (no client does in a query).
 */
export function questionEnd(msg: Buffer): number {
  let at = HEADER_LENGTH;
  while (at < msg.length) {
    const length = msg[at] ?? 0;
    if (length === 0) return at + 5 <= msg.length ? at + 5 : -1;
    if (length > 63) return -1;
    at += 1 + length;
  }
  return -1;
}

/** The parts of a response the correctness checks look at. */
export interface ResponseSummary {
  id: number;
  rcode: number;
  answers: { type: number; ttl: number; data: string }[];
}

/** Skips a possibly compressed name and returns the offset after it. */
function skipName(msg: Buffer, start: number): number {
  let at = start;
  while (at < msg.length) {
    const length = msg[at] ?? 0;
    if (length === 0) return at + 1;
    if ((length & 0xc0) === 0xc0) return at + 2;
    at += 1 + length;
  }
  throw new RangeError('Truncated name in response');
}

function formatAddress(rdata: Buffer): string {
  if (rdata.length === 4) return Array.from(rdata).join('.');
  if (rdata.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(rdata.readUInt16BE(i).toString(16));
    return groups.join(':');
  }
  return rdata.toString('hex');
}

/** Reads the header and the answer section of a response. */
export function summarizeResponse(msg: Buffer): ResponseSummary {
  if (msg.length < HEADER_LENGTH) throw new RangeError(`Response of ${msg.length} bytes is too short`);
  const id = msg.readUInt16BE(0);
  const rcode = msg.readUInt16BE(2) & 0x000f;
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  let at = HEADER_LENGTH;
  for (let i = 0; i < qdcount; i++) at = skipName(msg, at) + 4;
  const answers: ResponseSummary['answers'] = [];
  for (let i = 0; i < ancount; i++) {
    at = skipName(msg, at);
    if (at + 10 > msg.length) throw new RangeError('Truncated answer record');
    const type = msg.readUInt16BE(at);
    const ttl = msg.readUInt32BE(at + 4);
    const length = msg.readUInt16BE(at + 8);
    const rdata = msg.subarray(at + 10, at + 10 + length);
    answers.push({ type, ttl, data: formatAddress(rdata) });
    at += 10 + length;
  }
  return { id, rcode, answers };
}
