/**
 * The answer cache's key: the question in wire form with the name lowercased (RFC 4343), that is
 * the name's labels, its final zero, the type and the class, plus the DO bit kept beside it. It is
 * byte for byte the question section of a cached answer, so the cache keeps no key of its own and
 * compares a lookup against the answer's stored question. The fast path gets the key from
 * {@link QueryView} as it reads a query; the full path writes it from the decoded name here.
 */
import { MAX_NAME_LENGTH, nameLabels } from './domain-name.js';

/** Longest key: a 255-byte wire name, then type and class. */
export const MAX_QUESTION_KEY = MAX_NAME_LENGTH + 4;

/** Hashes `bytes[start, end)` and the DO bit to a 32-bit integer; injectable for tests. */
export type QuestionHash = (bytes: Uint8Array, start: number, end: number, dnssecOk: boolean) => number;

/**
 * Write the key of `name` (normalized presentation form, escapes allowed), `type` and `cls` into
 * `out` from offset 0; returns its length. Throws DNS_ENCODE on a name that cannot be encoded.
 */
export function writeQuestionKey(out: Uint8Array, name: string, type: number, cls: number): number {
  let n = 0;
  for (const label of nameLabels(name)) {
    out[n++] = label.length;
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i);
      out[n++] = c >= 0x41 && c <= 0x5a ? c + 32 : c;
    }
  }
  out[n++] = 0;
  out[n++] = type >>> 8;
  out[n++] = type & 0xff;
  out[n++] = cls >>> 8;
  out[n++] = cls & 0xff;
  return n;
}

/** A MurmurHash3-style (x86, 32-bit) hash of the key bytes, seeded with the DO bit. */
export const hashQuestion: QuestionHash = (bytes, start, end, dnssecOk) => {
  let h = dnssecOk ? 0x5bd1e995 : 0x1b873593;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    h ^= mixWord(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let shift = 0; i < end; i++, shift += 8) tail |= bytes[i]! << shift;
  h ^= mixWord(tail);
  h ^= end - start;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
};

function mixWord(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}
