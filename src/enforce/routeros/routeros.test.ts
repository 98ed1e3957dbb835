import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES, RambuError } from '../../errors.js';
import { clientList, formatRouterOsTime, parseRouterOsTime, readPasswordFile, routerOsScript, serviceList } from './index.js';
import { listChanges, normalizeAddress, wantedEntries, type RouterEntry } from './address-list-plan.js';
import { connectionsToCut, endAddress } from './connection-match.js';

test('RouterOS time values format and parse both ways', () => {
  assert.equal(formatRouterOsTime(3_600_000), '1h');
  assert.equal(formatRouterOsTime(93_784_000), '1d2h3m4s');
  assert.equal(formatRouterOsTime(8 * 86_400_000), '1w1d');
  assert.equal(formatRouterOsTime(1), '1s');
  assert.equal(parseRouterOsTime('1d2h3m4s'), 93_784_000);
  assert.equal(parseRouterOsTime('59m58s'), 3_598_000);
  assert.equal(parseRouterOsTime('500ms'), 500);
  assert.equal(parseRouterOsTime('02:03:04'), 7_384_000);
  assert.equal(parseRouterOsTime('1d02:03:04'), 93_784_000);
  for (const bad of ['', 'soon', '1x', '-1s', '1h 2m']) assert.equal(parseRouterOsTime(bad), null, bad);
});

test('addresses compare as the router writes them back', () => {
  assert.equal(normalizeAddress('2404:6800:4003:0C00:0:0:0:5d/128'), '2404:6800:4003:c00::5d');
  assert.equal(normalizeAddress('142.250.4.136/32'), '142.250.4.136');
  assert.equal(normalizeAddress('10.0.0.0/8'), null);
  assert.equal(normalizeAddress('youtube.com'), null);
  assert.equal(endAddress('10.20.5.7:51544'), '10.20.5.7');
  assert.equal(endAddress('[2404:6800:4003:c00::5d]:443'), '2404:6800:4003:c00::5d');
  assert.equal(endAddress('2404:6800:4003:c00::5d'), '2404:6800:4003:c00::5d');
  assert.equal(endAddress('2404:6800:4003:c00::5d.443'), '2404:6800:4003:c00::5d');
  assert.equal(endAddress('10.20.5.7'), '10.20.5.7');
  assert.equal(endAddress('garbage:1'), null);
});

test('wanted entries: a list of addresses and a list of clients per service; odd pairs skipped', () => {
  assert.equal(serviceList('youtube'), 'rambu-youtube');
  assert.equal(clientList('youtube'), 'rambu-youtube.clients');
  const w = wantedEntries([
    { client: '10.0.0.5', address: '142.250.4.136', service: 'youtube' },
    { client: '10.0.0.6', address: '142.250.4.136', service: 'youtube' },
    { client: '10.0.0.5', address: '2404:6800::5d', service: 'youtube' },
    { client: 'fd00::5', address: '2404:6800::5D', service: 'youtube' },
    { client: '10.0.0.5', address: '103.1.2.3' },
    { client: '10.0.0.5', address: '103.1.2.4', service: 'Bad Name' },
  ]);
  assert.deepEqual(w[4].map((e) => `${e.list} ${e.address}`), ['rambu-youtube 142.250.4.136', 'rambu-youtube.clients 10.0.0.5', 'rambu-youtube.clients 10.0.0.6']);
  assert.deepEqual(w[6].map((e) => `${e.list} ${e.address}`), ['rambu-youtube 2404:6800::5d', 'rambu-youtube.clients fd00::5']);
});

test('list changes touch only rambu\'s entries, drop duplicates and renew half-spent timeouts', () => {
  const held: RouterEntry[] = [
    { id: '*1', list: 'rambu-youtube', address: '142.250.4.136', comment: 'rambu', remainingMs: 3_500_000 },
    { id: '*2', list: 'rambu-youtube', address: '142.250.4.136', comment: 'rambu', remainingMs: 3_500_000 },
    { id: '*3', list: 'rambu-youtube', address: '142.250.4.93', comment: 'rambu', remainingMs: 600_000 },
    { id: '*4', list: 'rambu-vidio', address: '103.1.2.3', comment: 'rambu', remainingMs: 3_500_000 },
    { id: '*5', list: 'rambu-youtube', address: '198.51.100.1', comment: 'by hand', remainingMs: null },
    { id: '*6', list: 'kantor', address: '10.0.0.1', comment: 'rambu', remainingMs: null },
    { id: '*7', list: 'rambu-youtube.clients', address: '10.0.0.5', comment: 'rambu', remainingMs: null },
  ];
  const c = listChanges(held, [
    { list: 'rambu-youtube', address: '142.250.4.136' }, { list: 'rambu-youtube', address: '142.250.4.93' },
    { list: 'rambu-youtube', address: '198.51.100.1' }, { list: 'rambu-youtube', address: '142.250.4.190' },
    { list: 'rambu-youtube.clients', address: '10.0.0.5' },
  ], 3_600_000);
  assert.deepEqual(c.add, [{ list: 'rambu-youtube', address: '142.250.4.190' }]);
  assert.deepEqual(c.remove.map((e) => e.id), ['*2', '*4']);
  assert.deepEqual(c.refresh.map((e) => e.id), ['*3', '*7']);
});

test('connections to cut: TCP and UDP from the pair\'s client to its address', () => {
  const table = [
    { id: '*1', srcAddress: '10.0.0.5:1000', dstAddress: '142.250.4.136:443', protocol: 'tcp' },
    { id: '*2', srcAddress: '10.0.0.5:1001', dstAddress: '142.250.4.136:443', protocol: 'udp' },
    { id: '*3', srcAddress: '10.0.0.5', dstAddress: '142.250.4.136', protocol: 'icmp' },
    { id: '*4', srcAddress: '10.0.0.6:1002', dstAddress: '142.250.4.136:443', protocol: 'tcp' },
    { id: '*5', srcAddress: '10.0.0.55:1003', dstAddress: '142.250.4.136:443', protocol: 'tcp' },
    { id: '*6', srcAddress: 'nonsense', dstAddress: '', protocol: 'tcp' },
  ];
  assert.deepEqual(connectionsToCut(table, [{ client: '10.0.0.5', address: '142.250.4.136' }]).map((c) => c.id), ['*1', '*2']);
});

test('the one-time RouterOS script, golden text', () => {
  const text = routerOsScript({ services: ['youtube', 'vidio', 'youtube'], rambuAddress: '10.20.1.53', dnsAddresses: ['10.20.1.53'] });
  assert.equal(text, GOLDEN);
});

test('the script without DNS redirect or services, and its refusals', () => {
  const plain = routerOsScript({ services: [] });
  assert.match(plain, /# Blocked services: \(none: no rule of the policy blocks a service\)/);
  assert.match(plain, /\/user group add name="rambu" policy=read,write,api,rest-api/);
  assert.doesNotMatch(plain, /firewall nat|\bmove\b| address=/);
  const v6 = routerOsScript({ services: ['vimeo'], dnsAddresses: ['fd00:20::53'], username: 'rambu-gw' });
  assert.match(v6, /\/ipv6 firewall filter add chain=forward action=drop protocol=udp src-address-list="rambu-vimeo.clients" dst-address-list="rambu-vimeo" comment="rambu: vimeo udp"/);
  assert.match(v6, /\/ipv6 firewall nat add chain=dstnat action=dst-nat to-address=fd00:20::53\/128 protocol=udp dst-port=53/);
  assert.doesNotMatch(v6, /\/ip firewall nat/);
  assert.match(v6, /\/user add name="rambu-gw" group="rambu-gw"/);
  assert.throws(() => routerOsScript({ services: ['You Tube'] }), RangeError);
  assert.throws(() => routerOsScript({ services: [], dnsAddresses: ['dns.example'] }), RangeError);
  assert.throws(() => routerOsScript({ services: [], rambuAddress: '10.0.0.0/8' }), RangeError);
  assert.throws(() => routerOsScript({ services: [], username: 'a b' }), RangeError);
});

test('the password comes from the first line of its file; errors name the file, never the content', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-ros-pw-'));
  const file = join(dir, 'pw');
  writeFileSync(file, 'k4t4 s4nd1 "x"\r\nsecond line\n');
  assert.equal(readPasswordFile(file), 'k4t4 s4nd1 "x"');
  writeFileSync(file, '\n');
  const isConfig = (pattern: RegExp) => (err: unknown) => err instanceof RambuError && err.code === ERROR_CODES.CONFIG_INVALID && pattern.test(err.message);
  assert.throws(() => readPasswordFile(file), isConfig(/is empty/));
  assert.throws(() => readPasswordFile(join(dir, 'missing')), isConfig(/cannot read the RouterOS password file/));
  writeFileSync(file, `${'s3cret'.repeat(1000)}\n`);
  assert.throws(() => readPasswordFile(file), (err: unknown) => isConfig(/password file/)(err) && !(err as Error).message.includes('s3cret'));
});

const GOLDEN = `# rambu: one-time setup of a MikroTik router (RouterOS v7) for enforcement.
# Blocked services: youtube, vidio
# Paste it into the router's terminal, or upload it as rambu.rsc and run /import rambu.rsc.
# Running it again replaces the rules it made before (their comments start with "rambu: ").
#
# rambu then keeps, through the REST API, the address lists rambu-<service> (the addresses each
# service was answered with) and rambu-<service>.clients (the clients blocked from it): entries
# with a timeout and the comment "rambu". At each boundary it removes the connections from those
# clients to those addresses. It changes nothing else on the router.

# 1. A group with only what the REST API needs, and a user in it.
:if ([:len [/user group find where name="rambu"]] = 0) do={ /user group add name="rambu" policy=read,write,api,rest-api comment="rambu enforcement" }
:if ([:len [/user find where name="rambu"]] = 0) do={ /user add name="rambu" group="rambu" disabled=yes comment="rambu enforcement" }
/user set [find where name="rambu"] address=10.20.1.53/32
# Set its password (the one in the file enforce.routeros.passwordFile names) and enable it:
#   /user set rambu password="..." disabled=no

# 2. The REST API runs on the www-ssl service (HTTPS). If www-ssl has no certificate yet:
#   /certificate add name=rambu-api common-name=router key-usage=digital-signature,key-encipherment,tls-server days-valid=3650
#   /certificate sign rambu-api
#   /ip service set www-ssl certificate=rambu-api
#   /certificate export-certificate rambu-api   (give the .crt file to rambu as enforce.routeros.caFile)
/ip service set www-ssl disabled=no

# 3. While a block lasts: TCP from a blocked client to the service's addresses is reset, UDP (QUIC)
#    dropped. The rules go before the fasttrack and "accept established" rules of the forward chain.
/ip firewall filter remove [find where comment~"^rambu: "]
/ip firewall filter add chain=forward action=reject reject-with=tcp-reset protocol=tcp src-address-list="rambu-youtube.clients" dst-address-list="rambu-youtube" comment="rambu: youtube tcp"
/ip firewall filter add chain=forward action=drop protocol=udp src-address-list="rambu-youtube.clients" dst-address-list="rambu-youtube" comment="rambu: youtube udp"
/ip firewall filter add chain=forward action=reject reject-with=tcp-reset protocol=tcp src-address-list="rambu-vidio.clients" dst-address-list="rambu-vidio" comment="rambu: vidio tcp"
/ip firewall filter add chain=forward action=drop protocol=udp src-address-list="rambu-vidio.clients" dst-address-list="rambu-vidio" comment="rambu: vidio udp"
/ip firewall filter add chain=forward action=reject reject-with=tcp-reset protocol=tcp dst-port=853 in-interface-list="LAN" src-address=!10.20.1.53 comment="rambu: dns over tls"
{ :local first ([/ip firewall filter find where chain=forward and !(comment~"^rambu: ")]->0); :if ([:typeof $first] = "id") do={ /ip firewall filter move [find where comment~"^rambu: "] destination=$first } }
/ipv6 firewall filter remove [find where comment~"^rambu: "]
/ipv6 firewall filter add chain=forward action=reject reject-with=tcp-reset protocol=tcp src-address-list="rambu-youtube.clients" dst-address-list="rambu-youtube" comment="rambu: youtube tcp"
/ipv6 firewall filter add chain=forward action=drop protocol=udp src-address-list="rambu-youtube.clients" dst-address-list="rambu-youtube" comment="rambu: youtube udp"
/ipv6 firewall filter add chain=forward action=reject reject-with=tcp-reset protocol=tcp src-address-list="rambu-vidio.clients" dst-address-list="rambu-vidio" comment="rambu: vidio tcp"
/ipv6 firewall filter add chain=forward action=drop protocol=udp src-address-list="rambu-vidio.clients" dst-address-list="rambu-vidio" comment="rambu: vidio udp"
{ :local first ([/ipv6 firewall filter find where chain=forward and !(comment~"^rambu: ")]->0); :if ([:typeof $first] = "id") do={ /ipv6 firewall filter move [find where comment~"^rambu: "] destination=$first } }

# 4. DNS redirect: clients' DNS to any other resolver is answered by rambu (10.20.1.53);
#    DNS over TLS (TCP 853) is rejected above. rambu must sit on another subnet than the clients
#    (a server network), or its answers would bypass the router. Do not masquerade these: rambu
#    needs each client's own address. "LAN" is the interface list of the clients' side.
/ip firewall nat remove [find where comment~"^rambu: "]
/ip firewall nat add chain=dstnat action=dst-nat to-addresses=10.20.1.53 protocol=udp dst-port=53 in-interface-list="LAN" src-address=!10.20.1.53 dst-address=!10.20.1.53 comment="rambu: dns udp"
/ip firewall nat add chain=dstnat action=dst-nat to-addresses=10.20.1.53 protocol=tcp dst-port=53 in-interface-list="LAN" src-address=!10.20.1.53 dst-address=!10.20.1.53 comment="rambu: dns tcp"

# Traffic Flow (NetFlow/IPFIX) for rambu's traffic reports is set up separately: see docs/flows.md.
`;
