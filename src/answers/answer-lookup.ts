/**
 * The read side of the answer index, the contract that flow attribution and firewall enforcement code
 * against. Kept apart from the index itself so that readers import only these two types.
 */

/** What the gateway answered: `client` was given `address` for `name` (a service of the policy, or null). */
export interface AnswerHit {
  name: string;
  service: string | null;
  /** Epoch ms after which the answer may no longer be in use (answer TTL + grace). */
  expires: number;
}

/** Read side of the answer index, for attribution and enforcement. Addresses are canonical text
 *  (IPv4 dotted quad; IPv6 in the compressed lower-case form of `node:net`'s SocketAddress / formatIPv6). */
export interface AnswerLookup {
  /** The newest live answer in which `client` was given `address`, or null. */
  lookup(client: string, address: string, now: number): AnswerHit | null;
  /** The newest live answer in which any client was given `address`, or null. */
  lookupAny(address: string, now: number): AnswerHit | null;
}
