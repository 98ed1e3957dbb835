import { ERROR_CODES, RambuError } from '../errors.js';

/** A DNS_MALFORMED error: `what` says which part of the message failed to decode. */
export function malformed(what: string, offset: number): RambuError {
  return new RambuError(ERROR_CODES.DNS_MALFORMED, `malformed DNS message at byte ${offset}: ${what}`);
}

/**
 * A cursor over a received message. Every read checks bounds first, so a short or lying packet
 * becomes a DNS_MALFORMED error, never a RangeError or a read past the end.
 */
export class WireReader {
  readonly buf: Buffer;
  pos: number;

  constructor(buf: Buffer, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw malformed(`${what} runs past the end (${this.buf.length} bytes)`, this.pos);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}
