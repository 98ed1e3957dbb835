import { cidrContains, parseCidr, parseIp } from '../policy/index.js';
import type { Cidr, GroupInfo } from '../policy/index.js';

/**
 * Attributes a client address to one policy group: the one with the most specific (longest prefix)
 * matching network, the group listed first on a tie. One group per client makes per-group counts add
 * up to the total, which is what the overview's charts show.
 */
export class GroupMatcher {
  readonly #networks: { group: string; cidr: Cidr }[] = [];
  readonly #memo = new Map<string, string | null>();

  constructor(groups: readonly GroupInfo[]) {
    for (const g of groups) {
      for (const n of g.networks) {
        const cidr = parseCidr(n);
        if (cidr !== null) this.#networks.push({ group: g.name, cidr });
      }
    }
  }

  /** The client's group, or null when no group contains it (or it is not an address). */
  groupOf(client: string): string | null {
    const hit = this.#memo.get(client);
    if (hit !== undefined) return hit;
    const ip = parseIp(client);
    let best: { group: string; prefix: number } | null = null;
    if (ip !== null) {
      for (const n of this.#networks) {
        if ((best === null || n.cidr.prefix > best.prefix) && cidrContains(n.cidr, ip)) best = { group: n.group, prefix: n.cidr.prefix };
      }
    }
    const group = best?.group ?? null;
    this.#memo.set(client, group);
    return group;
  }
}
