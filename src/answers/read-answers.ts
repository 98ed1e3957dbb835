/**
 * The addresses of a DNS response as sent to a client: every A and AAAA record of the answer
 * section (a CNAME chain's end included, as the chain's records come first) and the smallest TTL in
 * that section, the time after which the client asks again. Only the header, question and answer
 * section are walked, names skipped without decoding; a response that runs short yields what was
 * read before the end, never an exception.
 */
import { formatIPv6Groups } from '../policy/index.js';
import { formatIPv4Value } from './address-table.js';
import type { AnswerBatchData } from './answer-feed.js';

const TYPE_A = 1;
const TYPE_AAAA = 28;
const CLASS_IN = 1;
const HEADER = 12;

/** Position after the name at `pos`, or -1 when it runs past `end`. */
export function skipName(b: Uint8Array, pos: number, end: number): number {
  for (let labels = 0; labels < 128 && pos < end; labels++) {
    const len = b[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= end ? pos + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    pos += 1 + len;
  }
  return -1;
}

/** At most this many addresses are read from one response; a longer answer is cut there. */
export const MAX_ADDRESSES = 256;

/** IPv6 texts remembered per {@link AddressValues}, by the address's bytes (direct-mapped). */
const V6_MEMO = 256;

/** The addresses of one response: IPv4 as 32-bit values, IPv6 as canonical text; reused from one
 *  response to the next without allocating (a JS array emptied by `length = 0` would). The text of
 *  an IPv6 address read recently is reused rather than formatted again: popular addresses repeat. */
export class AddressValues {
  readonly v4 = new Uint32Array(MAX_ADDRESSES);
  v4Count = 0;
  readonly v6: string[] = new Array<string>(MAX_ADDRESSES).fill('');
  v6Count = 0;
  readonly #memoWords = new Uint32Array(V6_MEMO * 4);
  readonly #memoTexts: string[] = new Array<string>(V6_MEMO).fill('');
  readonly #groups: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

  /** The canonical text of the IPv6 address in `b[pos, pos + 16)`. */
  v6Text(b: Uint8Array, pos: number): string {
    const w0 = ((b[pos]! << 24) | (b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!) >>> 0;
    const w1 = ((b[pos + 4]! << 24) | (b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!) >>> 0;
    const w2 = ((b[pos + 8]! << 24) | (b[pos + 9]! << 16) | (b[pos + 10]! << 8) | b[pos + 11]!) >>> 0;
    const w3 = ((b[pos + 12]! << 24) | (b[pos + 13]! << 16) | (b[pos + 14]! << 8) | b[pos + 15]!) >>> 0;
    let h = Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca77) ^ Math.imul(w3, 0xc2b2ae3d), 0x27d4eb2f);
    h = (h ^ (h >>> 15)) & (V6_MEMO - 1);
    const m = this.#memoWords;
    const at = h * 4;
    const known = this.#memoTexts[h]!;
    if (known !== '' && m[at] === w0 && m[at + 1] === w1 && m[at + 2] === w2 && m[at + 3] === w3) return known;
    const groups = this.#groups;
    for (let g = 0; g < 8; g++) groups[g] = (b[pos + 2 * g]! << 8) | b[pos + 2 * g + 1]!;
    const text = formatIPv6Groups(groups);
    m[at] = w0;
    m[at + 1] = w1;
    m[at + 2] = w2;
    m[at + 3] = w3;
    this.#memoTexts[h] = text;
    return text;
  }
}

/**
 * Read the addresses of the response in `b[start, end)` into `out` (emptied first); returns the
 * smallest answer TTL in seconds, or -1 when the response is not a NOERROR answer with an address.
 */
export function readAddressValues(b: Uint8Array, start: number, end: number, out: AddressValues): number {
  out.v4Count = 0;
  out.v6Count = 0;
  if (end - start < HEADER || end > b.length || (b[start + 3]! & 0x0f) !== 0) return -1;
  const qd = (b[start + 4]! << 8) | b[start + 5]!;
  const an = (b[start + 6]! << 8) | b[start + 7]!;
  let pos = start + HEADER;
  for (let i = 0; i < qd; i++) {
    pos = skipName(b, pos, end);
    if (pos < 0 || pos + 4 > end) return -1;
    pos += 4;
  }
  let minTtl = Infinity;
  for (let i = 0; i < an; i++) {
    pos = skipName(b, pos, end);
    if (pos < 0 || pos + 10 > end) break;
    const type = (b[pos]! << 8) | b[pos + 1]!;
    const cls = (b[pos + 2]! << 8) | b[pos + 3]!;
    const ttl = ((b[pos + 4]! << 24) | (b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!) >>> 0;
    const rdlen = (b[pos + 8]! << 8) | b[pos + 9]!;
    pos += 10;
    if (pos + rdlen > end) break;
    if (ttl < minTtl) minTtl = ttl;
    if (cls === CLASS_IN && type === TYPE_A && rdlen === 4) {
      if (out.v4Count < MAX_ADDRESSES) out.v4[out.v4Count++] = (b[pos]! << 24) | (b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!;
    } else if (cls === CLASS_IN && type === TYPE_AAAA && rdlen === 16) {
      if (out.v6Count < MAX_ADDRESSES) out.v6[out.v6Count++] = out.v6Text(b, pos);
    }
    pos += rdlen;
  }
  return out.v4Count + out.v6Count > 0 ? minTtl : -1;
}

/**
 * Push the addresses of the response in `b[start, end)` onto `out` as text; returns the smallest
 * answer TTL in seconds, or -1 when the response is not a NOERROR answer with an address.
 */
export function readAddresses(b: Uint8Array, start: number, end: number, out: string[]): number {
  const values = new AddressValues();
  const ttl = readAddressValues(b, start, end, values);
  for (let i = 0; i < values.v4Count; i++) out.push(formatIPv4Value(values.v4[i]!));
  for (let i = 0; i < values.v6Count; i++) out.push(values.v6[i]!);
  return ttl;
}

/** One answer of a batch, with its addresses read. */
export interface ReadAnswer {
  client: string;
  name: string;
  service: string | null;
  time: number;
  ttl: number;
  addresses: string[];
}

/** Call `each` for every answer of `batch` that carries addresses; returns how many did not. */
export function readAnswerBatch(batch: AnswerBatchData, each: (answer: ReadAnswer) => void): number {
  let skipped = 0;
  let start = 0;
  for (let i = 0; i < batch.ends.length; i++) {
    const end = batch.ends[i]!;
    const addresses: string[] = [];
    const ttl = end <= batch.bytes.length ? readAddresses(batch.bytes, start, end, addresses) : -1;
    if (ttl < 0) skipped++;
    else each({ client: batch.clients[i]!, name: batch.names[i]!, service: batch.services[i] ?? null, time: batch.times[i]!, ttl, addresses });
    start = end;
  }
  return skipped;
}
