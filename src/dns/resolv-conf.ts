/**
 * Upstreams from /etc/resolv.conf, used when the configuration names none. Addresses that would
 * send queries back to this gateway, or that cannot be reached, are skipped.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { HostPort, UpstreamSpec } from '../config/index.js';
import { ERROR_CODES, RambuError } from '../errors.js';
import { unmapIPv4 } from './ip-address.js';

const UNUSABLE = new Set(['0.0.0.0', '::', '255.255.255.255']);

/**
 * The usable `nameserver` lines of resolv.conf text, as UDP upstreams on port 53. A nameserver is
 * skipped when one of `listen` answers on it: the same address on port 53, or a wildcard on port 53
 * when it is a loopback address or one of `localAddresses` (default: this host's interfaces).
 */
export function parseResolvConf(text: string, listen: readonly HostPort[], localAddresses: readonly string[] = interfaceAddresses()): UpstreamSpec[] {
  const out: UpstreamSpec[] = [];
  const seen = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const m = /^nameserver\s+(\S+)$/.exec(line);
    if (m === null) continue;
    const host = unmapIPv4(m[1]!);
    const family = isIP(host.split('%')[0] ?? '');
    if (family === 0 || UNUSABLE.has(host) || seen.has(host)) continue;
    const local = host.startsWith('127.') || host === '::1' || localAddresses.includes(host);
    const ourselves = listen.some((l) => l.port === 53 && (l.host === host
      || (local && ((family === 4 && l.host === '0.0.0.0') || (family === 6 && l.host === '::')))));
    if (ourselves) continue;
    seen.add(host);
    out.push({ protocol: 'udp', host, port: 53, serverName: null, label: family === 6 ? `udp://[${host}]:53` : `udp://${host}:53` });
  }
  return out;
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

/** Read resolv.conf at `path` and return its usable nameservers; throws NO_UPSTREAM when none. */
export async function upstreamsFromResolvConf(path: string, listen: readonly HostPort[]): Promise<UpstreamSpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RambuError(ERROR_CODES.NO_UPSTREAM,
      `no upstream DNS resolver: dns.upstreams is empty and ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const found = parseResolvConf(text, listen);
  if (found.length === 0) {
    throw new RambuError(ERROR_CODES.NO_UPSTREAM,
      `no upstream DNS resolver: dns.upstreams is empty and ${path} names no usable nameserver (add dns.upstreams, e.g. "udp://1.1.1.1:53")`);
  }
  return found;
}
