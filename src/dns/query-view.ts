/**
 * The common query read straight from its bytes: opcode QUERY, one question whose name is plain
 * uncompressed ASCII, no answer or authority records, and at most one additional record that is an
 * EDNS(0) OPT. That is nearly every query a stub resolver sends. Reading builds no object tree: the
 * name is lowercased into a scratch buffer in one pass and becomes one string. Anything else (other
 * opcodes, compression, escapes, EDNS versions, trailing bytes) is left to the full decoder.
 */
import { RR_TYPE } from './rr-types.js';
import { HEADER_SIZE } from './message-codec.js';
import { MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from './domain-name.js';

const PIPE = 0x7c;
const DOT = 0x2e;
const BACKSLASH = 0x5c;
const DIGIT_0 = 0x30;

/** A reusable reader of one query at a time; every field describes the last packet read. */
export class QueryView {
  id = 0;
  flags = 0;
  /** Byte offset just past the question section. */
  questionEnd = 0;
  type = 0;
  class = 0;
  /** The client's EDNS UDP payload size, or -1 when the query carries no OPT record. */
  ednsSize = -1;
  dnssecOk = false;
  /** The question name lowercased, without the trailing dot (the root is `''`). */
  name = '';
  // Presentation name plus `|type|class|do`: at most 253 name bytes and 14 key bytes.
  readonly #scratch = Buffer.allocUnsafeSlow(MAX_NAME_LENGTH + 16);
  #nameLength = 0;

  /** Read `packet`; false when it is not of the common shape and needs the full decoder. */
  read(packet: Buffer): boolean {
    const length = packet.length;
    if (length < HEADER_SIZE + 5) return false;
    const flags = (packet[2]! << 8) | packet[3]!;
    // A response, or an opcode other than QUERY.
    if ((flags & 0xf800) !== 0) return false;
    if (packet[4] !== 0 || packet[5] !== 1 || packet[6] !== 0 || packet[7] !== 0 || packet[8] !== 0 || packet[9] !== 0 || packet[10] !== 0) return false;
    const additional = packet[11]!;
    if (additional > 1) return false;
    const out = this.#scratch;
    let pos = HEADER_SIZE;
    let n = 0;
    for (;;) {
      if (pos >= length) return false;
      const len = packet[pos]!;
      if (len === 0) break;
      // Larger values are compression pointers or extended label types.
      if (len > MAX_LABEL_LENGTH) return false;
      const end = pos + 1 + len;
      // The wire name (this label, the ones before and the final zero) must stay within 255 bytes.
      if (end > length || end - HEADER_SIZE + 1 > MAX_NAME_LENGTH) return false;
      if (n !== 0) out[n++] = DOT;
      for (let i = pos + 1; i < end; i++) {
        let c = packet[i]!;
        // Bytes the presentation form would escape.
        if (c < 0x21 || c > 0x7e || c === DOT || c === BACKSLASH) return false;
        if (c >= 0x41 && c <= 0x5a) c += 32;
        out[n++] = c;
      }
      pos = end;
    }
    const questionEnd = pos + 5;
    if (questionEnd > length) return false;
    let ednsSize = -1;
    let dnssecOk = false;
    if (additional === 0) {
      if (questionEnd !== length) return false;
    } else {
      const at = questionEnd;
      if (at + 11 > length || packet[at] !== 0 || packet[at + 1] !== 0 || packet[at + 2] !== RR_TYPE.OPT) return false;
      // EDNS version (the second byte of the TTL) other than 0 is answered BADVERS by the full path.
      if (packet[at + 6] !== 0) return false;
      if (at + 11 + ((packet[at + 9]! << 8) | packet[at + 10]!) !== length) return false;
      ednsSize = (packet[at + 3]! << 8) | packet[at + 4]!;
      dnssecOk = (packet[at + 7]! & 0x80) !== 0;
    }
    this.id = (packet[0]! << 8) | packet[1]!;
    this.flags = flags;
    this.questionEnd = questionEnd;
    this.type = (packet[pos + 1]! << 8) | packet[pos + 2]!;
    this.class = (packet[pos + 3]! << 8) | packet[pos + 4]!;
    this.ednsSize = ednsSize;
    this.dnssecOk = dnssecOk;
    this.#nameLength = n;
    this.name = n === 0 ? '' : out.toString('latin1', 0, n);
    return true;
  }

  /** The cache key of the question: the same text as `cacheKey(name, type, class, dnssecOk)`. */
  cacheKey(): string {
    const out = this.#scratch;
    let n = this.#nameLength;
    out[n++] = PIPE;
    n = writeDecimal(out, n, this.type);
    out[n++] = PIPE;
    n = writeDecimal(out, n, this.class);
    out[n++] = PIPE;
    out[n++] = this.dnssecOk ? DIGIT_0 + 1 : DIGIT_0;
    return out.toString('latin1', 0, n);
  }
}

/** Write `v` (0..65535) in decimal at `at`; returns the offset after it. */
function writeDecimal(out: Buffer, at: number, v: number): number {
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let i = at + digits - 1, x = v; i >= at; i--, x = Math.floor(x / 10)) out[i] = DIGIT_0 + (x % 10);
  return at + digits;
}
