/**
 * Which (client, address) pairs to cut and hold for a set of blocks: for each client and blocked
 * service, the live addresses the answer index says that client was given for that service, less
 * every address enforcement must never touch.
 */
import type { AnswerIndex } from '../answers/index.js';
import type { BlockPair } from './nft-ruleset.js';
import type { NeverTouch } from './never-touch.js';

/** A decision that turned to block: `client` may not use `service` now. */
export interface ClientBlock {
  client: string;
  service: string;
}

export function blockPairs(index: AnswerIndex, blocks: readonly ClientBlock[], now: number, spare: NeverTouch): BlockPair[] {
  const seen = new Set<string>();
  const out: BlockPair[] = [];
  for (const b of blocks) {
    for (const address of index.addressesFor(b.client, b.service, now)) {
      const key = `${b.client} ${address}`;
      if (seen.has(key) || spare.spares(address)) continue;
      seen.add(key);
      out.push({ client: b.client, address, service: b.service });
    }
  }
  return out;
}
