/** The `enforce` section as runtime settings: back-end, redirect, never-touch networks, the router's API. */
import { isAbsolute, resolve } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { parseCidr } from '../policy/cidr.js';
import { normalizeDomain } from '../policy/domain-name.js';
import type { EnforceConfig } from './schema.js';
import type { EnforceSettings } from './settings.js';

/** Interface names as the kernel allows them (IFNAMSIZ 16 with the NUL; no slash or blank). */
const INTERFACE = /^[A-Za-z0-9_.:@-]{1,15}$/;

/** Resolve `enforce`; null when absent. `baseDir` anchors the router's password and CA files. */
export function resolveEnforceSettings(enforce: EnforceConfig | undefined, baseDir: string, issues: ConfigIssue[]): EnforceSettings | null {
  if (enforce === undefined) return null;
  const lanInterfaces = enforce.lanInterfaces ?? [];
  lanInterfaces.forEach((name, i) => {
    if (!INTERFACE.test(name)) issues.push({ path: ['enforce', 'lanInterfaces', i], message: `invalid interface name "${name}": 1-15 of A-Z a-z 0-9 _ . : @ -` });
  });
  const officeNetworks = enforce.officeNetworks ?? [];
  officeNetworks.forEach((c, i) => {
    if (parseCidr(c) === null) issues.push({ path: ['enforce', 'officeNetworks', i], message: `invalid network "${c}": expected an address or CIDR` });
  });
  const dedicated: string[] = [];
  (enforce.dedicated ?? []).forEach((d, i) => {
    const name = normalizeDomain(d);
    if (name === null || !name.includes('.')) issues.push({ path: ['enforce', 'dedicated', i], message: `invalid domain "${d}": expected a domain suffix such as video.example.com` });
    else dedicated.push(name);
  });
  let routeros: EnforceSettings['routeros'] = null;
  if (enforce.routeros !== undefined) {
    const r = enforce.routeros;
    let url: URL | null = null;
    try { url = new URL(r.url); } catch { url = null; }
    if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '' || url.username !== '' || url.password !== '') {
      // The message never quotes the URL: it may carry a password.
      issues.push({ path: ['enforce', 'routeros', 'url'], message: 'invalid routeros.url: expected https://host[:port] of the router, without user or password (those go in username and passwordFile)' });
    }
    const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
    routeros = { url: r.url, username: r.username, passwordFile: abs(r.passwordFile), caFile: r.caFile === undefined ? null : abs(r.caFile) };
  } else if (enforce.backend === 'routeros') {
    issues.push({ path: ['enforce', 'backend'], message: 'enforce.backend is routeros but there is no enforce.routeros: add url, username and passwordFile of the router\'s REST API' });
  }
  return {
    backend: enforce.backend,
    dnsRedirect: enforce.dnsRedirect ?? false,
    lanInterfaces, officeNetworks,
    privateRanges: enforce.privateRanges ?? true,
    dedicated, routeros,
  };
}
