/**
 * The nftables back-end's text: rambu owns one table, `inet rambu`, and touches nothing else. The
 * whole table is replaced in one `nft -f` transaction (declare, delete, define: the kernel applies
 * the file atomically or not at all), so a restart rebuilds it from the answer index and a half
 * applied state never exists. Pure functions from a plan to text and argument lists; the shell that
 * runs `nft` and `conntrack` lives elsewhere.
 *
 * While a block lasts, forwarded TCP from a client to an address it was given for the blocked
 * service is rejected with a reset and UDP (QUIC) dropped, matched on (client, address) pairs in two
 * concatenated sets, one per family.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const TABLE_FAMILY = 'inet';
export const TABLE_NAME = 'rambu';

/** One standing reject: `client` may not reach `address` while it lasts. */
export interface BlockPair {
  client: string;
  address: string;
  /** The blocked service the address was given for (back-ends that keep lists per service use it). */
  service?: string;
}

export interface NftPlan {
  /** Pairs to reject. Pairs of mixed families are impossible in a packet and are skipped. */
  pairs: readonly BlockPair[];
  /** Priority of the forward hook; below 0 runs before the distribution's own filter. @default -10 */
  priority?: number;
}

function family(a: string): 4 | 6 | 0 {
  return isIPv4(a) ? 4 : isIPv6(a) ? 6 : 0;
}

/** Set elements, sorted and unique, for one family. */
function elements(pairs: readonly BlockPair[], want: 4 | 6): string[] {
  const out = new Set<string>();
  for (const p of pairs) {
    if (family(p.client) === want && family(p.address) === want) out.add(`${p.client} . ${p.address}`);
  }
  return [...out].sort();
}

function setBlock(name: string, type: string, items: readonly string[]): string[] {
  const lines = [`  set ${name} {`, `    type ${type}`];
  if (items.length > 0) lines.push(`    elements = { ${items.join(',\n                 ')} }`);
  lines.push('  }');
  return lines;
}

/** The `nft -f` text that replaces table inet rambu with exactly `plan`. */
export function nftRuleset(plan: NftPlan): string {
  const priority = plan.priority ?? -10;
  const v4 = elements(plan.pairs, 4);
  const v6 = elements(plan.pairs, 6);
  return [
    // Declaring first makes the delete valid when the table does not exist yet.
    `table ${TABLE_FAMILY} ${TABLE_NAME}`,
    `delete table ${TABLE_FAMILY} ${TABLE_NAME}`,
    `table ${TABLE_FAMILY} ${TABLE_NAME} {`,
    ...setBlock('block4', 'ipv4_addr . ipv4_addr', v4),
    ...setBlock('block6', 'ipv6_addr . ipv6_addr', v6),
    '  chain forward {',
    `    type filter hook forward priority ${priority}; policy accept;`,
    '    ip saddr . ip daddr @block4 meta l4proto tcp reject with tcp reset',
    '    ip saddr . ip daddr @block4 meta l4proto udp drop',
    '    ip6 saddr . ip6 daddr @block6 meta l4proto tcp reject with tcp reset',
    '    ip6 saddr . ip6 daddr @block6 meta l4proto udp drop',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The `nft -f` text that removes the table (a clean stop), whether or not it exists. */
export function nftTeardown(): string {
  return `table ${TABLE_FAMILY} ${TABLE_NAME}\ndelete table ${TABLE_FAMILY} ${TABLE_NAME}\n`;
}

/** `nft` arguments that list the table as JSON, to read back what is in force. */
export const NFT_LIST_ARGS = ['-j', 'list', 'table', TABLE_FAMILY, TABLE_NAME] as const;

/**
 * `conntrack` argument lists that delete the tracked connections from `client` to `address`, one
 * per protocol (TCP and UDP, so QUIC too): the one-time cut at a boundary.
 */
export function conntrackDeleteArgs(pair: BlockPair): string[][] {
  const f = family(pair.address);
  if (f === 0 || family(pair.client) !== f) return [];
  return ['tcp', 'udp'].map((proto) => ['-D', '-f', f === 4 ? 'ipv4' : 'ipv6', '-p', proto, '-s', pair.client, '-d', pair.address]);
}

/** The (client, address) pairs of table inet rambu as `nft -j list table inet rambu` printed it. */
export function pairsFromNftJson(json: string): BlockPair[] {
  const doc = JSON.parse(json) as { nftables?: unknown[] };
  const out: BlockPair[] = [];
  for (const item of doc.nftables ?? []) {
    const set = (item as { set?: { table?: string; name?: string; elem?: unknown[] } }).set;
    if (set === undefined || set.table !== TABLE_NAME || (set.name !== 'block4' && set.name !== 'block6')) continue;
    for (const e of set.elem ?? []) {
      const concat = (e as { concat?: unknown[] }).concat;
      if (Array.isArray(concat) && typeof concat[0] === 'string' && typeof concat[1] === 'string') {
        out.push({ client: concat[0], address: concat[1] });
      }
    }
  }
  return out;
}
