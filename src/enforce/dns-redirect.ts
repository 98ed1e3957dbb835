/**
 * `enforce.dnsRedirect`: the bypasses closed at the gateway, as lines of table inet rambu. Clients'
 * DNS (UDP and TCP 53) to any resolver but the gateway is redirected to rambu's DNS port, so a
 * hard-coded 8.8.8.8 gets rambu's answers; DNS over TLS (TCP 853) is rejected except to rambu's own
 * upstreams; and while a rule blocks `doh-bypass`, HTTPS (TCP and UDP 443) from the clients it
 * covers to the known DNS-over-HTTPS resolvers is rejected. Pure text; the plan says what is in force.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ruleStatus, type Policy } from '../policy/index.js';

export interface DnsRedirectPlan {
  /** rambu's DNS port on this machine. */
  port: number;
  /** Where to send redirected IPv4 queries: a listen address, null for the address of the
   *  interface the query came in on (rambu listens on every address), or false when rambu does not
   *  answer over IPv4 at all (the queries are rejected, so clients fall back at once). Same for `v6`. */
  v4: string | null | false;
  v6: string | null | false;
  /** Interfaces of the office clients; empty: sources in `clients`. */
  interfaces: readonly string[];
  /** Client networks (CIDRs) whose queries are redirected when no interfaces are given. */
  clients: readonly string[];
  /** Addresses DNS over TLS may still reach: rambu's tls:// upstreams. */
  dotAllowed: readonly string[];
  /** Networks a doh-bypass block covers now, less `dohExempt`. */
  dohSources: readonly string[];
  dohExempt: readonly string[];
  /** Addresses of DNS-over-HTTPS resolvers. */
  dohAddresses: readonly string[];
}

const v4 = (c: string): boolean => isIPv4(c.split('/')[0] ?? '');
const v6 = (c: string): boolean => isIPv6(c.split('/')[0] ?? '');

function intervalSet(name: string, type: string, items: readonly string[]): string[] {
  const unique = [...new Set(items)].sort();
  const lines = [`  set ${name} {`, `    type ${type}`, '    flags interval', '    auto-merge'];
  if (unique.length > 0) lines.push(`    elements = { ${unique.join(', ')} }`);
  lines.push('  }');
  return lines;
}

/** The sets of the redirect, to declare in the table. */
export function redirectSets(plan: DnsRedirectPlan): string[] {
  return [
    ...intervalSet('dns_clients4', 'ipv4_addr', plan.clients.filter(v4)),
    ...intervalSet('dns_clients6', 'ipv6_addr', plan.clients.filter(v6)),
    ...intervalSet('dot_allowed4', 'ipv4_addr', plan.dotAllowed.filter(v4)),
    ...intervalSet('dot_allowed6', 'ipv6_addr', plan.dotAllowed.filter(v6)),
    ...intervalSet('doh_sources4', 'ipv4_addr', plan.dohSources.filter(v4)),
    ...intervalSet('doh_sources6', 'ipv6_addr', plan.dohSources.filter(v6)),
    ...intervalSet('doh_exempt4', 'ipv4_addr', plan.dohExempt.filter(v4)),
    ...intervalSet('doh_exempt6', 'ipv6_addr', plan.dohExempt.filter(v6)),
    ...intervalSet('doh4', 'ipv4_addr', plan.dohAddresses.filter(v4)),
    ...intervalSet('doh6', 'ipv6_addr', plan.dohAddresses.filter(v6)),
  ];
}

/** The nat chain that redirects DNS. */
export function redirectChain(plan: DnsRedirectPlan): string[] {
  const from4 = plan.interfaces.length > 0 ? `iifname { ${plan.interfaces.map((i) => `"${i}"`).join(', ')} }` : 'ip saddr @dns_clients4';
  const from6 = plan.interfaces.length > 0 ? from4 : 'ip6 saddr @dns_clients6';
  const to4 = plan.v4 === null ? `redirect to :${plan.port}` : `dnat ip to ${plan.v4}:${plan.port}`;
  const to6 = plan.v6 === null ? `redirect to :${plan.port}` : `dnat ip6 to [${plan.v6}]:${plan.port}`;
  const lines = ['  chain dns_redirect {', '    type nat hook prerouting priority dstnat; policy accept;'];
  // Queries to the gateway itself are rambu's already; only those to other resolvers are turned.
  for (const proto of ['udp', 'tcp']) {
    if (plan.v4 !== false) lines.push(`    meta nfproto ipv4 ${from4} fib daddr type != local ${proto} dport 53 ${to4}`);
    if (plan.v6 !== false) lines.push(`    meta nfproto ipv6 ${from6} fib daddr type != local ${proto} dport 53 ${to6}`);
  }
  lines.push('  }');
  return lines;
}

/** Rules of the forward chain: DNS over TLS and DNS over HTTPS rejected. */
export function redirectForwardRules(plan: DnsRedirectPlan): string[] {
  const from4 = plan.interfaces.length > 0 ? `iifname { ${plan.interfaces.map((i) => `"${i}"`).join(', ')} } ` : 'ip saddr @dns_clients4 ';
  const from6 = plan.interfaces.length > 0 ? from4 : 'ip6 saddr @dns_clients6 ';
  // A family rambu does not answer on cannot be redirected: its DNS to other resolvers is refused.
  const refused = [
    ...(plan.v4 === false ? [`    ${from4}meta nfproto ipv4 meta l4proto { tcp, udp } th dport 53 reject`] : []),
    ...(plan.v6 === false ? [`    ${from6}meta nfproto ipv6 meta l4proto { tcp, udp } th dport 53 reject`] : []),
  ];
  return [
    ...refused,
    `    ${from4}ip daddr != @dot_allowed4 tcp dport 853 reject with tcp reset`,
    `    ${from6}ip6 daddr != @dot_allowed6 tcp dport 853 reject with tcp reset`,
    '    ip saddr @doh_sources4 ip saddr != @doh_exempt4 ip daddr @doh4 tcp dport 443 reject with tcp reset',
    '    ip saddr @doh_sources4 ip saddr != @doh_exempt4 ip daddr @doh4 udp dport 443 drop',
    '    ip6 saddr @doh_sources6 ip6 saddr != @doh_exempt6 ip6 daddr @doh6 tcp dport 443 reject with tcp reset',
    '    ip6 saddr @doh_sources6 ip6 saddr != @doh_exempt6 ip6 daddr @doh6 udp dport 443 drop',
  ];
}

/** The service of the built-in catalog that holds the public DNS-over-HTTPS resolvers. */
export const DOH_SERVICE = 'doh-bypass';

/**
 * Which networks a `doh-bypass` block covers at `now` and which are exempt, from the rules in force
 * (active, enforcing, blocking doh-bypass; every client when a rule names no group) and the active
 * exemptions that allow it; `until` is the next instant either can change. Clients that never asked
 * rambu anything are covered too, which is the point: a browser with its own resolver asks nobody.
 */
export function dohCoverage(policy: Policy, now: number): { sources: string[]; exempt: string[]; until: number | null } {
  const networks = new Map(policy.groups.map((g) => [g.name, g.networks]));
  const sources: string[] = [];
  let until = Infinity;
  for (const r of ruleStatus(policy, now)) {
    if (!r.services.includes(DOH_SERVICE)) continue;
    if (r.until !== null && r.until > now) until = Math.min(until, r.until);
    if (!r.active || r.monitoring || r.action !== 'block') continue;
    if (r.groups.length === 0) sources.push('0.0.0.0/0', '::/0');
    else for (const g of r.groups) sources.push(...(networks.get(g) ?? []));
  }
  const exempt: string[] = [];
  for (const e of policy.exemptions) {
    if (!e.allow.includes(DOH_SERVICE)) continue;
    const from = e.from ?? -Infinity;
    if (from > now) { until = Math.min(until, from); continue; }
    if (e.until <= now) continue;
    until = Math.min(until, e.until);
    exempt.push(...e.clients.map((c) => (c.includes('/') ? c : `${c}/${c.includes(':') ? 128 : 32}`)));
    for (const g of e.groups) exempt.push(...(networks.get(g) ?? []));
  }
  return { sources, exempt, until: until === Infinity ? null : until };
}
