/**
 * Interned IP addresses: each address the gateway handed out gets a small id (the key of the
 * clients' tables), with a reference count per client entry, and the newest answer for it over all
 * clients (plus the answer that newest one displaced, while it outlives it) for lookups that do not
 * know the client. IPv4 addresses are keyed by their 32-bit value, IPv6 by canonical text.
 */
import { isIPv6 } from 'node:net';
import { growU32, type InternTable } from './intern-table.js';
import { SlotTable } from './slot-table.js';

/** The 32-bit value of a dotted quad, or -1 when `text` is not one. */
export function ipv4Value(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (++digits > 3 || (digits > 1 && part === 0)) return -1;
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

export function formatIPv4Value(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export class AddressTable {
  readonly #pairs: InternTable;
  /** IPv4 value -> id, in typed arrays: no heap number per address for the collector to trace. */
  readonly #v4 = new SlotTable(1024);
  readonly #v6 = new Map<string, number>();
  /** By id: the IPv6 text, or '' for an IPv4 address (whose value is in #v4Of). */
  readonly #v6Of: string[] = [''];
  #v4Of = new Uint32Array(64);
  readonly #free: number[] = [];
  #refs = new Uint32Array(64);
  #newestPair = new Uint32Array(64);
  #newestExp = new Uint32Array(64);
  #olderPair = new Uint32Array(64);
  #olderExp = new Uint32Array(64);

  constructor(pairs: InternTable) {
    this.#pairs = pairs;
  }

  get size(): number {
    return this.#v4.size + this.#v6.size;
  }

  /** Rough bytes: five arrays, the key array and the map entries. */
  get bytes(): number {
    return this.#refs.byteLength * 6 + this.#v4.bytes + this.#v6Of.length * 8 + this.#v6.size * 60;
  }

  /** The id of `address` if the index knows it, else 0. */
  idOf(address: string): number {
    const v4 = ipv4Value(address);
    return v4 < 0 ? this.#v6.get(address) ?? 0 : this.idOfV4(v4);
  }

  /** The id of the IPv4 address with 32-bit value `v4` if the index knows it, else 0. */
  idOfV4(v4: number): number {
    const slot = v4 === 0 ? -1 : this.#v4.find(v4);
    return slot < 0 ? 0 : this.#v4.aAt(slot);
  }

  /** The address's id with one more reference, or 0 when `address` is not an IP address. */
  acquire(address: string): number {
    const v4 = ipv4Value(address);
    if (v4 >= 0) return this.acquireV4(v4);
    let id = this.#v6.get(address);
    if (id === undefined) {
      if (!isIPv6(address)) return 0;
      id = this.#newId();
      this.#v6Of[id] = address;
      this.#v6.set(address, id);
    }
    this.#refs[id]!++;
    return id;
  }

  /** The id of the IPv4 address with 32-bit value `v4`, with one more reference; 0 for 0.0.0.0,
   *  which is never indexed (it is what filtering resolvers answer for what they block). */
  acquireV4(v4: number): number {
    if (v4 === 0) return 0;
    const slot = this.#v4.slotFor(v4);
    let id = this.#v4.aAt(slot);
    if (id === 0) {
      id = this.#newId();
      this.#v4.setAt(slot, id, 0);
      this.#v4Of[id] = v4;
      this.#v6Of[id] = '';
    }
    this.#refs[id]!++;
    return id;
  }

  #newId(): number {
    const id = this.#free.pop() ?? this.#v6Of.length;
    if (id === this.#v6Of.length) this.#v6Of.push('');
    this.#grow(id + 1);
    this.#refs[id] = 0;
    this.#newestPair[id] = 0;
    this.#newestExp[id] = 0;
    this.#olderPair[id] = 0;
    this.#olderExp[id] = 0;
    return id;
  }

  release(id: number): void {
    if (--this.#refs[id]! > 0) return;
    this.#pairs.release(this.#newestPair[id]!);
    this.#pairs.release(this.#olderPair[id]!);
    const v6 = this.#v6Of[id]!;
    if (v6 === '') {
      const slot = this.#v4.find(this.#v4Of[id]!);
      if (slot >= 0) this.#v4.removeAt(slot);
    }
    else this.#v6.delete(v6);
    this.#v6Of[id] = '';
    this.#free.push(id);
  }

  text(id: number): string {
    const v6 = this.#v6Of[id]!;
    return v6 === '' ? formatIPv4Value(this.#v4Of[id]!) : v6;
  }

  /** Note an answer for the address: it becomes the newest; the one it displaces is kept while it
   *  outlives the new one, so that a short answer does not hide a longer-lived one from lookupAny. */
  noteAnswer(id: number, pair: number, exp: number): void {
    const np = this.#newestPair[id]!;
    const ne = this.#newestExp[id]!;
    if (np === pair) {
      this.#newestExp[id] = Math.max(ne, exp);
      return;
    }
    this.#pairs.retain(pair);
    if (np !== 0 && ne > exp && ne >= this.#olderExp[id]!) {
      this.#pairs.release(this.#olderPair[id]!);
      this.#olderPair[id] = np;
      this.#olderExp[id] = ne;
    } else {
      this.#pairs.release(np);
    }
    if (this.#olderPair[id] === pair) {
      this.#pairs.release(pair);
      this.#olderPair[id] = 0;
      this.#olderExp[id] = 0;
    }
    this.#newestPair[id] = pair;
    this.#newestExp[id] = exp;
  }

  newestPair(id: number): number {
    return this.#newestPair[id]!;
  }

  newestExp(id: number): number {
    return this.#newestExp[id]!;
  }

  olderPair(id: number): number {
    return this.#olderPair[id]!;
  }

  olderExp(id: number): number {
    return this.#olderExp[id]!;
  }

  #grow(need: number): void {
    this.#refs = growU32(this.#refs, need);
    this.#v4Of = growU32(this.#v4Of, need);
    this.#newestPair = growU32(this.#newestPair, need);
    this.#newestExp = growU32(this.#newestExp, need);
    this.#olderPair = growU32(this.#olderPair, need);
    this.#olderExp = growU32(this.#olderExp, need);
  }
}
