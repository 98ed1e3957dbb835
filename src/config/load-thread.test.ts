import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { loadConfigFileAsync } from './load-async.js';
import { loadConfigInThread } from './load-thread.js';
import { composeShared } from './shared-policy-text.js';

const AT = Date.parse('2026-12-02T09:00:00+07:00');

function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-load-thread-'));
  return run(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const policyText = (list: string): string => [
  'timezone: Asia/Jakarta',
  'schedules:',
  '  jam-kerja: [{ days: [mon, tue, wed, thu, fri], from: "07:00", to: "16:00" }]',
  'blocklists:',
  `  daftar: "${list}"`,
  'exemptions:',
  '  - { name: lama, clients: [10.0.0.5], allow: [youtube], until: "2020-01-01T00:00:00+07:00", reason: uji }',
  'rules:',
  '  - { name: streaming, block: [youtube], during: jam-kerja }',
  '  - { name: daftar, block: [daftar] }',
].join('\n');

test('a config loaded in a thread decides, warns and counts as one loaded here', () => withDir(async (dir) => {
  const list = join(dir, 'daftar.txt');
  writeFileSync(list, 'judi-contoh.test\niklan.example\nbukan domain!\n');
  const file = join(dir, 'rambu.yaml');
  writeFileSync(file, policyText(list));
  const here = await loadConfigFileAsync(file, { now: AT });
  const there = await loadConfigInThread(file, { now: AT });
  assert.equal(there.text, here.text);
  assert.deepEqual(there.warnings, here.warnings);
  assert.equal(there.warnings.length, 2, there.warnings.join('\n'));
  assert.deepEqual(there.blocklists, here.blocklists);
  assert.deepEqual(there.settings, here.settings);
  for (const name of ['www.youtube.com', 'judi-contoh.test', 'a.iklan.example', 'example.org']) {
    assert.deepEqual(there.policy.decide('10.0.0.9', name, AT), here.policy.decide('10.0.0.9', name, AT), name);
  }
  assert.equal(there.policy.decide('10.0.0.9', 'a.iklan.example', AT).action, 'block');
}));

test('a config that does not load in a thread throws the same ConfigError, with files, lines and keys', () => withDir(async (dir) => {
  const file = join(dir, 'rambu.yaml');
  writeFileSync(file, `${policyText(join(dir, 'hilang.txt'))}\n  - { name: rusak, block: [youtub] }\n`);
  const expected = await loadConfigFileAsync(file, { now: AT }).then(() => assert.fail('loads'), (err: unknown) => err);
  const got = await loadConfigInThread(file, { now: AT }).then(() => assert.fail('loads'), (err: unknown) => err);
  assert.ok(got instanceof ConfigError && expected instanceof ConfigError);
  assert.equal(got.code, 'RAMBU_CONFIG_INVALID');
  assert.deepEqual(got.issues, expected.issues);
  assert.equal(got.message, expected.message);
  assert.ok(got.issues.some((i) => i.file === file && i.line === 11 && i.path.join('.') === 'rules.2.block.0'), got.message);
  assert.ok(got.issues.some((i) => /cannot read blocklist/.test(i.message)), got.message);

  // A text given instead of the file (a console save) is checked the same way.
  const saved = await loadConfigInThread(file, { text: 'rules: [ { name: x, block: [tiktok] ', now: AT }).then(() => assert.fail('loads'), (err: unknown) => err);
  assert.ok(saved instanceof ConfigError);
  assert.match(saved.message, /invalid YAML/);
}));

test('a shared policy document is put over the file in the thread', () => withDir(async (dir) => {
  const list = join(dir, 'daftar.txt');
  writeFileSync(list, 'judi-contoh.test\n');
  const file = join(dir, 'rambu.yaml');
  writeFileSync(file, 'dns:\n  listen: ["127.0.0.1:5353"]\nrules: []\n');
  const shared = { text: `blocklists:\n  daftar: "${list}"\nrules:\n  - { name: daftar, block: [daftar] }\n`, label: 'shared policy (test)' };
  const here = composeShared(await loadConfigFileAsync(file, { now: AT }), shared.text, shared.label);
  const there = await loadConfigInThread(file, { shared, now: AT });
  assert.equal(there.text, here.text);
  assert.equal(there.policy.decide('10.0.0.9', 'judi-contoh.test', AT).action, 'block');
  const broken = await loadConfigInThread(file, { shared: { text: 'rules:\n  - { name: x, block: [youtub] }\n', label: shared.label }, now: AT }).then(() => assert.fail('loads'), (err: unknown) => err);
  assert.ok(broken instanceof ConfigError);
  assert.equal(broken.issues[0]?.file, shared.label);
}));
