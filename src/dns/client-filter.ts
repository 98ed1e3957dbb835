import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { ERROR_CODES, RambuError } from '../errors.js';
import { unmapIPv4 } from './ip-address.js';

/**
 * Which clients get answers: the `allowFrom` networks. Everyone else is REFUSED, so the gateway is
 * never an open resolver.
 */
export class ClientFilter {
  readonly #list = new BlockList();

  /** @param cidrs networks (`10.0.0.0/8`, `fc00::/7`) or single addresses; throws INVALID_ARGUMENT on a bad one */
  constructor(cidrs: readonly string[]) {
    for (const text of cidrs) {
      const [addr = '', prefixText] = text.split('/');
      const family = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : null;
      const max = family === 'ipv4' ? 32 : 128;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (family === null || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
        throw new RambuError(ERROR_CODES.INVALID_ARGUMENT, `invalid client network "${text}": expected an address or CIDR`);
      }
      this.#list.addSubnet(addr, prefix, family);
    }
  }

  /** Whether `address` (IPv4, IPv6 or IPv4-mapped IPv6) may ask. */
  allows(address: string): boolean {
    const a = unmapIPv4(address);
    if (isIPv4(a)) return this.#list.check(a, 'ipv4');
    const zone = a.indexOf('%');
    return this.#list.check(zone < 0 ? a : a.slice(0, zone), 'ipv6');
  }
}
