/**
 * Datagrams the kernel dropped for the collector's socket because its receive buffer was full: the
 * `drops` column of /proc/net/udp (or udp6) on the line of the bound port. Loss that the exporter's
 * sequence numbers cannot show when it happens on the collector's own host; null where there is no
 * /proc (not Linux) or the line is not found.
 */
import { readFileSync } from 'node:fs';

/** Parse the `drops` of the sockets bound to `port` out of a /proc/net/udp table's text. */
export function parseUdpDrops(text: string, port: number): number | null {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let drops: number | null = null;
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // sl, local_address, rem_address, st, ..., drops last.
    if (cols.length < 13 || !cols[1]!.endsWith(hexPort)) continue;
    const n = Number(cols[cols.length - 1]);
    if (Number.isFinite(n)) drops = (drops ?? 0) + n;
  }
  return drops;
}

/** Kernel drops of the UDP socket bound to `port` (`udp6`: an IPv6 socket), or null. */
export function readSocketDrops(port: number, udp6: boolean): number | null {
  try {
    return parseUdpDrops(readFileSync(udp6 ? '/proc/net/udp6' : '/proc/net/udp', 'latin1'), port);
  } catch {
    return null;
  }
}
