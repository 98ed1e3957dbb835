/**
 * Addresses enforcement never puts in a set, whatever an upstream answered: a DNS answer must not be
 * able to cut the office off from its own servers or from the gateway itself. Loopback,
 * unspecified, link-local, multicast and broadcast always; the private and shared ranges (RFC 1918,
 * RFC 6598, RFC 4193 unique local) by default, as an office's own servers live there; the gateway's
 * own addresses and any networks the caller adds.
 */
import { CidrSet, parseCidr, type Cidr } from '../policy/index.js';

/** Never cut, on any network (RFC 6890 special-purpose blocks that are not the internet). */
export const ALWAYS_SPARED = [
  '0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/4', '240.0.0.0/4', '255.255.255.255/32',
  '::/128', '::1/128', 'fe80::/10', 'ff00::/8',
] as const;

/** The office's own ranges: spared unless the caller says otherwise. */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'] as const;

export interface NeverTouchOptions {
  /** The gateway's own addresses (its interfaces), spared as single hosts. */
  own?: readonly string[];
  /** More networks to spare (the office's public servers, say). */
  extra?: readonly string[];
  /** Spare the private ranges. @default true */
  privateRanges?: boolean;
}

/** The set of networks enforcement must leave alone. */
export class NeverTouch {
  readonly #set: CidrSet;

  constructor(options: NeverTouchOptions = {}) {
    const texts = [...ALWAYS_SPARED, ...(options.privateRanges ?? true ? PRIVATE_RANGES : []), ...(options.own ?? []), ...(options.extra ?? [])];
    const networks: Cidr[] = [];
    for (const t of texts) {
      const c = parseCidr(t);
      if (c === null) throw new RangeError(`not an address or network: "${t}"`);
      networks.push(c);
    }
    this.#set = new CidrSet(networks);
  }

  /** Whether `address` must never be put in a set (anything that is not an address counts too). */
  spares(address: string): boolean {
    // An IPv4-mapped IPv6 address reads as its IPv4 address here; no real IPv6 packet carries one.
    return address === '' || !/^[0-9a-f.:]+$/i.test(address) || address.toLowerCase().startsWith('::ffff:') || this.#set.has(address);
  }
}
