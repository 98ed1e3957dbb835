/**
 * IPv4 and IPv6 addresses to and from the 4 and 16 bytes of A and AAAA rdata. IPv6 text follows
 * RFC 5952 (lowercase, longest zero run as `::`), so answers print the way dig prints them.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ERROR_CODES, RambuError } from '../errors.js';
import { formatIPv6Groups } from '../policy/index.js';

export function formatIPv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

export function formatIPv6(b: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  return formatIPv6Groups(groups);
}

function badAddress(text: string, family: string): RambuError {
  return new RambuError(ERROR_CODES.DNS_ENCODE, `invalid ${family} address "${text}"`);
}

export function parseIPv4(text: string): Buffer {
  if (!isIPv4(text)) throw badAddress(text, 'IPv4');
  return Buffer.from(text.split('.').map(Number));
}

export function parseIPv6(text: string): Buffer {
  if (!isIPv6(text)) throw badAddress(text, 'IPv6');
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const out = Buffer.alloc(16);
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4 !== null) {
    const b = parseIPv4(v4[1]!);
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    s = s.slice(0, -v4[1]!.length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  const head = halves[0] === '' ? [] : halves[0]!.split(':').map((h) => parseInt(h, 16));
  const rest = halves.length > 1 ? (halves[1] === '' ? [] : halves[1]!.split(':').map((h) => parseInt(h, 16))) : [];
  const back = [...rest, ...tail];
  const groups = halves.length > 1
    ? [...head, ...new Array<number>(8 - head.length - back.length).fill(0), ...back]
    : [...head, ...back];
  if (groups.length !== 8) throw badAddress(text, 'IPv6');
  groups.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
}

/** `::ffff:a.b.c.d` (a dual-stack socket's view of an IPv4 client) as `a.b.c.d`; others unchanged. */
export function unmapIPv4(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}
