import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EnforceSettings } from '../config/index.js';
import type { CommandRunner } from '../enforce/index.js';
import { enforceRequirements } from './enforce-check.js';

const NFT: EnforceSettings = { backend: 'nftables', dnsRedirect: false, lanInterfaces: [], officeNetworks: [], privateRanges: true, dedicated: [], routeros: null };

test('nftables needs the capability, nft, conntrack and IP forwarding, each reported', async () => {
  const run: CommandRunner = async (command) => (command === 'nft'
    ? { code: 0, stdout: 'nftables v1.0.6 (Lester Gooch #5)\n', stderr: '' }
    : { code: 127, stdout: '', stderr: 'conntrack: not found in PATH' });
  const files: Record<string, string> = { '/proc/self/status': 'Name:\tnode\nCapEff:\t0000000000001000\n', '/proc/sys/net/ipv4/ip_forward': '0\n' };
  const read = (path: string): string => { const t = files[path]; if (t === undefined) throw new Error('ENOENT'); return t; };
  const needs = await enforceRequirements(NFT, run, read);
  assert.deepEqual(needs.map((n) => [n.what, n.ok, n.required]), [
    ['root or CAP_NET_ADMIN', true, true], ['nft', true, true], ['conntrack', false, true], ['IP forwarding', false, false],
  ]);
  assert.equal(needs[1]!.detail, 'nftables v1.0.6 (Lester Gooch #5)');
  assert.match(needs[2]!.detail, /conntrack not usable \(conntrack: not found in PATH\): install the conntrack package/);
  assert.match(needs[3]!.detail, /sysctl -w net\.ipv4\.ip_forward=1/);
});

test('routeros needs a readable password file', async () => {
  const settings: EnforceSettings = { ...NFT, backend: 'routeros', routeros: { url: 'https://192.168.88.1', username: 'rambu', passwordFile: '/etc/rambu/router', caFile: null } };
  const none = await enforceRequirements(settings, async () => ({ code: 0, stdout: '', stderr: '' }), () => { throw new Error('ENOENT'); });
  assert.deepEqual(none.map((n) => [n.what, n.ok]), [['router password file', false]]);
  const ok = await enforceRequirements(settings, async () => ({ code: 0, stdout: '', stderr: '' }), () => 'rahasia\n');
  assert.equal(ok[0]!.ok, true);
  assert.doesNotMatch(JSON.stringify(ok), /rahasia/, 'the password is never in the report');
});
