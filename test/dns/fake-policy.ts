/**
 * A stand-in for the policy engine in DNS tests: services are domain suffixes blocked between two
 * instants (or always), optionally for some clients only. The DNS server only calls `decide`, so the
 * fake implements just that and is handed over as a Policy with {@link FakePolicy.asPolicy}; the rest
 * of the Policy interface can grow without touching these tests.
 */
import type { Decision, Policy } from '../../src/policy/index.js';

export interface FakeBlock {
  service: string;
  domains: readonly string[];
  /** Epoch ms the block starts; null: since always. */
  from: number | null;
  /** Epoch ms the block ends (exclusive); null: forever. */
  to: number | null;
  /** Only these clients are blocked; absent: everyone. */
  clients?: readonly string[];
  rule?: string;
}

function matches(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}

export class FakePolicy {
  readonly blocks: FakeBlock[];
  /** Every (client, name) decide() was asked about, in order. */
  readonly asked: { client: string; name: string; at: number }[] = [];

  constructor(blocks: FakeBlock[] = []) {
    this.blocks = blocks;
  }

  decide(client: string, name: string, at: number): Decision {
    this.asked.push({ client, name, at });
    for (const b of this.blocks) {
      if (!b.domains.some((d) => matches(name, d))) continue;
      if (b.clients !== undefined && !b.clients.includes(client)) continue;
      const rule = b.rule ?? `block-${b.service}`;
      if (b.from !== null && at < b.from) return { action: 'allow', service: b.service, rule: null, exemption: null, until: b.from };
      if (b.to !== null && at >= b.to) continue;
      return { action: 'block', service: b.service, rule, exemption: null, until: b.to };
    }
    return { action: 'allow', service: null, rule: null, exemption: null, until: null };
  }

  asPolicy(): Policy {
    return this as unknown as Policy;
  }
}
