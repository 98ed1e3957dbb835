/**
 * The console's policy save on the real loader and editor (`createPolicyFileEditor`): what a save
 * may not do (change where the gateway runs, empty the file, name a FIFO, a device or an oversized
 * file), and what each role reads back (audit entries, blocklist paths).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type LoadedConfig, parseConfigTextAsync } from '../../src/config/index.js';
import { createPolicyFileEditor } from '../../src/web/index.js';
import { authed, createTestApp } from './test-app.js';
import type { TestApp } from './test-app.js';

interface Problem { file?: string; line?: number; path: string; message: string }
const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string; details?: Problem[] } }).error;

describe('policy saves from the console', () => {
  let t: TestApp;
  let dir: string;
  let file: string;
  let base: string;
  let loaded: LoadedConfig;
  let commits = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rambu-save-'));
    file = join(dir, 'rambu.yaml');
    writeFileSync(join(dir, 'iklan.txt'), 'ads.example\ntracker.example\n');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    base = [
      'timezone: Asia/Jakarta',
      'dns:',
      '  listen: ["127.0.0.1:5353"]',
      'web:',
      '  listen: "127.0.0.1:8080"',
      'storage:',
      '  path: data',
      'blocklists:',
      '  iklan: iklan.txt',
      'rules:',
      '  - name: blokir-iklan',
      '    block: [iklan]',
      '',
    ].join('\n');
    loaded = await parseConfigTextAsync(base, file);
    const editor = createPolicyFileEditor({
      file,
      current: () => loaded,
      commit: async (_text, next) => { commits++; loaded = next; },
    });
    t = await createTestApp({ policyEditor: editor });
    t.policy.current = loaded.policy;
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const save = async (text: string) => {
    const s = await t.login('admin');
    return t.app.inject({ method: 'PUT', url: '/api/policy/yaml', payload: { text }, headers: authed(s) });
  };

  it('refuses a blocklist that is a FIFO, at once, naming the file, the line and the key; nothing changes', async () => {
    const before = commits;
    const started = Date.now();
    const res = await save(base.replace('iklan: iklan.txt', 'iklan: pipe'));
    assert.ok(Date.now() - started < 5000, 'the save did not wait on the FIFO');
    assert.equal(res.statusCode, 422);
    const error = errorOf(res.body);
    assert.equal(error.code, 'POLICY_INVALID');
    const p = error.details?.[0];
    assert.equal(p?.path, 'blocklists.iklan');
    assert.equal(p?.line, 9);
    assert.equal(p?.file, file);
    assert.match(p?.message ?? '', /pipe.*FIFO/);
    assert.equal(commits, before);
    assert.equal(loaded.text, base);
  });

  it('refuses a CA file that is a device (/dev/zero) without reading it', async () => {
    const res = await save(base.replace('  listen: ["127.0.0.1:5353"]', '  listen: ["127.0.0.1:5353"]\n  upstreamCaFile: /dev/zero'));
    assert.equal(res.statusCode, 422);
    const p = errorOf(res.body).details?.[0];
    assert.equal(p?.path, 'dns.upstreamCaFile');
    assert.equal(p?.line, 4);
    assert.match(p?.message ?? '', /\/dev\/zero.*character device/);
  });

  it('refuses a blocklist larger than the bound', async () => {
    // A sparse file: its size is past 64 MiB without writing 64 MiB.
    execFileSync('truncate', ['-s', String(64 * 1024 * 1024 + 1), join(dir, 'huge.txt')]);
    const res = await save(base.replace('iklan: iklan.txt', 'iklan: huge.txt'));
    assert.equal(res.statusCode, 422);
    assert.match(errorOf(res.body).details?.[0]?.message ?? '', /above the limit of 67108864 bytes/);
  });

  for (const [what, edit, key] of [
    ['storage.path', (s: string) => s.replace('path: data', 'path: other-data'), 'storage.path'],
    ['storage.retentionDays', (s: string) => s.replace('path: data', 'path: data\n  retentionDays: 3'), 'storage.retentionDays'],
    ['web.enabled', (s: string) => s.replace('web:\n', 'web:\n  enabled: false\n'), 'web.enabled'],
    ['web.listen', (s: string) => s.replace('"127.0.0.1:8080"', '"0.0.0.0:8080"'), 'web.listen'],
    ['dns.listen', (s: string) => s.replace('127.0.0.1:5353', '127.0.0.1:53'), 'dns.listen'],
  ] as const) {
    it(`refuses a save that changes ${what}, naming it and saying to edit the file on the server`, async () => {
      const before = commits;
      const res = await save(edit(base));
      assert.equal(res.statusCode, 422);
      const p = errorOf(res.body).details?.[0];
      assert.equal(p?.path, key);
      assert.ok(p?.line !== undefined);
      assert.ok(p.message.includes(key) && p.message.includes(`edit ${file} on the server`), p.message);
      assert.equal(commits, before);
    });
  }

  it('accepts the same settings written differently (the default spelled out) and other edits', async () => {
    const res = await save(base.replace('path: data', `path: ${join(dir, 'data')}`).replace('block: [iklan]', 'block: [iklan, youtube]'));
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(loaded.policy.rules[0]?.services, ['iklan', 'youtube']);
  });

  for (const [what, text] of [['an empty document', ''], ['comments only', '# nothing\n'], ['an empty mapping', '{}\n']] as const) {
    it(`refuses ${what}`, async () => {
      const before = commits;
      const res = await save(text);
      assert.equal(res.statusCode, 422);
      assert.match(errorOf(res.body).details?.[0]?.message ?? '', /the document is empty/);
      assert.equal(commits, before);
    });
  }

  it('viewers and operators: audit entries without policy texts or user records, blocklists without server paths', async () => {
    const admin = await t.login('admin');
    const created = await t.app.inject({ method: 'POST', url: '/api/users', payload: { username: 'petugas2', role: 'viewer', password: 'password-petugas-2' }, headers: authed(admin) });
    assert.equal(created.statusCode, 201);
    type Entry = { action: string; target: string; before: unknown; after: unknown; redacted?: boolean };
    const audit = async (who: string) => {
      const s = await t.login(who);
      return ((await t.app.inject({ method: 'GET', url: '/api/audit', headers: { cookie: s.cookie } })).json() as { items: Entry[] }).items;
    };
    for (const who of ['viewer', 'operator']) {
      const items = await audit(who);
      const policy = items.find((e) => e.action === 'policy.update');
      const user = items.find((e) => e.action === 'user.create');
      assert.ok(policy !== undefined && user !== undefined);
      assert.deepEqual([policy.before, policy.after, policy.target, policy.redacted], [null, null, 'policy', true]);
      assert.deepEqual([user.before, user.after, user.redacted], [null, null, true]);
      const body = JSON.stringify(items);
      assert.ok(!body.includes('blokir-iklan') && !body.includes(dir) && !body.includes('"role"'), `${who} reads ${body}`);
    }
    const adminItems = await audit('admin');
    assert.match(String(adminItems.find((e) => e.action === 'policy.update')?.after), /blokir-iklan/);
    assert.deepEqual(adminItems.find((e) => e.action === 'user.create')?.after, { username: 'petugas2', role: 'viewer', disabled: false });

    t.policy.current = loaded.policy;
    const services = async (who: string) => {
      const s = await t.login(who);
      const res = await t.app.inject({ method: 'GET', url: '/api/policy', headers: { cookie: s.cookie } });
      return (res.json() as { services: { name: string; source: string }[] }).services;
    };
    assert.equal((await services('viewer')).find((s) => s.name === 'iklan')?.source, 'blocklist file');
    assert.ok(!JSON.stringify(await services('operator')).includes(dir));
    assert.equal((await services('admin')).find((s) => s.name === 'iklan')?.source, join(dir, 'iklan.txt'));
  });
});
