import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conntrackDeleteArgs, nftRuleset, nftTeardown, pairsFromNftJson } from './index.js';

test('the ruleset replaces table inet rambu in one transaction with per-family pair sets', () => {
  const text = nftRuleset({
    pairs: [
      { client: '10.20.5.7', address: '142.250.4.136' },
      { client: '10.20.5.7', address: '142.250.4.136' },
      { client: '10.20.5.8', address: '142.250.4.93' },
      { client: 'fd00::7', address: '2404:6800:4003:c00::5d' },
      { client: '10.20.5.7', address: '2404:6800:4003:c00::5d' },
    ],
  });
  assert.equal(text, `table inet rambu
delete table inet rambu
table inet rambu {
  set block4 {
    type ipv4_addr . ipv4_addr
    elements = { 10.20.5.7 . 142.250.4.136,
                 10.20.5.8 . 142.250.4.93 }
  }
  set block6 {
    type ipv6_addr . ipv6_addr
    elements = { fd00::7 . 2404:6800:4003:c00::5d }
  }
  set cut4 {
    type ipv4_addr . ipv4_addr
    flags timeout
  }
  set cut6 {
    type ipv6_addr . ipv6_addr
    flags timeout
  }
  chain forward {
    type filter hook forward priority -10; policy accept;
    ct state new ip saddr . ip daddr @cut4 tcp flags & (syn | ack) != syn reject with tcp reset
    ct state new ip daddr . ip saddr @cut4 tcp flags & (syn | ack) != syn reject with tcp reset
    ct state new ip6 saddr . ip6 daddr @cut6 tcp flags & (syn | ack) != syn reject with tcp reset
    ct state new ip6 daddr . ip6 saddr @cut6 tcp flags & (syn | ack) != syn reject with tcp reset
    ip saddr . ip daddr @block4 meta l4proto tcp reject with tcp reset
    ip saddr . ip daddr @block4 meta l4proto udp drop
    ip6 saddr . ip6 daddr @block6 meta l4proto tcp reject with tcp reset
    ip6 saddr . ip6 daddr @block6 meta l4proto udp drop
  }
}
`);
  const empty = nftRuleset({ pairs: [], priority: 5 });
  assert.doesNotMatch(empty, /elements/, 'an empty set has no elements line (nft rejects "elements = { }")');
  assert.match(empty, /priority 5;/);
  assert.equal(nftTeardown(), 'table inet rambu\ndelete table inet rambu\n');
});

test('conntrack deletes TCP and UDP per pair of one family, nothing for a mixed pair', () => {
  assert.deepEqual(conntrackDeleteArgs({ client: '10.0.0.5', address: '142.250.4.136' }), [
    ['-D', '-f', 'ipv4', '-p', 'tcp', '-s', '10.0.0.5', '-d', '142.250.4.136'],
    ['-D', '-f', 'ipv4', '-p', 'udp', '-s', '10.0.0.5', '-d', '142.250.4.136'],
  ]);
  assert.equal(conntrackDeleteArgs({ client: 'fd00::5', address: '2001:db8::1' })[0]![2], 'ipv6');
  assert.deepEqual(conntrackDeleteArgs({ client: '10.0.0.5', address: '2001:db8::1' }), []);
  assert.deepEqual(conntrackDeleteArgs({ client: '10.0.0.5', address: 'not-an-address' }), []);
});

test('the pairs in force are read back from nft -j output, other tables and sets ignored', () => {
  const json = JSON.stringify({ nftables: [
    { metainfo: { json_schema_version: 1 } },
    { table: { family: 'inet', name: 'rambu', handle: 1 } },
    { set: { family: 'inet', name: 'block4', table: 'rambu', type: ['ipv4_addr', 'ipv4_addr'], handle: 2,
      elem: [{ concat: ['10.0.0.5', '142.250.4.136'] }, { concat: ['10.0.0.6', '142.250.4.93'] }] } },
    { set: { family: 'inet', name: 'block6', table: 'rambu', type: ['ipv6_addr', 'ipv6_addr'], handle: 3 } },
    { set: { family: 'inet', name: 'block4', table: 'other', elem: [{ concat: ['1.1.1.1', '2.2.2.2'] }] } },
  ] });
  assert.deepEqual(pairsFromNftJson(json), [
    { client: '10.0.0.5', address: '142.250.4.136' }, { client: '10.0.0.6', address: '142.250.4.93' },
  ]);
});

test('dnsRedirect: DNS to other resolvers redirected to rambu, DoT rejected but to the upstreams, DoH rejected where blocked', async () => {
  const { nftRuleset: ruleset } = await import('./index.js');
  const text = ruleset({
    pairs: [],
    cuts: [{ pair: { client: '10.0.0.5', address: '142.250.4.100' }, seconds: 90.2 }],
    redirect: {
      port: 53, v4: '10.0.1.1', v6: null, interfaces: [], clients: ['10.0.0.0/8', 'fd00::/8'],
      dotAllowed: ['9.9.9.9'], dohSources: ['10.0.0.0/8'], dohExempt: ['10.0.0.7/32'], dohAddresses: ['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888'],
    },
  });
  assert.match(text, /set cut4 \{\n {4}type ipv4_addr \. ipv4_addr\n {4}flags timeout\n {4}elements = \{ 10\.0\.0\.5 \. 142\.250\.4\.100 timeout 91s \}/);
  assert.match(text, /ct state new ip saddr \. ip daddr @cut4 tcp flags & \(syn \| ack\) != syn reject with tcp reset/);
  assert.match(text, /set dns_clients4 \{\n {4}type ipv4_addr\n {4}flags interval\n {4}auto-merge\n {4}elements = \{ 10\.0\.0\.0\/8 \}/);
  assert.match(text, /set doh4 \{[^}]*elements = \{ 1\.1\.1\.1, 8\.8\.8\.8 \}/);
  assert.match(text, /set doh6 \{[^}]*elements = \{ 2001:4860:4860::8888 \}/);
  assert.match(text, /chain dns_redirect \{\n {4}type nat hook prerouting priority dstnat; policy accept;\n {4}meta nfproto ipv4 ip saddr @dns_clients4 fib daddr type != local udp dport 53 dnat ip to 10\.0\.1\.1:53\n {4}meta nfproto ipv6 ip6 saddr @dns_clients6 fib daddr type != local udp dport 53 redirect to :53\n/);
  assert.match(text, /ip saddr @dns_clients4 ip daddr != @dot_allowed4 tcp dport 853 reject with tcp reset/);
  assert.match(text, /ip saddr @doh_sources4 ip saddr != @doh_exempt4 ip daddr @doh4 tcp dport 443 reject with tcp reset/);
  assert.match(text, /ip saddr @doh_sources4 ip saddr != @doh_exempt4 ip daddr @doh4 udp dport 443 drop/);
  const lan = ruleset({ pairs: [], redirect: { port: 5353, v4: null, v6: false, interfaces: ['lan0', 'wlan0'], clients: [], dotAllowed: [], dohSources: [], dohExempt: [], dohAddresses: [] } });
  assert.match(lan, /meta nfproto ipv4 iifname \{ "lan0", "wlan0" \} fib daddr type != local tcp dport 53 redirect to :5353/);
  assert.doesNotMatch(lan, /meta nfproto ipv6 [^\n]*redirect/, 'no redirect to a family rambu does not answer on');
  assert.match(lan, /iifname \{ "lan0", "wlan0" \} meta nfproto ipv6 meta l4proto \{ tcp, udp \} th dport 53 reject/, 'its DNS is refused instead');
  assert.doesNotMatch(lan, /elements/, 'empty sets have no elements line');
  assert.doesNotMatch(ruleset({ pairs: [] }), /dns_redirect|853/, 'no redirect unless asked for');
});

test('doh coverage follows the rules that block doh-bypass and the exemptions that allow it', async () => {
  const { parseConfigText } = await import('../config/index.js');
  const { dohCoverage } = await import('./index.js');
  const now = Date.parse('2026-11-30T10:00:00+07:00');
  const policy = parseConfigText(`timezone: Asia/Jakarta
schedules:
  kerja: [{ days: [mon, tue, wed, thu, fri], from: "07:00", to: "16:00" }]
groups:
  staf: ["10.20.0.0/16"]
  tamu: ["10.30.0.0/16"]
rules:
  - { name: doh, block: [doh-bypass], groups: [staf], during: kerja }
  - { name: coba, block: [doh-bypass], groups: [tamu], mode: monitor }
exemptions:
  - { name: it, clients: ["10.20.1.5"], allow: [doh-bypass], until: "2026-11-30T12:00:00+07:00", reason: uji }
`, 'c.yaml', { baseDir: '/tmp', now }).policy;
  assert.deepEqual(dohCoverage(policy, now), { sources: ['10.20.0.0/16'], exempt: ['10.20.1.5/32'], until: Date.parse('2026-11-30T12:00:00+07:00') });
  assert.deepEqual(dohCoverage(policy, Date.parse('2026-11-30T17:00:00+07:00')).sources, []);
});
