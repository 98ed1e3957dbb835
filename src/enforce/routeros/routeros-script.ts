/**
 * The one-time RouterOS v7 script an admin pastes into the router so that the address lists rambu
 * keeps take effect: per blocked service, forwarded TCP from `rambu-<service>.clients` to
 * `rambu-<service>` is reset and UDP (QUIC) dropped, IPv4 and IPv6, ahead of the fasttrack and
 * "accept established" rules; a user group with only the policies the REST API needs; optionally,
 * clients' DNS redirected to rambu. Every rule carries a comment starting `rambu: `, and the script
 * first removes the rules of that comment, so running it again (after a service is added) replaces
 * them. A pure function of its options.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { clientList, serviceList } from './address-list-plan.js';

export interface RouterOsScriptOptions {
  /** Services (and blocklists) the policy's rules block, in the order the rules name them. */
  services: readonly string[];
  /** Name of the REST API user (and of its group). @default 'rambu' */
  username?: string;
  /** rambu's address as the router sees it: the API user accepts logins only from it. */
  rambuAddress?: string;
  /** Redirect clients' DNS (UDP and TCP 53) to these addresses (at most one IPv4, one IPv6) and reject DNS over TLS. */
  dnsAddresses?: readonly string[];
  /** The interface list of the office's client side (the default configuration's name). @default 'LAN' */
  lanInterfaceList?: string;
}

const RULE_COMMENT = '^rambu: ';

function quote(text: string): string {
  return `"${text.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/** Filter rules (without the menu) for one service. */
function serviceRules(service: string): string[] {
  const match = `src-address-list=${quote(clientList(service))} dst-address-list=${quote(serviceList(service))}`;
  return [
    `add chain=forward action=reject reject-with=tcp-reset protocol=tcp ${match} comment=${quote(`rambu: ${service} tcp`)}`,
    `add chain=forward action=drop protocol=udp ${match} comment=${quote(`rambu: ${service} udp`)}`,
  ];
}

/** Moves rambu's filter rules of `menu` before the first other forward rule (fasttrack, accept established). */
function moveFirst(menu: string): string {
  return `{ :local first ([${menu} find where chain=forward and !(comment~${quote(RULE_COMMENT)})]->0); :if ([:typeof $first] = "id") do={ ${menu} move [find where comment~${quote(RULE_COMMENT)}] destination=$first } }`;
}

function filterSection(menu: '/ip firewall filter' | '/ipv6 firewall filter', services: readonly string[], dot: string[]): string[] {
  const lines = [`${menu} remove [find where comment~${quote(RULE_COMMENT)}]`];
  for (const s of services) for (const r of serviceRules(s)) lines.push(`${menu} ${r}`);
  lines.push(...dot.map((r) => `${menu} ${r}`));
  if (services.length + dot.length > 0) lines.push(moveFirst(menu));
  return lines;
}

/** The script text for `options`. Throws RangeError for a service name or address that is not one. */
export function routerOsScript(options: RouterOsScriptOptions): string {
  const user = options.username ?? 'rambu';
  const lan = options.lanInterfaceList ?? 'LAN';
  const services = [...new Set(options.services)];
  for (const s of services) if (!/^[a-z][a-z0-9-]*$/.test(s)) throw new RangeError(`invalid service name "${s}": expected lowercase letters, digits and hyphens`);
  if (!/^[A-Za-z0-9_.-]+$/.test(user)) throw new RangeError(`invalid RouterOS user name "${user}": expected letters, digits, ".", "_" or "-"`);
  const rambu = options.rambuAddress;
  if (rambu !== undefined && !isIPv4(rambu) && !isIPv6(rambu)) throw new RangeError(`invalid rambu address "${rambu}": expected an IPv4 or IPv6 address`);
  const dns = options.dnsAddresses ?? [];
  for (const a of dns) if (!isIPv4(a) && !isIPv6(a)) throw new RangeError(`invalid DNS address "${a}": expected an IPv4 or IPv6 address`);
  const dns4 = dns.find((a) => isIPv4(a));
  const dns6 = dns.find((a) => isIPv6(a));

  const dotRule = (self: string): string => `add chain=forward action=reject reject-with=tcp-reset protocol=tcp dst-port=853 in-interface-list=${quote(lan)} src-address=!${self} comment=${quote('rambu: dns over tls')}`;
  const out = [
    '# rambu: one-time setup of a MikroTik router (RouterOS v7) for enforcement.',
    `# Blocked services: ${services.length === 0 ? '(none: no rule of the policy blocks a service)' : services.join(', ')}`,
    '# Paste it into the router\'s terminal, or upload it as rambu.rsc and run /import rambu.rsc.',
    '# Running it again replaces the rules it made before (their comments start with "rambu: ").',
    '#',
    '# rambu then keeps, through the REST API, the address lists rambu-<service> (the addresses each',
    '# service was answered with) and rambu-<service>.clients (the clients blocked from it): entries',
    '# with a timeout and the comment "rambu". At each boundary it removes the connections from those',
    '# clients to those addresses. It changes nothing else on the router.',
    '',
    '# 1. A group with only what the REST API needs, and a user in it.',
    `:if ([:len [/user group find where name=${quote(user)}]] = 0) do={ /user group add name=${quote(user)} policy=read,write,api,rest-api comment=${quote('rambu enforcement')} }`,
    `:if ([:len [/user find where name=${quote(user)}]] = 0) do={ /user add name=${quote(user)} group=${quote(user)} disabled=yes comment=${quote('rambu enforcement')} }`,
  ];
  if (rambu !== undefined) out.push(`/user set [find where name=${quote(user)}] address=${rambu}/${isIPv4(rambu) ? 32 : 128}`);
  out.push(
    '# Set its password (the one in the file enforce.routeros.passwordFile names) and enable it:',
    `#   /user set ${user} password="..." disabled=no`,
    '',
    '# 2. The REST API runs on the www-ssl service (HTTPS). If www-ssl has no certificate yet:',
    '#   /certificate add name=rambu-api common-name=router key-usage=digital-signature,key-encipherment,tls-server days-valid=3650',
    '#   /certificate sign rambu-api',
    '#   /ip service set www-ssl certificate=rambu-api',
    '#   /certificate export-certificate rambu-api   (give the .crt file to rambu as enforce.routeros.caFile)',
    '/ip service set www-ssl disabled=no',
    '',
    '# 3. While a block lasts: TCP from a blocked client to the service\'s addresses is reset, UDP (QUIC)',
    '#    dropped. The rules go before the fasttrack and "accept established" rules of the forward chain.',
    ...filterSection('/ip firewall filter', services, dns4 === undefined ? [] : [dotRule(dns4)]),
    ...filterSection('/ipv6 firewall filter', services, dns6 === undefined ? [] : [dotRule(dns6)]),
  );
  if (dns.length > 0) {
    out.push(
      '',
      `# 4. DNS redirect: clients' DNS to any other resolver is answered by rambu (${dns.join(', ')});`,
      '#    DNS over TLS (TCP 853) is rejected above. rambu must sit on another subnet than the clients',
      '#    (a server network), or its answers would bypass the router. Do not masquerade these: rambu',
      `#    needs each client's own address. "${lan}" is the interface list of the clients' side.`,
    );
    const nat = (menu: string, self: string, to: string): string[] => [
      `${menu} remove [find where comment~${quote(RULE_COMMENT)}]`,
      ...(['udp', 'tcp'] as const).map((p) => `${menu} add chain=dstnat action=dst-nat ${to} protocol=${p} dst-port=53 in-interface-list=${quote(lan)} src-address=!${self} dst-address=!${self} comment=${quote(`rambu: dns ${p}`)}`),
    ];
    if (dns4 !== undefined) out.push(...nat('/ip firewall nat', dns4, `to-addresses=${dns4}`));
    if (dns6 !== undefined) out.push(...nat('/ipv6 firewall nat', dns6, `to-address=${dns6}/128`));
  }
  out.push('', '# Traffic Flow (NetFlow/IPFIX) for rambu\'s traffic reports is set up separately: see docs/flows.md.', '');
  return out.join('\n');
}
