import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigText } from '../config/index.js';
import { decide } from './index.js';

const NOW = Date.parse('2026-11-30T10:00:00+07:00');

function policyWith(lists: Record<string, string>, rules: string) {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-exceptions-'));
  for (const [name, text] of Object.entries(lists)) writeFileSync(join(dir, `${name}.txt`), text);
  const yaml = `blocklists:\n${Object.keys(lists).map((n) => `  ${n}: ${n}.txt\n`).join('')}rules:\n${rules}`;
  return parseConfigText(yaml, join(dir, 'rambu.yaml'), { baseDir: dir, now: NOW });
}

test('an exception line lifts its own list\'s block for the name and the names under it', () => {
  const loaded = policyWith({
    iklan: '||ads.example^\n||example.net^\n@@||good.example.net^\n@@||ads.example^\n',
    lain: 'example.net\n',
  }, '  - name: blokir-iklan\n    block: [iklan]\n  - name: blokir-lain\n    block: [lain]\n');
  const p = loaded.policy;
  const d = (name: string) => decide(p, '10.0.0.1', name, NOW);
  assert.equal(d('x.example.net').action, 'block');
  assert.equal(d('x.example.net').rule, 'blokir-iklan');
  // The exception is more general than the block entry: it still wins for its own list.
  assert.equal(d('ads.example').action, 'allow');
  assert.equal(d('ads.example').service, null);
  // good.example.net is lifted from iklan, but the other list still blocks it.
  assert.equal(d('good.example.net').action, 'block');
  assert.equal(d('good.example.net').rule, 'blokir-lain');
  assert.equal(d('cdn.good.example.net').service, 'lain');
  assert.equal(loaded.blocklists.find((b) => b.name === 'iklan')?.skipped, 0);
});

test('an exception list name is not a name rules can use', () => {
  assert.throws(() => policyWith({ iklan: '||ads.example^\n@@||ok.ads.example^\n' }, '  - name: r\n    block: [iklan@@]\n'), /unknown service or blocklist "iklan@@"/);
});

test('without exceptions the policy is as before', () => {
  const p = policyWith({ iklan: 'ads.example\n' }, '  - name: r\n    block: [iklan]\n').policy;
  assert.equal(decide(p, '10.0.0.1', 'www.ads.example', NOW).action, 'block');
  assert.equal(decide(p, '10.0.0.1', 'other.example', NOW).action, 'allow');
});
