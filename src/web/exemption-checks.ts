/**
 * Checks on console exemptions beyond their shape: networks written with host bits set (almost
 * always a typo for the network, and `1.2.3.4/0` silently covers every IPv4 client), and whether an
 * exemption covers every client, which switches the policy off for the services it allows.
 */
import { parseCidr, parseIp, type Cidr } from '../policy/index.js';

/**
 * The network `text` probably meant when it has host bits set (`10.20.5.1/24` -> `10.20.5.0/24`),
 * or null when it is a single address, a clean network, or not an address at all.
 */
export function hostBitsFix(text: string): string | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const cidr = parseCidr(text);
  const address = parseIp(text.slice(0, slash));
  if (cidr === null || address === null || address.v6 !== cidr.v6) return null;
  return address.words.every((w, i) => w === cidr.words[i]) ? null : cidr.text;
}

function range(c: Cidr): [bigint, bigint] {
  const bits = c.v6 ? 128 : 32;
  let start = 0n;
  for (const w of c.words) start = (start << 32n) | BigInt(w >>> 0);
  const size = 1n << BigInt(bits - c.prefix);
  return [start, start + size - 1n];
}

/** Whether the ranges, merged, cover 0 .. 2^bits - 1. */
function coversSpace(ranges: [bigint, bigint][], bits: number): boolean {
  const last = (1n << BigInt(bits)) - 1n;
  let next = 0n;
  for (const [start, end] of ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (start > next) return false;
    if (end + 1n > next) next = end + 1n;
    if (next > last) return true;
  }
  return false;
}

/**
 * Whether `networks` together cover every IPv4 address or every IPv6 address: `0.0.0.0/0`, `::/0`,
 * or pieces that add up to one of them (`0.0.0.0/1` and `128.0.0.0/1`). Unparsable entries count
 * for nothing.
 */
export function coversEveryClient(networks: readonly string[]): boolean {
  const v4: [bigint, bigint][] = [];
  const v6: [bigint, bigint][] = [];
  for (const n of networks) {
    const c = parseCidr(n.trim());
    if (c === null) continue;
    (c.v6 ? v6 : v4).push(range(c));
  }
  return coversSpace(v4, 32) || coversSpace(v6, 128);
}
