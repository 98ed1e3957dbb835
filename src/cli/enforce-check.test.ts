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

test('routeros needs the URL, a readable password file and CA file; a router that does not answer is a warning', async () => {
  const settings: EnforceSettings = { ...NFT, backend: 'routeros', routeros: { url: 'https://192.168.88.1', username: 'rambu', passwordFile: '/etc/rambu/router', caFile: '/etc/rambu/router-ca.pem' } };
  const idle = async () => ({ code: 0, stdout: '', stderr: '' });
  const asked: string[] = [];
  const probe = async (_r: unknown, password: string, ca: string | undefined) => {
    asked.push(`${password} ${String(ca !== undefined)}`);
    return { ok: false, detail: 'RouterOS API GET /ip/firewall/address-list timed out after 3000 ms' };
  };
  const none = await enforceRequirements(settings, idle, () => { throw new Error('ENOENT'); }, probe);
  assert.deepEqual(none.map((n) => [n.what, n.ok, n.required]), [['router API URL', true, true], ['router password file', false, true], ['router CA file', false, true]]);
  assert.deepEqual(asked, [], 'no request without a password');
  const files: Record<string, string> = { '/etc/rambu/router': 'rahasia\n', '/etc/rambu/router-ca.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' };
  const read = (path: string): string => { const t = files[path]; if (t === undefined) throw new Error('ENOENT'); return t; };
  const ok = await enforceRequirements(settings, idle, read, probe);
  assert.deepEqual(ok.map((n) => [n.what, n.ok, n.required]), [['router API URL', true, true], ['router password file', true, true], ['router CA file', true, true], ['router answers', false, false]]);
  assert.deepEqual(asked, ['rahasia true'], 'the router is asked once, with the password and the CA');
  assert.doesNotMatch(JSON.stringify(ok), /rahasia/, 'the password is never in the report');
});
