/**
 * Interned (name, service) pairs with reference counts: thousands of clients asking for the same
 * names share one copy of each string, and a pair no answer uses any more is forgotten, so the table
 * follows the live answers instead of every name ever asked. Ids start at 1; 0 means none.
 */

export function growU32(a: Uint32Array<ArrayBuffer>, need: number): Uint32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Uint32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

export class InternTable {
  /** Per service (null: names of no service), name -> id: no key to build for a lookup. */
  readonly #noService = new Map<string, number>();
  readonly #byService = new Map<string, Map<string, number>>();
  #size = 0;
  readonly #names: string[] = [''];
  readonly #services: (string | null)[] = [null];
  readonly #free: number[] = [];
  #refs = new Uint32Array(64);

  get size(): number {
    return this.#size;
  }

  /** Rough bytes: the strings themselves, the map entry and the arrays. */
  get bytes(): number {
    return this.#refs.byteLength + this.#names.length * 16 + this.#size * 40;
  }

  /** The pair's id, with one more reference to it. */
  acquire(name: string, service: string | null): number {
    let ids = this.#noService;
    if (service !== null) {
      let m = this.#byService.get(service);
      if (m === undefined) {
        m = new Map();
        this.#byService.set(service, m);
      }
      ids = m;
    }
    let id = ids.get(name);
    if (id === undefined) {
      id = this.#free.pop() ?? this.#names.length;
      this.#names[id] = name;
      this.#services[id] = service;
      this.#refs = growU32(this.#refs, id + 1);
      this.#refs[id] = 0;
      ids.set(name, id);
      this.#size++;
    }
    this.#refs[id]!++;
    return id;
  }

  /** One more reference to a pair already held. */
  retain(id: number): void {
    this.#refs[id]!++;
  }

  /** One reference fewer; the pair is forgotten at none. */
  release(id: number): void {
    if (id === 0) return;
    const left = --this.#refs[id]!;
    if (left > 0) return;
    const name = this.#names[id]!;
    const service = this.#services[id]!;
    if (service === null) this.#noService.delete(name);
    else {
      const m = this.#byService.get(service);
      m?.delete(name);
      if (m?.size === 0) this.#byService.delete(service);
    }
    this.#size--;
    this.#names[id] = '';
    this.#services[id] = null;
    this.#free.push(id);
  }

  name(id: number): string {
    return this.#names[id]!;
  }

  service(id: number): string | null {
    return this.#services[id]!;
  }
}
