import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigText } from './load.js';

const AT = Date.parse('2026-12-02T09:00:00+07:00');

test('a config compiled over another compile\'s lists decides the same and reads no list file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-lists-'));
  try {
    const list = join(dir, 'daftar.txt');
    writeFileSync(list, 'judi-contoh.test\niklan.example\n');
    const text = [
      'timezone: Asia/Jakarta',
      'schedules:',
      '  jam-kerja: [{ days: [mon, tue, wed, thu, fri], from: "07:00", to: "16:00" }]',
      'services:',
      '  vidio: [vidio-extra.example]',
      'blocklists:',
      `  daftar: "${list}"`,
      'rules:',
      '  - { name: streaming, block: [youtube, vidio], during: jam-kerja }',
      '  - { name: daftar, block: [daftar] }',
    ].join('\n');
    const first = parseConfigText(text, join(dir, 'rambu.yaml'));
    rmSync(list);
    const second = parseConfigText(text, join(dir, 'rambu.yaml'), { lists: first.policy.lists() });
    for (const name of ['www.youtube.com', 'vidio-extra.example', 'm.vidio.com', 'judi-contoh.test', 'a.iklan.example', 'example.org']) {
      assert.deepEqual(second.policy.decide('10.0.0.9', name, AT), first.policy.decide('10.0.0.9', name, AT), name);
    }
    assert.equal(second.policy.decide('10.0.0.9', 'judi-contoh.test', AT).action, 'block');
    assert.deepEqual(second.policy.services.map((s) => s.name), first.policy.services.map((s) => s.name));
    // Without the lists, the missing file is an error again.
    assert.throws(() => parseConfigText(text, join(dir, 'rambu.yaml')), /cannot read blocklist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
