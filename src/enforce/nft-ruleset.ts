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
import { redirectChain, redirectForwardRules, redirectSets, type DnsRedirectPlan } from './dns-redirect.js';

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
  /** `enforce.dnsRedirect`: the DNS redirect and the DoT/DoH rejects; absent: none. */
  redirect?: DnsRedirectPlan;
  /** Pairs cut a moment ago, with the seconds they stay in the cut sets. */
  cuts?: readonly { pair: BlockPair; seconds: number }[];
}

/** How long a cut pair's mid-stream packets are reset (see {@link cutElementsText}). */
export const CUT_SECONDS = 120;

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

function setBlock(name: string, type: string, items: readonly string[], flags?: string): string[] {
  const lines = [`  set ${name} {`, `    type ${type}`];
  if (flags !== undefined) lines.push(`    flags ${flags}`);
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
    ...setBlock('cut4', 'ipv4_addr . ipv4_addr', cutItems(plan.cuts, 4), 'timeout'),
    ...setBlock('cut6', 'ipv6_addr . ipv6_addr', cutItems(plan.cuts, 6), 'timeout'),
    ...(plan.redirect === undefined ? [] : redirectSets(plan.redirect)),
    '  chain forward {',
    `    type filter hook forward priority ${priority}; policy accept;`,
    // A connection whose tracking entry was cut comes back as "new" on its next packet (loose TCP
    // pickup): without NAT it would simply go on. A cut pair's mid-stream TCP is reset instead,
    // while a fresh SYN (the browser reconnecting, its next lookup blocked) passes.
    // Both directions: the server's next segment may be the first packet seen after the cut.
    '    ct state new ip saddr . ip daddr @cut4 tcp flags & (syn | ack) != syn reject with tcp reset',
    '    ct state new ip daddr . ip saddr @cut4 tcp flags & (syn | ack) != syn reject with tcp reset',
    '    ct state new ip6 saddr . ip6 daddr @cut6 tcp flags & (syn | ack) != syn reject with tcp reset',
    '    ct state new ip6 daddr . ip6 saddr @cut6 tcp flags & (syn | ack) != syn reject with tcp reset',
    '    ip saddr . ip daddr @block4 meta l4proto tcp reject with tcp reset',
    '    ip saddr . ip daddr @block4 meta l4proto udp drop',
    '    ip6 saddr . ip6 daddr @block6 meta l4proto tcp reject with tcp reset',
    '    ip6 saddr . ip6 daddr @block6 meta l4proto udp drop',
    ...(plan.redirect === undefined ? [] : redirectForwardRules(plan.redirect)),
    '  }',
    ...(plan.redirect === undefined ? [] : redirectChain(plan.redirect)),
    '}',
    '',
  ].join('\n');
}

function cutItems(cuts: NftPlan['cuts'], want: 4 | 6): string[] {
  const out = new Map<string, number>();
  for (const c of cuts ?? []) {
    if (family(c.pair.client) !== want || family(c.pair.address) !== want || c.seconds < 1) continue;
    const k = `${c.pair.client} . ${c.pair.address}`;
    out.set(k, Math.max(out.get(k) ?? 0, Math.ceil(c.seconds)));
  }
  return [...out].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, s]) => `${k} timeout ${s}s`);
}

/** `nft -f` text that adds `pairs` to the cut sets for {@link CUT_SECONDS}, the table left as it is. */
export function cutElementsText(pairs: readonly BlockPair[]): string {
  const lines: string[] = [];
  for (const want of [4, 6] as const) {
    const items = cutItems(pairs.map((pair) => ({ pair, seconds: CUT_SECONDS })), want);
    if (items.length > 0) lines.push(`add element ${TABLE_FAMILY} ${TABLE_NAME} cut${want} { ${items.join(', ')} }`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
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
