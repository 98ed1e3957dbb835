/** The `rambu log` and `rambu user` command modules over a real database (they are thin shells over the store). */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { it } from 'node:test';
import { runLogCommand } from '../../src/cli/log-command.js';
import { runUserAdd, runUserList, runUserPasswd, runUserRemove } from '../../src/cli/user-command.js';
import { openStore } from '../../src/store/index.js';
import { entry, T0, tempStore } from './temp-store.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

it('rambu log prints a table or JSON lines, newest last, filtered', async () => {
  const { store, dir, cleanup } = tempStore();
  store.queryLog.insertMany([
    entry({ time: T0, name: 'www.youtube.com', action: 'block', service: 'youtube', rule: 'blokir', rcode: 'NXDOMAIN', upstream: null }),
    entry({ time: T0 + 1000, name: 'portal.pasuruankota.go.id' }),
    entry({ time: T0 + 2000, name: 'i.ytimg.com', client: '10.20.5.9', action: 'block', service: 'youtube', exemption: null, rule: 'blokir' }),
  ]);
  await store.close();
  try {
    const table = capture();
    assert.equal(await runLogCommand({ dataDir: dir, action: 'block', json: false }, table.stream), 0);
    const lines = table.text().trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^TIME\s+CLIENT\s+TYPE\s+NAME\s+ACTION/);
    assert.equal(lines.length, 3);
    assert.match(lines[1] ?? '', /www\.youtube\.com\s+block\s+youtube\s+blokir\s+NXDOMAIN/);
    assert.match(lines[2] ?? '', /i\.ytimg\.com/);

    const json = capture();
    assert.equal(await runLogCommand({ dataDir: dir, client: '10.20.1.1', since: T0 + 500, json: true }, json.stream), 0);
    const objects = json.text().trimEnd().split('\n').map((l) => JSON.parse(l) as { name: string; time: string });
    assert.deepEqual(objects.map((o) => o.name), ['portal.pasuruankota.go.id']);
    assert.equal(objects[0]?.time, new Date(T0 + 1000).toISOString());

    const limited = capture();
    await runLogCommand({ dataDir: dir, limit: 1, name: 'YT', json: true }, limited.stream);
    assert.deepEqual(limited.text().trimEnd().split('\n').map((l) => (JSON.parse(l) as { name: string }).name), ['i.ytimg.com']);

    const bad = capture();
    assert.equal(await runLogCommand({ dataDir: dir, action: 'blocked', json: false }, bad.stream), 1);
    assert.match(bad.text(), /invalid action "blocked"/);
  } finally {
    await cleanup();
  }
});

it('rambu user add, list, passwd and remove', async () => {
  const { store, dir, cleanup } = tempStore();
  await store.close();
  try {
    const out = capture();
    assert.equal(await runUserAdd({ dataDir: dir, username: 'admin', role: 'admin', password: 'admin-password-1' }, out.stream), 0);
    assert.equal(await runUserAdd({ dataDir: dir, username: 'sari', role: 'operator', password: 'sari-password-1' }, out.stream), 0);
    assert.equal(await runUserAdd({ dataDir: dir, username: 'sari', role: 'viewer', password: 'sari-password-1' }, out.stream), 1);
    assert.equal(await runUserAdd({ dataDir: dir, username: 'x', role: 'root', password: 'long-password' }, out.stream), 1);
    assert.equal(await runUserAdd({ dataDir: dir, username: 'x', role: 'viewer', password: 'short' }, out.stream), 1);
    // Characters, as the console's API counts them: four emoji are four (eight UTF-16 units).
    assert.equal(await runUserAdd({ dataDir: dir, username: 'x', role: 'viewer', password: '\u{1F600}'.repeat(4) }, out.stream), 1);
    assert.equal(await runUserAdd({ dataDir: dir, username: 'x', role: 'viewer', password: 'p'.repeat(1025) }, out.stream), 1);
    assert.equal(await runUserAdd({ dataDir: dir, username: 'Bad Name', role: 'viewer', password: 'long-password' }, out.stream), 1);
    assert.doesNotMatch(out.text(), /password-1/);

    const list = capture();
    assert.equal(await runUserList({ dataDir: dir }, list.stream), 0);
    assert.match(list.text(), /^USERNAME\s+ROLE\s+STATUS\s+CREATED\nadmin\s+admin\s+enabled/);
    assert.match(list.text(), /\nsari\s+operator\s+enabled/);

    assert.equal(await runUserPasswd({ dataDir: dir, username: 'sari', password: 'sari-password-2' }, out.stream), 0);
    assert.equal(await runUserPasswd({ dataDir: dir, username: 'nobody', password: 'sari-password-2' }, out.stream), 1);
    assert.equal(await runUserRemove({ dataDir: dir, username: 'admin' }, out.stream), 1);
    assert.equal(await runUserRemove({ dataDir: dir, username: 'sari' }, out.stream), 0);
    assert.equal(await runUserRemove({ dataDir: dir, username: 'sari' }, out.stream), 1);

    const check = openStore({ dir, pruneIntervalMs: 0 });
    try {
      assert.deepEqual((await check.users.list()).map((u) => u.username), ['admin']);
      assert.ok(await check.users.verify('admin', 'admin-password-1'));
      const audit = await check.audit.list();
      assert.deepEqual(audit.entries.map((e) => [e.user, e.action]), [['cli', 'user.delete'], ['cli', 'user.update'], ['cli', 'user.create'], ['cli', 'user.create']]);
    } finally {
      await check.close();
    }
  } finally {
    await cleanup();
  }
});
