/**
 * Attribution: whose traffic a flow was and to which service. The answer index says which client was
 * given which address for which name; a flow is matched by its (client, remote) pair in either
 * direction, then by any client's answer for the remote address, else it is `other`. The client's
 * group is its most specific group (longest prefix; on a tie the first in the file), so that a
 * department shows instead of the catch-all.
 */
import { type AnswerLookup, ipv4Value } from '../answers/index.js';
import { CidrSet, cidrContains, parseCidr, parseIp, type Cidr, type GroupInfo } from '../policy/index.js';
import type { FlowRecord } from './flow-record.js';

/** The key of traffic no answer accounts for, and of clients in no group. */
export const OTHER = 'other';

export interface Attribution {
  client: string;
  group: string;
  /** Service name, or {@link OTHER}. */
  service: string;
  /** The remote address's /24 (IPv4) or /48 (IPv6) when no answer named it, else null. */
  unresolvedPrefix: string | null;
}

export interface AttributorOptions {
  answers: AnswerLookup;
  /** The policy's groups in file order. */
  groups: readonly GroupInfo[];
  /** Networks of the gateway's own clients (dns.allowFrom), to tell client from remote when no answer does. */
  localNetworks: readonly string[];
}

/** Distinct clients whose group is remembered before the memo starts over. */
const GROUP_MEMO_LIMIT = 65_536;

export class Attributor {
  readonly #answers: AnswerLookup;
  readonly #local: CidrSet;
  readonly #local4: number[];
  #groups: { name: string; nets: Cidr[] }[] = [];
  readonly #groupOf = new Map<string, string>();

  constructor(options: AttributorOptions) {
    this.#answers = options.answers;
    this.#local = new CidrSet(options.localNetworks.map(parseCidr).filter((c): c is Cidr => c !== null));
    // IPv4 networks as (base, mask) pairs: the local test runs for both ends of every flow.
    this.#local4 = this.#local.networks.filter((n) => !n.v6).flatMap((n) => {
      const mask = n.prefix === 0 ? 0 : (0xffff_ffff << (32 - n.prefix)) >>> 0;
      return [(n.words[0]! & mask) >>> 0, mask];
    });
    this.setGroups(options.groups);
  }

  /** Take the groups of a reloaded policy. */
  setGroups(groups: readonly GroupInfo[]): void {
    this.#groups = groups.map((g) => ({ name: g.name, nets: g.networks.map(parseCidr).filter((c): c is Cidr => c !== null) }));
    this.#groupOf.clear();
  }

  /** The most specific group of `client`, or {@link OTHER}. */
  groupOf(client: string): string {
    let group = this.#groupOf.get(client);
    if (group !== undefined) return group;
    group = OTHER;
    const ip = parseIp(client);
    let best = -1;
    if (ip !== null) {
      for (const g of this.#groups) {
        for (const n of g.nets) {
          // Strictly longer wins, so the first group in the file keeps a tie.
          if (n.prefix > best && cidrContains(n, ip)) { best = n.prefix; group = g.name; }
        }
      }
    }
    if (this.#groupOf.size >= GROUP_MEMO_LIMIT) this.#groupOf.clear();
    this.#groupOf.set(client, group);
    return group;
  }

  /** Attribute one flow at `at` (epoch ms: when its answer must still have been live). */
  attribute(r: FlowRecord, at: number): Attribution {
    const srcLocal = this.#isLocal(r.src);
    const dstLocal = this.#isLocal(r.dst);
    // The local side is the client. Only clients inside dns.allowFrom get answers, so when exactly one
    // side is local one lookup settles the pair; otherwise both directions are asked.
    let client = r.src;
    let remote = r.dst;
    if (dstLocal && !srcLocal) { client = r.dst; remote = r.src; }
    let hit = this.#answers.lookup(client, remote, at);
    if (hit === null && srcLocal === dstLocal) {
      hit = this.#answers.lookup(remote, client, at);
      if (hit !== null) { const c = client; client = remote; remote = c; }
    }
    if (hit === null) hit = this.#answers.lookupAny(remote, at);
    return {
      client,
      group: this.groupOf(client),
      service: hit?.service ?? OTHER,
      unresolvedPrefix: hit === null ? remotePrefix(remote) : null,
    };
  }

  #isLocal(address: string): boolean {
    const v4 = ipv4Value(address);
    if (v4 < 0) return this.#local.has(address);
    for (let i = 0; i < this.#local4.length; i += 2) if (((v4 & this.#local4[i + 1]!) >>> 0) === this.#local4[i]) return true;
    return false;
  }
}

/** `a.b.c.0/24` of an IPv4 address, `x:y:z::/48` of an IPv6 one. */
export function remotePrefix(address: string): string {
  if (!address.includes(':')) return `${address.slice(0, address.lastIndexOf('.'))}.0/24`;
  const ip = parseIp(address);
  if (ip === null) return address;
  if (!ip.v6) return remotePrefix(`${ip.words[0]! >>> 24}.${(ip.words[0]! >>> 16) & 255}.${(ip.words[0]! >>> 8) & 255}.${ip.words[0]! & 255}`);
  const w = ip.words;
  const groups = [w[0]! >>> 16, w[0]! & 0xffff, w[1]! >>> 16].map((g) => g.toString(16));
  while (groups.length > 1 && groups[groups.length - 1] === '0') groups.pop();
  return `${groups.join(':')}::/48`;
}
