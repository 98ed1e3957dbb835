/**
 * `rambu enforce routeros-script` as a user runs it: the script for the services the policy's rules
 * block, the DNS redirect when asked, exit 1 with a reason for bad input.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_FILE } from '../fixtures/example.js';

const BIN = fileURLToPath(new URL('../../../bin/rambu.js', import.meta.url));

function rambu(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('routeros-script prints the rules for the services the policy blocks', () => {
  const r = rambu('enforce', 'routeros-script', '--config', EXAMPLE_FILE, '--rambu-address', '10.20.1.53', '--dns-address', '10.20.1.53');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^# Blocked services: youtube, vidio, vimeo$/m);
  for (const s of ['youtube', 'vidio', 'vimeo']) {
    assert.ok(r.stdout.includes(`/ip firewall filter add chain=forward action=reject reject-with=tcp-reset protocol=tcp src-address-list="rambu-${s}.clients" dst-address-list="rambu-${s}" comment="rambu: ${s} tcp"`), s);
    assert.ok(r.stdout.includes(`/ipv6 firewall filter add chain=forward action=drop protocol=udp src-address-list="rambu-${s}.clients" dst-address-list="rambu-${s}" comment="rambu: ${s} udp"`), s);
  }
  assert.doesNotMatch(r.stdout, /rambu-si-jaja/, 'a service no rule blocks gets no rule');
  assert.match(r.stdout, /\/user set \[find where name="rambu"\] address=10\.20\.1\.53\/32/);
  assert.match(r.stdout, /\/ip firewall nat add chain=dstnat action=dst-nat to-addresses=10\.20\.1\.53 protocol=udp dst-port=53/);

  const plain = rambu('enforce', 'routeros-script', '--config', EXAMPLE_FILE, '--username', 'gw-pasuruan');
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stdout, /firewall nat/);
  assert.match(plain.stdout, /\/user group add name="gw-pasuruan" policy=read,write,api,rest-api/);
});

test('routeros-script refuses bad input with a reason and exit 1', () => {
  assert.equal(rambu('enforce').code, 1);
  assert.equal(rambu('enforce', 'routeros-script').code, 1);
  const bad = rambu('enforce', 'routeros-script', '--config', EXAMPLE_FILE, '--dns-address', 'dns.example');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid address "dns\.example"/);
  const dir = mkdtempSync(join(tmpdir(), 'rambu-enforce-cli-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'rules:\n  - name: r\n    block: [youtub]\n');
  const broken = rambu('enforce', 'routeros-script', '--config', file);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /bad\.yaml:3:\d+: rules\[0\]\.block\[0\]: unknown service or blocklist "youtub"/);
});

test('enforce.dnsRedirect and enforce.routeros.username of the config are the defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-enforce-cli-'));
  const file = join(dir, 'router.yaml');
  writeFileSync(file, [
    'dns:', '  listen: ["10.20.1.53:53"]', 'rules:', '  - { name: r, block: [youtube] }',
    'enforce:', '  backend: routeros', '  dnsRedirect: true',
    '  routeros: { url: "https://192.168.88.1", username: gw-kudus, passwordFile: router-password }', '',
  ].join('\n'));
  const r = rambu('enforce', 'routeros-script', '--config', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\/user group add name="gw-kudus" policy=read,write,api,rest-api/);
  assert.match(r.stdout, /\/ip firewall nat add chain=dstnat action=dst-nat to-addresses=10\.20\.1\.53 protocol=udp dst-port=53/);
  const flags = rambu('enforce', 'routeros-script', '--config', file, '--username', 'lain', '--dns-address', '10.20.1.54');
  assert.equal(flags.code, 0, flags.stderr);
  assert.match(flags.stdout, /\/user group add name="lain"/);
  assert.match(flags.stdout, /to-addresses=10\.20\.1\.54 protocol=udp dst-port=53/);
  assert.doesNotMatch(flags.stdout, /to-addresses=10\.20\.1\.53/);
  writeFileSync(file, ['dns:', '  listen: ["127.0.0.1:53"]', 'rules:', '  - { name: r, block: [youtube] }', 'enforce:', '  backend: nftables', '  dnsRedirect: true', ''].join('\n'));
  const nowhere = rambu('enforce', 'routeros-script', '--config', file);
  assert.equal(nowhere.code, 1);
  assert.match(nowhere.stderr, /enforce\.dnsRedirect is true but dns\.listen names no address to redirect to/);
});
