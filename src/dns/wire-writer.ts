import { ERROR_CODES, RambuError } from '../errors.js';
import { asciiLower, nameLabels } from './domain-name.js';

/** Largest DNS message: the TCP length prefix is 16 bits. */
export const MAX_MESSAGE_SIZE = 65535;
const POINTER_LIMIT = 0x3fff;

/**
 * A growing output buffer with name compression (RFC 1035 §4.1.4). Every name written is
 * remembered by the wire form of each of its suffixes, so a later name can point at it.
 */
export class WireWriter {
  buf: Buffer;
  pos = 0;
  readonly #suffixes = new Map<string, number>();

  constructor(initialSize = 512) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  ensure(n: number): void {
    const want = this.pos + n;
    if (want <= this.buf.length) return;
    if (want > MAX_MESSAGE_SIZE) {
      throw new RambuError(ERROR_CODES.DNS_ENCODE, `DNS message too long: more than ${MAX_MESSAGE_SIZE} bytes`);
    }
    const next = Buffer.allocUnsafe(Math.min(MAX_MESSAGE_SIZE, Math.max(want, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, at);
  }

  /** Write a name, pointing at an earlier copy of its longest known suffix when `compress`. */
  name(name: string, compress: boolean): void {
    const labels = nameLabels(name);
    const keys: string[] = new Array<string>(labels.length);
    let key = '';
    for (let i = labels.length - 1; i >= 0; i--) {
      const label = labels[i]!;
      key = String.fromCharCode(label.length) + asciiLower(label) + key;
      keys[i] = key;
    }
    for (let i = 0; i < labels.length; i++) {
      const k = keys[i]!;
      if (compress) {
        const at = this.#suffixes.get(k);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
      }
      if (this.pos <= POINTER_LIMIT && !this.#suffixes.has(k)) this.#suffixes.set(k, this.pos);
      const label = labels[i]!;
      this.ensure(label.length + 1);
      this.buf[this.pos++] = label.length;
      this.pos += this.buf.write(label, this.pos, 'latin1');
    }
    this.u8(0);
  }

  /** The bytes written, copied out of the working buffer. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
