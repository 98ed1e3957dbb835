/**
 * A small seeded pseudo-random generator, so that the same seed always yields the same blocklist and
 * query file on every machine and Node.js version (Math.random cannot be seeded). It hashes a
 * 32-bit counter that advances by an odd constant, which visits every state before repeating.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    x ^= x >>> 16;
    return (x >>> 0) / 0x1_0000_0000;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new RangeError('Cannot pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
  };
}

/** Picks from `[item, weight]` pairs in proportion to the weights. */
export function createWeightedPicker<T>(pairs: readonly (readonly [T, number])[]): (random: Random) => T {
  const total = pairs.reduce((sum, [, weight]) => sum + weight, 0);
  return (random) => {
    let target = random.next() * total;
    for (const [item, weight] of pairs) {
      target -= weight;
      if (target < 0) return item;
    }
    return pairs[pairs.length - 1]![0];
  };
}
