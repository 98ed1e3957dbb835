/**
 * The answer index: for each client, the addresses the gateway gave it, with the question name, the
 * service the policy matched and the answer's lifetime plus a grace period. Flow attribution asks
 * "which service was this address, for this client, now?" and enforcement asks "which addresses did
 * this client get for this service?"; only the DNS server knows, because it handed them out.
 *
 * Layout, for memory: each client holds one {@link SlotTable} from address id to (name id, expiry
 * in epoch seconds), 12 bytes a slot; addresses and (name, service) pairs are interned once for all
 * clients, with reference counts so that the intern tables shrink with the answers. One entry per
 * (client, address): a newer answer replaces an older one. Per address, the newest answer over all
 * clients (and the one it displaced while that one outlives it) serves {@link AnswerIndex.lookupAny}.
 */
import type { AnswerHit, AnswerLookup } from './answer-lookup.js';
import { SlotTable } from './slot-table.js';
import { InternTable } from './intern-table.js';
import { AddressTable, formatIPv4Value } from './address-table.js';
import { AddressValues, readAddressValues } from './read-answers.js';

export interface AnswerIndexOptions {
  /** Added to every answer's TTL: how long a client may keep using an address after its TTL ran out
   *  (open connections outlive the answer). @default 3_600_000 (one hour) */
  graceMs?: number;
  /** Answers kept per client; past it the soonest to expire go first. @default 2000 */
  maxPerClient?: number;
  /** Answers kept in total; past it the biggest client loses its soonest to expire. @default 1_000_000 */
  maxEntries?: number;
}

export const DEFAULT_GRACE_MS = 3_600_000;
export const DEFAULT_MAX_PER_CLIENT = 2000;
export const DEFAULT_MAX_ENTRIES = 1_000_000;
/** A repeated answer whose lifetime grows by less than this is not news worth saving (seconds):
 *  every cache hit extends it a little, and a restart loses at most this much of it. */
export const SAVE_STEP_S = 60;

const REPEAT_QUIET = 0;
const REPEAT_NEWS = 1;

/** One (client, address) answer, as enumerated. */
export interface AnswerEntry extends AnswerHit {
  client: string;
  address: string;
}

/** Counters for /metrics and tests. */
export interface AnswerIndexStats {
  entries: number;
  clients: number;
  addresses: number;
  names: number;
  /** Entries dropped before they expired, to keep within the bounds. */
  evicted: number;
  /** Answers given to the index since it was made. */
  added: number;
}

function toSeconds(ms: number): number {
  // Rounded up so that an answer is never forgotten before its lifetime; capped to fit 32 bits.
  return Math.min(0xfffffffe, Math.max(1, Math.ceil(ms / 1000)));
}

function live(expSeconds: number, now: number): boolean {
  return expSeconds * 1000 > now;
}

export class AnswerIndex implements AnswerLookup {
  readonly graceMs: number;
  readonly maxPerClient: number;
  readonly maxEntries: number;
  readonly #clients = new Map<string, SlotTable>();
  readonly #pairs = new InternTable();
  readonly #addresses = new AddressTable(this.#pairs);
  #entries = 0;
  #evicted = 0;
  #added = 0;
  #lastFullSweep = -Infinity;
  readonly #scratch = new AddressValues();

  constructor(options: AnswerIndexOptions = {}) {
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.maxPerClient = Math.max(1, options.maxPerClient ?? DEFAULT_MAX_PER_CLIENT);
    this.maxEntries = Math.max(this.maxPerClient, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  }

  /**
   * Record one answer: `client` was given `addresses` for `name` (matched to `service`) with `ttl`
   * seconds at `now`; the entry lives TTL + grace.
   */
  record(client: string, name: string, service: string | null, addresses: readonly string[], ttl: number, now: number): void {
    const expires = now + ttl * 1000 + this.graceMs;
    for (const address of addresses) this.add(client, address, { name, service, expires }, now);
  }

  /**
   * Record the response in `bytes[start, end)` that `client` was sent for `name` at `now`: its A
   * and AAAA records (see {@link readAddressValues}) for TTL + grace. The addresses whose entry
   * changed enough to be saved (see {@link add}) are pushed onto `changed`. Returns how many
   * addresses the response had.
   */
  recordResponse(client: string, name: string, service: string | null, bytes: Uint8Array, start: number, end: number, now: number, changed?: string[]): number {
    const found = this.#scratch;
    const ttl = readAddressValues(bytes, start, end, found);
    if (ttl < 0) return 0;
    const expires = now + ttl * 1000 + this.graceMs;
    if (expires <= now) return 0;
    const exp = toSeconds(expires);
    // Most answers repeat one the client already has (a cache hit for a name it asked before): those
    // only move the expiry, with no interning and no reference counting.
    const table = this.#clients.get(client);
    let pair = 0;
    for (let i = 0; i < found.v4Count; i++) {
      const v4 = found.v4[i]!;
      const repeat = table === undefined ? -1 : this.#repeat(table, this.#addresses.idOfV4(v4), name, service, exp);
      if (repeat === REPEAT_QUIET) continue;
      if (repeat === REPEAT_NEWS) { changed?.push(formatIPv4Value(v4)); continue; }
      if (pair === 0) pair = this.#pairs.acquire(name, service);
      if (this.#put(client, this.#addresses.acquireV4(v4), pair, exp, now)) changed?.push(formatIPv4Value(v4));
    }
    for (let i = 0; i < found.v6Count; i++) {
      const v6 = found.v6[i]!;
      const repeat = table === undefined ? -1 : this.#repeat(table, this.#addresses.idOf(v6), name, service, exp);
      if (repeat === REPEAT_QUIET) continue;
      if (repeat === REPEAT_NEWS) { changed?.push(v6); continue; }
      if (pair === 0) pair = this.#pairs.acquire(name, service);
      if (this.#put(client, this.#addresses.acquire(v6), pair, exp, now)) changed?.push(v6);
    }
    if (pair !== 0) this.#pairs.release(pair);
    return found.v4Count + found.v6Count;
  }

  /**
   * When `table` already maps `addr` to the same name and service, extend its expiry to `exp` and
   * return {@link REPEAT_QUIET} or, when it grew by {@link SAVE_STEP_S} or more, {@link REPEAT_NEWS};
   * otherwise -1 (the caller takes the full path).
   */
  #repeat(table: SlotTable, addr: number, name: string, service: string | null, exp: number): number {
    if (addr === 0) return -1;
    const slot = table.find(addr);
    if (slot < 0) return -1;
    const pair = table.aAt(slot);
    if (this.#pairs.name(pair) !== name || this.#pairs.service(pair) !== service) return -1;
    this.#added++;
    const old = table.bAt(slot);
    if (exp <= old) return REPEAT_QUIET;
    table.setAt(slot, pair, exp);
    this.#addresses.noteAnswer(addr, pair, exp);
    return exp >= old + SAVE_STEP_S ? REPEAT_NEWS : REPEAT_QUIET;
  }

  /** The expiry (epoch ms) of an answer with `ttl` seconds given at `now`: TTL + grace. */
  expiresAt(ttl: number, now: number): number {
    return now + ttl * 1000 + this.graceMs;
  }

  /**
   * Record that `client` was given `address` for `hit` (its expiry absolute). Ignored if `address`
   * is not an IP address or the hit has already expired. Returns whether the index learnt something
   * worth saving: a new entry, another name, or a lifetime extended by at least {@link SAVE_STEP_S}.
   */
  add(client: string, address: string, hit: AnswerHit, now: number = hit.expires - 1): boolean {
    return this.#add(client, address, hit, now, false);
  }

  /** {@link add}, unless the index already has an answer for (client, address): for reloading saved
   *  answers while newer ones arrive. */
  addIfAbsent(client: string, address: string, hit: AnswerHit, now: number): boolean {
    return this.#add(client, address, hit, now, true);
  }

  #add(client: string, address: string, hit: AnswerHit, now: number, ifAbsent: boolean): boolean {
    if (hit.expires <= now) return false;
    const addr = this.#addresses.acquire(address);
    if (addr === 0) return false;
    if (ifAbsent) {
      const table = this.#clients.get(client);
      if (table !== undefined && table.find(addr) >= 0) {
        this.#addresses.release(addr);
        return false;
      }
    }
    const pair = this.#pairs.acquire(hit.name, hit.service);
    const changed = this.#put(client, addr, pair, toSeconds(hit.expires), now);
    this.#pairs.release(pair);
    return changed;
  }

  /**
   * Put (client, addr) -> (pair, exp). Takes over the caller's reference to `addr`; takes its own
   * reference to `pair` when it keeps it.
   */
  #put(client: string, addr: number, pair: number, exp: number, now: number): boolean {
    if (addr === 0) return false;
    let changed = true;
    this.#added++;
    let table = this.#clients.get(client);
    if (table === undefined) {
      table = new SlotTable();
      this.#clients.set(client, table);
    }
    let slot = table.find(addr);
    if (slot >= 0) {
      // The same (client, address) again: one reference to the address is enough.
      this.#addresses.release(addr);
      const oldPair = table.aAt(slot);
      const oldExp = table.bAt(slot);
      if (oldPair === pair) {
        table.setAt(slot, pair, Math.max(oldExp, exp));
        changed = exp >= oldExp + SAVE_STEP_S;
      } else {
        this.#pairs.retain(pair);
        this.#pairs.release(oldPair);
        table.setAt(slot, pair, exp);
      }
    } else {
      if (table.size >= this.maxPerClient) this.#shed(table, now, Math.max(1, this.maxPerClient >> 3));
      if (this.#entries >= this.maxEntries) this.#shedGlobal(now);
      // A full sweep may have dropped this client's (then empty) table from the map.
      if (this.#clients.get(client) !== table) this.#clients.set(client, table);
      this.#pairs.retain(pair);
      slot = table.slotFor(addr);
      table.setAt(slot, pair, exp);
      this.#entries++;
    }
    this.#addresses.noteAnswer(addr, pair, exp);
    return changed;
  }

  lookup(client: string, address: string, now: number): AnswerHit | null {
    const table = this.#clients.get(client);
    if (table === undefined) return null;
    const addr = this.#addresses.idOf(address);
    if (addr === 0) return null;
    const slot = table.find(addr);
    if (slot < 0) return null;
    const exp = table.bAt(slot);
    if (!live(exp, now)) return null;
    return this.#hit(table.aAt(slot), exp);
  }

  lookupAny(address: string, now: number): AnswerHit | null {
    const addr = this.#addresses.idOf(address);
    if (addr === 0) return null;
    const a = this.#addresses;
    if (live(a.newestExp(addr), now)) return this.#hit(a.newestPair(addr), a.newestExp(addr));
    if (a.olderPair(addr) !== 0 && live(a.olderExp(addr), now)) return this.#hit(a.olderPair(addr), a.olderExp(addr));
    return null;
  }

  /** The live addresses `client` was given for `service` (null: for names of no service). */
  addressesFor(client: string, service: string | null, now: number): string[] {
    const out: string[] = [];
    const table = this.#clients.get(client);
    if (table === undefined) return out;
    for (let i = 0; i < table.capacity; i++) {
      const key = table.keyAt(i);
      if (key === 0 || !live(table.bAt(i), now)) continue;
      if (this.#pairs.service(table.aAt(i)) === service) out.push(this.#addresses.text(key));
    }
    return out;
  }

  /** Every live answer, optionally only those of one service. */
  *entries(now: number, service?: string | null): Generator<AnswerEntry> {
    for (const [client, table] of this.#clients) {
      for (let i = 0; i < table.capacity; i++) {
        const key = table.keyAt(i);
        if (key === 0 || !live(table.bAt(i), now)) continue;
        const pair = table.aAt(i);
        if (service !== undefined && this.#pairs.service(pair) !== service) continue;
        yield { client, address: this.#addresses.text(key), ...this.#hit(pair, table.bAt(i)) };
      }
    }
  }

  /** The clients that hold answers (live or not yet swept), to walk the index a few at a time. */
  clients(): string[] {
    return [...this.#clients.keys()];
  }

  /** Every live answer of some service; answers for names of no service are passed over without
   *  building an entry (enforcement plans from these, and most answers are of no service). */
  *serviceEntries(now: number): Generator<AnswerEntry> {
    for (const [client, table] of this.#clients) {
      for (let i = 0; i < table.capacity; i++) {
        const key = table.keyAt(i);
        if (key === 0 || !live(table.bAt(i), now)) continue;
        const pair = table.aAt(i);
        if (this.#pairs.service(pair) === null) continue;
        yield { client, address: this.#addresses.text(key), ...this.#hit(pair, table.bAt(i)) };
      }
    }
  }

  /** Calls `visit` for every live answer, to any client, that gave one of `addresses`. */
  forEachAnswerOf(addresses: Iterable<string>, now: number, visit: (address: string, name: string, service: string | null) => void): void {
    const ids = new Set<number>();
    for (const a of addresses) {
      const id = this.#addresses.idOf(a);
      if (id !== 0) ids.add(id);
    }
    if (ids.size === 0) return;
    for (const table of this.#clients.values()) {
      for (let i = 0; i < table.capacity; i++) {
        const key = table.keyAt(i);
        if (key === 0 || !ids.has(key) || !live(table.bAt(i), now)) continue;
        const pair = table.aAt(i);
        visit(this.#addresses.text(key), this.#pairs.name(pair), this.#pairs.service(pair));
      }
    }
  }

  /** Live answers of one client, newest expiry first (for the API's listing). */
  clientEntries(client: string, now: number): AnswerEntry[] {
    const out: AnswerEntry[] = [];
    const table = this.#clients.get(client);
    if (table === undefined) return out;
    for (let i = 0; i < table.capacity; i++) {
      const key = table.keyAt(i);
      if (key === 0 || !live(table.bAt(i), now)) continue;
      out.push({ client, address: this.#addresses.text(key), ...this.#hit(table.aAt(i), table.bAt(i)) });
    }
    return out.sort((x, y) => y.expires - x.expires);
  }

  /** Drop every expired answer; returns how many went. Call it now and then (serve: every minute). */
  sweep(now: number): number {
    this.#lastFullSweep = now;
    let removed = 0;
    for (const [client, table] of this.#clients) {
      removed += this.#removeWhere(table, (exp) => !live(exp, now));
      if (table.size === 0) this.#clients.delete(client);
      else table.compact();
    }
    return removed;
  }

  get size(): number {
    return this.#entries;
  }

  stats(): AnswerIndexStats {
    return {
      entries: this.#entries,
      clients: this.#clients.size,
      addresses: this.#addresses.size,
      names: this.#pairs.size,
      evicted: this.#evicted,
      added: this.#added,
    };
  }

  /** Approximate bytes held by the typed arrays (tables of clients, addresses and names). */
  get arrayBytes(): number {
    let bytes = this.#addresses.bytes + this.#pairs.bytes;
    for (const t of this.#clients.values()) bytes += t.bytes;
    return bytes;
  }

  #hit(pair: number, exp: number): AnswerHit {
    return { name: this.#pairs.name(pair), service: this.#pairs.service(pair), expires: exp * 1000 };
  }

  /** Remove matching entries of one table, releasing their references. */
  #removeWhere(table: SlotTable, drop: (exp: number) => boolean): number {
    let removed = 0;
    for (let i = 0; i < table.capacity; ) {
      const key = table.keyAt(i);
      if (key !== 0 && drop(table.bAt(i))) {
        this.#pairs.release(table.aAt(i));
        this.#addresses.release(key);
        table.removeAt(i);
        this.#entries--;
        removed++;
        continue; // removeAt may have moved a later entry into slot i
      }
      i++;
    }
    return removed;
  }

  /**
   * Make room in one client's table: expired entries, then the `atLeast` soonest to expire. The
   * cut-off expiry comes from a sample of 64 entries rather than a sort of them all: a client at its
   * bound sheds on every eighth of its table, and a sort each time would cost more than the answers.
   */
  #shed(table: SlotTable, now: number, atLeast: number): void {
    const expired = this.#removeWhere(table, (exp) => !live(exp, now));
    if (expired >= atLeast || table.size === 0) return;
    const want = atLeast - expired;
    const sample: number[] = [];
    const step = Math.max(1, Math.floor(table.capacity / 64));
    for (let i = 0; i < table.capacity; i += step) if (table.keyAt(i) !== 0) sample.push(table.bAt(i));
    sample.sort((x, y) => x - y);
    const cut = sample[Math.min(sample.length - 1, Math.ceil((sample.length * want) / table.size))] ?? 0;
    let budget = want;
    const removed = this.#removeWhere(table, (exp) => exp <= cut && budget-- > 0);
    this.#evicted += removed;
    if (removed * 4 >= want || table.size === 0) return;
    // The sample missed (most entries share the lowest expiry, say): sort them all once.
    const all: number[] = [];
    for (let i = 0; i < table.capacity; i++) if (table.keyAt(i) !== 0) all.push(table.bAt(i));
    all.sort((x, y) => x - y);
    const exact = all[Math.min(all.length, want - removed) - 1]!;
    budget = want - removed;
    this.#evicted += this.#removeWhere(table, (exp) => exp <= exact && budget-- > 0);
  }

  /**
   * Make room in total: a full sweep when the last one is a minute old (sweeping a million entries
   * on every insert of a full index would cost more than the answers are worth), then the biggest
   * client sheds an eighth of its answers, the soonest to expire.
   */
  #shedGlobal(now: number): void {
    if (now - this.#lastFullSweep >= 60_000) this.sweep(now);
    if (this.#entries < this.maxEntries) return;
    let biggest: SlotTable | undefined;
    for (const t of this.#clients.values()) if (biggest === undefined || t.size > biggest.size) biggest = t;
    if (biggest !== undefined) this.#shed(biggest, now, Math.max(1, biggest.size >> 3));
  }
}
