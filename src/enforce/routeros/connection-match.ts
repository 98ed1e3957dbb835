/**
 * Which of the router's tracked connections a cut removes. RouterOS lists a connection's ends with
 * their port (`10.20.5.7:51544`, `[2404:6800::5d]:443`), so the REST API cannot filter them by
 * address alone: rambu reads the table and picks the TCP and UDP connections from a pair's client to
 * its address here.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { BlockPair } from '../index.js';
import { normalizeAddress } from './address-list-plan.js';

/** A tracked connection as the router lists it. */
export interface RouterConnection {
  id: string;
  srcAddress: string;
  dstAddress: string;
  protocol: string;
}

/** The address of a connection end: `a.b.c.d:port`, `[v6]:port`, a bare address; null when none. */
export function endAddress(text: string): string | null {
  const t = text.trim();
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    return close < 0 ? null : normalizeAddress(t.slice(1, close));
  }
  if (isIPv4(t) || isIPv6(t)) return normalizeAddress(t);
  const colon = t.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(t.slice(colon + 1))) {
    const host = t.slice(0, colon);
    if (isIPv4(host) || isIPv6(host)) return normalizeAddress(host);
  }
  // Some builds write an IPv6 end as `addr.port`.
  const dot = t.lastIndexOf('.');
  if (dot > 0 && /^\d+$/.test(t.slice(dot + 1)) && isIPv6(t.slice(0, dot))) return normalizeAddress(t.slice(0, dot));
  return null;
}

const CUT_PROTOCOLS = new Set(['tcp', 'udp', '6', '17']);

/** The connections of `table` from a pair's client to its address, TCP and UDP (QUIC) alike. */
export function connectionsToCut(table: readonly RouterConnection[], pairs: readonly BlockPair[]): RouterConnection[] {
  const wanted = new Set<string>();
  for (const p of pairs) {
    const c = normalizeAddress(p.client);
    const a = normalizeAddress(p.address);
    if (c !== null && a !== null) wanted.add(`${c} ${a}`);
  }
  return table.filter((conn) => {
    if (!CUT_PROTOCOLS.has(conn.protocol.toLowerCase())) return false;
    const src = endAddress(conn.srcAddress);
    const dst = endAddress(conn.dstAddress);
    return src !== null && dst !== null && wanted.has(`${src} ${dst}`);
  });
}
