/**
 * What the router's address lists should hold for a set of block pairs, and the changes that take
 * what it holds there. Per blocked service two lists: `rambu-<service>` (the addresses the service was
 * answered with) and `rambu-<service>.clients` (the clients blocked from it); the firewall rules of
 * the one-time script reject traffic from the second to the first. Service names are lowercase
 * letters, digits and hyphens, so the `.clients` suffix never meets another service's list. Only
 * entries with rambu's comment on a list named `rambu-...` are rambu's; nothing else is changed.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { BlockPair } from '../index.js';

/** The comment on every address-list entry rambu makes. */
export const ROUTEROS_COMMENT = 'rambu';
/** Prefix of every address list rambu keeps. */
export const LIST_PREFIX = 'rambu-';

const SERVICE = /^[a-z][a-z0-9-]*$/;

/** The address list of the addresses a blocked service was answered with. */
export function serviceList(service: string): string {
  return `${LIST_PREFIX}${service}`;
}

/** The address list of the clients blocked from a service. */
export function clientList(service: string): string {
  return `${LIST_PREFIX}${service}.clients`;
}

export type Family = 4 | 6;

/** One wanted entry of an address list. */
export interface ListEntry {
  list: string;
  address: string;
}

/** An entry as the router lists it (values are strings, as RouterOS writes them). */
export interface RouterEntry {
  id: string;
  list: string;
  address: string;
  comment: string;
  /** Remaining lifetime in ms, or null when it has none (a permanent entry) or cannot be read. */
  remainingMs: number | null;
}

/**
 * An address in the form the router writes it back, so that what rambu asked for and what the
 * router holds compare: IPv6 compressed and lowercase, a host prefix (`/32`, `/128`) dropped.
 * Returns null for anything that is not a single address.
 */
export function normalizeAddress(text: string): string | null {
  const t = text.trim().toLowerCase().replace(/\/(32|128)$/, '');
  if (isIPv4(t)) return t;
  if (!isIPv6(t)) return null;
  return new URL(`http://[${t}]/`).hostname.slice(1, -1);
}

function family(address: string): Family | 0 {
  return isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
}

/** Wanted entries per family for `pairs`: pairs without a service, of mixed families or with a non-address are skipped. */
export function wantedEntries(pairs: readonly BlockPair[]): Record<Family, ListEntry[]> {
  const out: Record<Family, Map<string, ListEntry>> = { 4: new Map(), 6: new Map() };
  for (const p of pairs) {
    if (p.service === undefined || !SERVICE.test(p.service)) continue;
    const client = normalizeAddress(p.client);
    const address = normalizeAddress(p.address);
    if (client === null || address === null) continue;
    const f = family(address);
    if (f === 0 || family(client) !== f) continue;
    for (const e of [{ list: serviceList(p.service), address }, { list: clientList(p.service), address: client }]) {
      out[f].set(`${e.list} ${e.address}`, e);
    }
  }
  const sorted = (m: Map<string, ListEntry>): ListEntry[] => [...m.values()].sort((a, b) => (a.list === b.list ? (a.address < b.address ? -1 : 1) : a.list < b.list ? -1 : 1));
  return { 4: sorted(out[4]), 6: sorted(out[6]) };
}

/** Whether an entry the router holds is rambu's to change. */
export function isOwned(entry: Pick<RouterEntry, 'list' | 'comment'>): boolean {
  return entry.comment === ROUTEROS_COMMENT && entry.list.startsWith(LIST_PREFIX);
}

export interface ListChanges {
  add: ListEntry[];
  /** Entries to delete: no longer wanted, or a second copy of one. */
  remove: RouterEntry[];
  /** Entries to give a fresh timeout: wanted and less than half of it left. */
  refresh: RouterEntry[];
}

/** The changes that turn the router's entries (`held`, of any owner) into exactly `wanted`. */
export function listChanges(held: readonly RouterEntry[], wanted: readonly ListEntry[], timeoutMs: number): ListChanges {
  const want = new Set(wanted.map((e) => `${e.list} ${e.address}`));
  const have = new Map<string, RouterEntry>();
  // An entry someone else made on the same list already does what rambu's would: not added again.
  const theirs = new Set<string>();
  const remove: RouterEntry[] = [];
  const refresh: RouterEntry[] = [];
  for (const e of held) {
    const address = normalizeAddress(e.address) ?? e.address;
    const key = `${e.list} ${address}`;
    if (!isOwned(e)) { theirs.add(key); continue; }
    if (!want.has(key) || have.has(key)) { remove.push(e); continue; }
    have.set(key, e);
    if (e.remainingMs === null || e.remainingMs < timeoutMs / 2) refresh.push(e);
  }
  return { add: wanted.filter((e) => !have.has(`${e.list} ${e.address}`) && !theirs.has(`${e.list} ${e.address}`)), remove, refresh };
}
