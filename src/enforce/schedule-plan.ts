/**
 * The enforcement plan at one instant, pure: for every client and service the answer index knows,
 * whether the policy blocks it now and when that can next change, and from it the (client, address)
 * pairs to cut and to hold. Decisions are the DNS server's own: `policy.decide(client, name, now)`
 * for each name the client was answered with, so the firewall and the DNS answers agree at every
 * instant, exemptions, holidays and trial rules included; `until` of those decisions is when the
 * scheduler wakes next.
 *
 * Standing rejects only on dedicated addresses (see {@link DedicatedNames}) that no other name was
 * answered with while the answers live: an address that also served an allowed name (a front end
 * that YouTube shares with Search and Docs) gets the one-time cut at the boundary and no more.
 */
import type { AnswerEntry } from '../answers/index.js';
import type { Policy } from '../policy/index.js';
import type { NeverTouch } from './never-touch.js';
import type { BlockPair } from './nft-ruleset.js';

/** Whether the addresses answered for `name` serve its service alone. */
export type DedicatedNames = (name: string) => boolean;

/** Suffix matching at label boundaries over a list of dedicated domains. */
export function dedicatedNames(suffixes: readonly string[]): DedicatedNames {
  const set = new Set(suffixes.map((s) => s.toLowerCase()));
  return (name) => {
    let n = name.toLowerCase();
    if (n.endsWith('.')) n = n.slice(0, -1);
    for (let dot = -1; ; dot = n.indexOf('.', dot + 1)) {
      if (set.has(n.slice(dot + 1))) return true;
      if (n.indexOf('.', dot + 1) < 0) return false;
    }
  };
}

/** What the policy says now about one client and one service it was answered for. */
export interface ServiceState {
  client: string;
  service: string;
  blocked: boolean;
  /** Epoch ms of the next instant the decision can change; null: never (until the policy changes). */
  until: number | null;
  /** Live addresses the client was given for the service (spared ones left out). */
  addresses: number;
}

export interface EnforcePlan {
  now: number;
  states: ServiceState[];
  /** Every live address of a blocked (client, service): what a boundary cuts. */
  blocked: BlockPair[];
  /** The blocked pairs on dedicated addresses no allowed name shares: the standing rejects. */
  hold: BlockPair[];
  /** The earliest `until` of all decisions after `now`, or null. */
  next: number | null;
}

/** What the plan reads of the answer index (AnswerIndex has it). */
export interface PlanIndex {
  entries(now: number): Iterable<AnswerEntry>;
  serviceEntries(now: number): Iterable<AnswerEntry>;
  forEachAnswerOf(addresses: Iterable<string>, now: number, visit: (address: string, name: string, service: string | null) => void): void;
}

export interface PlanInput {
  policy: Policy;
  index: PlanIndex;
  now: number;
  spare: NeverTouch;
  dedicated: DedicatedNames;
  /**
   * Decide every answer, also those that matched no service when they were given: needed after a
   * reload (a service may have gained the name). Otherwise only answers of a service are decided,
   * which at a million answers is the difference between seconds and a fraction of one. @default false
   */
  allNames?: boolean;
}

const SEP = '\u0000';

/** The plan at `input.now`. */
export function planEnforcement(input: PlanInput): EnforcePlan {
  const { policy, index, now, spare, dedicated } = input;
  const decisions = new Map<string, { block: boolean; service: string | null; until: number | null }>();
  const states = new Map<string, ServiceState>();
  // Per address: the one service all its live answers were dedicated names of, or '' once it also
  // served another name (shared, or another service's).
  const owner = new Map<string, string>();
  const own = (address: string, name: string, service: string | null): void => {
    const mine = service !== null && dedicated(name) ? service : '';
    const was = owner.get(address);
    owner.set(address, was === undefined || was === mine ? mine : '');
  };
  const blocked: BlockPair[] = [];
  let next = Infinity;
  for (const e of input.allNames === true ? index.entries(now) : index.serviceEntries(now)) {
    if (spare.spares(e.address)) continue;
    const key = e.client + SEP + e.name;
    let d = decisions.get(key);
    if (d === undefined) {
      const got = policy.decide(e.client, e.name, now);
      d = { block: got.action === 'block' && got.monitor !== true, service: got.service, until: got.until };
      decisions.set(key, d);
      if (got.until !== null && got.until > now && got.until < next) next = got.until;
    }
    const service = d.service ?? e.service;
    own(e.address, e.name, service);
    if (service === null) continue;
    const sk = e.client + SEP + service;
    let st = states.get(sk);
    if (st === undefined) {
      st = { client: e.client, service, blocked: false, until: null, addresses: 0 };
      states.set(sk, st);
    }
    st.addresses++;
    if (d.block) st.blocked = true;
    if (d.until !== null && (st.until === null || d.until < st.until)) st.until = d.until;
    if (d.block) blocked.push({ client: e.client, address: e.address, service });
  }
  // The addresses that may be held, checked against every answer that gave them, names of no
  // service included (an address also answered for docs.google.com is shared).
  const candidates = new Set(blocked.filter((p) => owner.get(p.address) === p.service).map((p) => p.address));
  if (input.allNames !== true) index.forEachAnswerOf(candidates, now, (address, name, service) => own(address, name, service));
  const hold = blocked.filter((p) => owner.get(p.address) === p.service);
  return { now, states: [...states.values()], blocked: unique(blocked), hold: unique(hold), next: next === Infinity ? null : next };
}

function unique(pairs: readonly BlockPair[]): BlockPair[] {
  const seen = new Set<string>();
  return pairs.filter((p) => {
    const k = p.client + SEP + p.address;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The pairs of `now` that were not blocked in `before`: what an allow->block transition cuts.
 * Keyed by (client, address), so a hold that only grew by new answers cuts those too.
 */
export function newlyBlocked(before: readonly BlockPair[], now: readonly BlockPair[]): BlockPair[] {
  const had = new Set(before.map((p) => p.client + SEP + p.address));
  return now.filter((p) => !had.has(p.client + SEP + p.address));
}
