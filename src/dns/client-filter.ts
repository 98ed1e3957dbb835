import { ERROR_CODES, RambuError } from '../errors.js';
import { type Cidr, CidrSet, parseCidr } from '../policy/index.js';

const MAX_CACHED = 65_536;

/**
 * Which clients get answers: the `allowFrom` networks. Everyone else is REFUSED, so the gateway is
 * never an open resolver. Verdicts are cached per address text, so the hot path is one map lookup.
 */
export class ClientFilter {
  readonly #set: CidrSet;
  readonly #verdicts = new Map<string, boolean>();

  /** @param cidrs networks (`10.0.0.0/8`, `fc00::/7`) or single addresses; throws INVALID_ARGUMENT on a bad one */
  constructor(cidrs: readonly string[]) {
    const networks: Cidr[] = cidrs.map((text) => {
      const c = parseCidr(text);
      if (c === null) throw new RambuError(ERROR_CODES.INVALID_ARGUMENT, `invalid client network "${text}": expected an address or CIDR`);
      return c;
    });
    this.#set = new CidrSet(networks);
  }

  /** Whether `address` (IPv4, IPv6 or IPv4-mapped IPv6, which counts as IPv4) may ask. */
  allows(address: string): boolean {
    let v = this.#verdicts.get(address);
    if (v === undefined) {
      v = this.#set.has(address);
      if (this.#verdicts.size >= MAX_CACHED) this.#verdicts.clear();
      this.#verdicts.set(address, v);
    }
    return v;
  }
}
