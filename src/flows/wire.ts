/**
 * Bounds-checked reads for the flow codecs. Every read of an export packet goes through these, so a
 * lying length ends in a RambuError with a flow code, never in a RangeError from Buffer.
 */
import { ERROR_CODES, RambuError } from '../errors.js';
import { formatIPv6Groups } from '../policy/index.js';

/** Throw FLOW_TRUNCATED unless `need` bytes from `offset` lie inside `end`. */
export function need(end: number, offset: number, need: number, what: string): void {
  if (offset + need > end) throw new RambuError(ERROR_CODES.FLOW_TRUNCATED, `truncated ${what}: needs ${need} bytes at offset ${offset}, ${Math.max(0, end - offset)} left`);
}

/** Unsigned big-endian integer of 1-8 bytes (reduced-size encoding, RFC 7011 6.2); exact up to 2^53. */
export function readUnsigned(buf: Buffer, offset: number, length: number): number {
  switch (length) {
    case 1: return buf[offset]!;
    case 2: return buf.readUInt16BE(offset);
    case 4: return buf.readUInt32BE(offset);
    case 8: return buf.readUInt32BE(offset) * 0x1_0000_0000 + buf.readUInt32BE(offset + 4);
    default:
      if (length <= 6) return buf.readUIntBE(offset, length);
      // 7 bytes: the top one times 2^48 plus the low six.
      return buf[offset]! * 0x1_0000_0000_0000 + buf.readUIntBE(offset + 1, 6);
  }
}

/** Dotted quad of the 4 bytes at `offset`. */
export function readIPv4(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** RFC 5952 text of the 16 bytes at `offset`, as node:net formats addresses. */
export function readIPv6(buf: Buffer, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(offset + i));
  return formatIPv6Groups(groups);
}

/** Seconds between the NTP era (1900) and the Unix epoch. */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** Epoch ms of a 64-bit NTP timestamp (RFC 7011 6.1.9/6.1.10: dateTimeMicroseconds, dateTimeNanoseconds). */
export function readNtpMs(buf: Buffer, offset: number): number {
  const seconds = buf.readUInt32BE(offset);
  const fraction = buf.readUInt32BE(offset + 4);
  return (seconds - NTP_UNIX_OFFSET_S) * 1000 + Math.floor((fraction / 0x1_0000_0000) * 1000);
}

/** `later - earlier` on a 32-bit millisecond clock that wraps (sysUpTime). */
export function uptimeDelta(later: number, earlier: number): number {
  return (later - earlier + 0x1_0000_0000) % 0x1_0000_0000;
}
