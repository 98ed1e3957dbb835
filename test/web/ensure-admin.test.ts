import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { ensureAdmin } from '../../src/web/index.js';

it('ensureAdmin creates admin with a generated password once, and only when there is no user', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-admin-'));
  const store = openStore({ dir, pruneIntervalMs: 0 });
  try {
    const first = await ensureAdmin(store);
    assert.ok(first !== null);
    assert.equal(first.username, 'admin');
    assert.ok(first.password.length >= 20);
    const user = await store.users.verify('admin', first.password);
    assert.equal(user?.role, 'admin');
    assert.equal(await ensureAdmin(store), null);
    assert.equal(await store.users.count(), 1);
    const audit = await store.audit.list();
    assert.equal(audit.entries[0]?.action, 'user.create');
    assert.doesNotMatch(JSON.stringify(audit.entries), new RegExp(first.password));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
