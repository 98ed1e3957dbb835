/**
 * IPv4/IPv6 addresses and networks. Addresses become 32-bit words so a membership test is a few
 * integer comparisons; IPv4-mapped IPv6 clients (::ffff:10.0.0.1, as dual-stack sockets report
 * them) are matched as IPv4.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface IpAddress {
  v6: boolean;
  /** One word for IPv4, four for IPv6, most significant first. */
  words: readonly number[];
}

export interface Cidr extends IpAddress {
  prefix: number;
  /** Normalised text, e.g. `10.20.5.0/24`. */
  text: string;
}

function parseV4(text: string): number {
  const p = text.split('.');
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

function parseV6(text: string): number[] {
  let head = text;
  let tailV4: number | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left = '', right] = head.split('::');
  const l = left === '' ? [] : left.split(':');
  const r = right === undefined || right === '' ? [] : right.split(':');
  const groups = [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r].map((g) => parseInt(g, 16));
  const words = [0, 1, 2, 3].map((i) => (((groups[2 * i] ?? 0) << 16) | (groups[2 * i + 1] ?? 0)) >>> 0);
  if (tailV4 !== null) words[3] = tailV4;
  return words;
}

/** Parse an address (zone index such as `%eth0` ignored), or return null when it is not one. */
export function parseIp(text: string): IpAddress | null {
  const bare = text.includes('%') ? text.slice(0, text.indexOf('%')) : text;
  if (isIPv4(bare)) return { v6: false, words: [parseV4(bare)] };
  if (!isIPv6(bare)) return null;
  const words = parseV6(bare);
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return { v6: false, words: [words[3]!] };
  return { v6: true, words };
}

/** Parse `addr/prefix` or a single address (as /32 or /128), or return null. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const bare = addrText.includes('%') ? '' : addrText;
  const v6 = isIPv6(bare);
  if (!v6 && !isIPv4(bare)) return null;
  const max = v6 ? 128 : 32;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  const words = v6 ? parseV6(bare) : [parseV4(bare)];
  const masked = words.map((w, i) => (w & maskWord(prefix, i)) >>> 0);
  return { v6, words: masked, prefix, text: `${formatWords(masked, v6)}/${prefix}` };
}

function maskWord(prefix: number, index: number): number {
  const bits = Math.max(0, Math.min(32, prefix - index * 32));
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function formatWords(words: readonly number[], v6: boolean): string {
  if (!v6) {
    const w = words[0]!;
    return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
  }
  return formatIPv6Groups(words.flatMap((w) => [w >>> 16, w & 0xffff]));
}

/** Eight 16-bit groups as RFC 5952 text: lowercase, the longest run (two or more) of zero groups as `::`. */
export function formatIPv6Groups(groups: readonly number[]): string {
  let bestStart = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Whether `ip` lies in `cidr`. An IPv4 network never contains an IPv6 address and vice versa. */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.v6 !== ip.v6) return false;
  for (let i = 0; i < cidr.words.length; i++) {
    const mask = maskWord(cidr.prefix, i);
    if (mask === 0) return true;
    if (((ip.words[i]! & mask) >>> 0) !== cidr.words[i]) return false;
  }
  return true;
}

/** A set of networks with a membership test. */
export class CidrSet {
  readonly networks: readonly Cidr[];
  constructor(networks: readonly Cidr[]) { this.networks = networks; }
  /** Whether the address text is in any network; false for text that is not an address. */
  has(address: string): boolean {
    const ip = parseIp(address);
    return ip !== null && this.hasIp(ip);
  }
  hasIp(ip: IpAddress): boolean {
    for (const n of this.networks) if (cidrContains(n, ip)) return true;
    return false;
  }
}
