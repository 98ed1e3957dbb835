import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CONFIG_YAML, parseConfigText } from './index.js';
import { configProblems, type ConfigProblem } from '../../test/kit/config-problems.js';

const FILE = join(tmpdir(), 'rambu.yaml');
const withEnforce = (lines: string[]): string => `${DEFAULT_CONFIG_YAML}\nenforce:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;

const issues = (text: string): ConfigProblem[] => configProblems(text, FILE);

test('no enforce section: no enforcement, and the answer index stays off', () => {
  const s = parseConfigText(DEFAULT_CONFIG_YAML, FILE).settings;
  assert.equal(s.enforce, null);
  assert.equal(s.answers.enabled, false);
});

test('enforce: nftables with its defaults turns the answer index on', () => {
  const s = parseConfigText(withEnforce(['backend: nftables']), FILE).settings;
  assert.deepEqual(s.enforce, { backend: 'nftables', dnsRedirect: false, lanInterfaces: [], officeNetworks: [], privateRanges: true, dedicated: [], routeros: null });
  assert.equal(s.answers.enabled, true);
  const full = parseConfigText(withEnforce([
    'backend: nftables', 'dnsRedirect: true', 'lanInterfaces: [lan0, "br-lan.10"]', 'officeNetworks: ["203.0.113.0/28"]',
    'privateRanges: false', 'dedicated: [Video.Example.COM]',
  ]), FILE).settings.enforce;
  assert.deepEqual(full, { backend: 'nftables', dnsRedirect: true, lanInterfaces: ['lan0', 'br-lan.10'], officeNetworks: ['203.0.113.0/28'], privateRanges: false, dedicated: ['video.example.com'], routeros: null });
});

test('enforce: routeros takes the router API, the password and CA files relative to the config', () => {
  const s = parseConfigText(withEnforce(['backend: routeros', 'routeros:', '  url: https://192.168.88.1', '  username: rambu', '  passwordFile: secrets/router', '  caFile: router-ca.pem']), FILE).settings.enforce;
  assert.deepEqual(s?.routeros, { url: 'https://192.168.88.1', username: 'rambu', passwordFile: join(tmpdir(), 'secrets/router'), caFile: join(tmpdir(), 'router-ca.pem') });
});

test('bad enforce input is reported with file, line and key', () => {
  assert.deepEqual(issues(withEnforce(['backend: nftables', 'bogus: 1'])).map((i) => [i.key, i.message]), [['enforce.bogus', 'unknown key "bogus": expected one of backend, dnsRedirect, lanInterfaces, officeNetworks, privateRanges, dedicated, routeros']]);
  assert.deepEqual(issues(withEnforce(['backend: iptables'])).map((i) => i.key), ['enforce.backend']);
  assert.deepEqual(issues(withEnforce(['dnsRedirect: true'])).map((i) => i.key), ['enforce.backend'], 'the back-end is required');
  const found = issues(withEnforce(['backend: routeros', 'lanInterfaces: ["lan 0"]', 'officeNetworks: [nope]', 'dedicated: ["-"]']));
  assert.deepEqual(found.map((i) => i.key).sort(), ['enforce.backend', 'enforce.dedicated.0', 'enforce.lanInterfaces.0', 'enforce.officeNetworks.0']);
  assert.ok(found.every((i) => i.line !== undefined), 'every problem has its line');
  assert.deepEqual(issues(`${withEnforce(['backend: nftables'])}answers:\n  enabled: false\n`).map((i) => i.key), ['answers.enabled'], 'enforcement needs the answer index');
  const url = issues(withEnforce(['backend: routeros', 'routeros:', '  url: https://admin:rahasia@192.168.88.1', '  username: rambu', '  passwordFile: p']));
  assert.deepEqual(url.map((i) => i.key), ['enforce.routeros.url']);
  assert.doesNotMatch(url[0]!.message, /rahasia/, 'a password in the URL is never quoted');
});
