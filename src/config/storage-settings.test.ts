import assert from 'node:assert/strict';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CONFIG_YAML, parseConfigText } from './index.js';
import { configProblems, type ConfigProblem } from '../../test/kit/config-problems.js';

const FILE = join(tmpdir(), 'rambu.yaml');
const withStorage = (lines: string[]): string => `${DEFAULT_CONFIG_YAML.replace(/^storage:[\s\S]*?(?=^\S|(?![\s\S]))/m, '')}\nstorage:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;

const issues = (text: string): ConfigProblem[] => configProblems(text, FILE);

test('storage defaults to sqlite, named after the host, with no URL', () => {
  const s = parseConfigText(DEFAULT_CONFIG_YAML, FILE).settings.storage;
  assert.equal(s.backend, 'sqlite');
  assert.equal(s.url, null);
  assert.equal(s.passwordFile, null);
  assert.equal(s.gatewayName, hostname());
});

test('storage.backend postgres takes the URL, a password file relative to the config and a gateway name', () => {
  const s = parseConfigText(withStorage(['backend: postgres', 'url: postgres://rambu@db.kantor:5432/rambu', 'passwordFile: secrets/pg', 'gatewayName: gw-balai-kota']), FILE).settings.storage;
  assert.deepEqual({ backend: s.backend, url: s.url, passwordFile: s.passwordFile, gatewayName: s.gatewayName },
    { backend: 'postgres', url: 'postgres://rambu@db.kantor:5432/rambu', passwordFile: join(tmpdir(), 'secrets/pg'), gatewayName: 'gw-balai-kota' });
});

test('postgres without a URL, a URL of another scheme and a bad gateway name are errors with their keys; a URL password is never quoted', () => {
  const found = issues(withStorage(['backend: postgres', 'gatewayName: "gw 1"']));
  assert.deepEqual(found.map((i) => i.key), ['storage.backend', 'storage.gatewayName']);
  assert.ok(found.every((i) => i.line !== undefined));
  const bad = issues(withStorage(['backend: postgres', 'url: mysql://root:hunter2@db/rambu']));
  assert.deepEqual(bad.map((i) => i.key), ['storage.url']);
  assert.doesNotMatch(bad[0]!.message, /hunter2/);
  assert.deepEqual(issues(withStorage(['backend: oracle'])).map((i) => i.key), ['storage.backend']);
});

test('on the shared store the answer index is on by default (another gateway reads it), and can be turned off', () => {
  const shared = ['backend: postgres', 'url: postgres://rambu@db.kantor:5432/rambu', 'gatewayName: gw-a'];
  assert.equal(parseConfigText(DEFAULT_CONFIG_YAML, FILE).settings.answers.enabled, false);
  assert.equal(parseConfigText(withStorage(shared), FILE).settings.answers.enabled, true);
  assert.equal(parseConfigText(`${withStorage(shared)}answers:\n  enabled: false\n`, FILE).settings.answers.enabled, false);
});
