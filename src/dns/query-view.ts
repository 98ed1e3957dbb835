/**
 * The common query read straight from its bytes: opcode QUERY, one question whose name is plain
 * uncompressed ASCII, no answer or authority records, and at most one additional record that is an
 * EDNS(0) OPT. That is nearly every query a stub resolver sends. Reading builds no object tree: in
 * one pass the name is lowercased into a scratch buffer that becomes one string, and the question
 * into another in wire form, the answer cache's key. Anything else (other opcodes, compression,
 * escapes, EDNS versions, trailing bytes) is left to the full decoder.
 */
import { RR_TYPE } from './rr-types.js';
import { HEADER_SIZE } from './message-codec.js';
import { MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from './domain-name.js';
import { MAX_QUESTION_KEY } from './question-key.js';

const DOT = 0x2e;
const BACKSLASH = 0x5c;

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
  /**
   * The question in wire form with the name lowercased, `keyLength` bytes from 0: the cache key
   * (the same bytes as `writeQuestionKey(name, type, class)`). Overwritten by the next read.
   */
  readonly key = Buffer.allocUnsafeSlow(MAX_QUESTION_KEY);
  keyLength = 0;
  // The presentation name: at most 253 bytes.
  readonly #scratch = Buffer.allocUnsafeSlow(MAX_NAME_LENGTH);

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
    const key = this.key;
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
      key[pos - HEADER_SIZE] = len;
      for (let i = pos + 1; i < end; i++) {
        let c = packet[i]!;
        // Bytes the presentation form would escape.
        if (c < 0x21 || c > 0x7e || c === DOT || c === BACKSLASH) return false;
        if (c >= 0x41 && c <= 0x5a) c += 32;
        out[n++] = c;
        key[i - HEADER_SIZE] = c;
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
    // The name's final zero, type and class.
    for (let i = pos; i < questionEnd; i++) key[i - HEADER_SIZE] = packet[i]!;
    this.keyLength = questionEnd - HEADER_SIZE;
    this.name = n === 0 ? '' : out.toString('latin1', 0, n);
    return true;
  }
}
