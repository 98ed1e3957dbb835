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
  chain forward {
    type filter hook forward priority -10; policy accept;
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
