import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError, exemptionStatus } from '../../src/store/index.js';
import type { ExemptionDraft } from '../../src/store/index.js';
import { T0, tempStore } from './temp-store.js';

const HOUR = 3_600_000;
const draft = (over: Partial<ExemptionDraft> = {}): ExemptionDraft => ({
  name: 'siaran', groups: ['diskominfo-humas'], clients: [], allow: ['youtube'], from: null, until: T0 + 8 * HOUR,
  reason: 'Live broadcast', createdBy: 'operator', ...over,
});

describe('exemptions', () => {
  it('creates, lists by status, revokes once', async () => {
    const { store, cleanup } = tempStore({ now: () => T0 });
    try {
      const active = await store.exemptions.create(draft());
      const pending = await store.exemptions.create(draft({ name: 'besok', from: T0 + 24 * HOUR, until: T0 + 30 * HOUR, clients: ['10.20.9.17'] }));
      const expired = await store.exemptions.create(draft({ name: 'kemarin', until: T0 - HOUR }));
      const revoked = await store.exemptions.create(draft({ name: 'batal' }));
      assert.deepEqual(await store.exemptions.get(pending.id), pending);
      assert.equal(active.createdAt, T0);
      const r = await store.exemptions.revoke(revoked.id, 'admin', T0 + 1);
      assert.equal(r?.revokedAt, T0 + 1);
      assert.equal(r?.revokedBy, 'admin');
      assert.equal((await store.exemptions.revoke(revoked.id, 'other', T0 + 2))?.revokedBy, 'admin');
      assert.equal(await store.exemptions.revoke(999, 'admin', T0), null);

      const ids = async (status?: 'active' | 'pending' | 'expired' | 'revoked') =>
        (await store.exemptions.list(status === undefined ? { now: T0 } : { now: T0, status })).map((e) => e.id);
      assert.deepEqual(await ids(), [revoked.id, expired.id, pending.id, active.id]);
      assert.deepEqual(await ids('active'), [active.id]);
      assert.deepEqual(await ids('pending'), [pending.id]);
      assert.deepEqual(await ids('expired'), [expired.id]);
      assert.deepEqual(await ids('revoked'), [revoked.id]);
      assert.deepEqual((await store.exemptions.effective(T0)).map((e) => e.id), [active.id, pending.id]);
      assert.deepEqual((await store.exemptions.effective(T0 + 8 * HOUR)).map((e) => e.id), [pending.id]);
      assert.equal(exemptionStatus(active, T0 + 8 * HOUR), 'expired');
      assert.equal(exemptionStatus(pending, T0 + 24 * HOUR), 'active');
    } finally {
      await cleanup();
    }
  });
});

describe('audit log', () => {
  it('records JSON before/after and lists newest first with filters and a cursor', async () => {
    const { store, cleanup } = tempStore();
    try {
      await store.audit.record({ time: T0, user: 'admin', action: 'policy.update', target: 'policy:/etc/rambu.yaml', before: 'a: 1\n', after: 'a: 2\n' });
      for (let i = 0; i < 5; i++) {
        await store.audit.record({ time: T0 + i, user: i % 2 === 0 ? 'sari' : 'budi', action: 'exemption.create', target: `exemption:${i}`, before: null, after: { id: i, allow: ['youtube'] } });
      }
      const first = await store.audit.list({ limit: 2 });
      assert.deepEqual(first.entries.map((e) => e.target), ['exemption:4', 'exemption:3']);
      assert.deepEqual(first.entries[0]?.after, { id: 4, allow: ['youtube'] });
      assert.equal(first.entries[0]?.before, null);
      assert.ok(first.nextCursor !== null);
      const second = await store.audit.list({ limit: 10, cursor: first.nextCursor });
      assert.deepEqual(second.entries.map((e) => e.target), ['exemption:2', 'exemption:1', 'exemption:0', 'policy:/etc/rambu.yaml']);
      assert.equal(second.nextCursor, null);
      assert.equal(second.entries[3]?.before, 'a: 1\n');
      assert.deepEqual((await store.audit.list({ user: 'budi' })).entries.map((e) => e.target), ['exemption:3', 'exemption:1']);
      assert.deepEqual((await store.audit.list({ action: 'policy.update' })).entries.length, 1);
      await assert.rejects(store.audit.list({ cursor: 'x' }), (err: unknown) => err instanceof StoreError && err.code === 'INVALID_CURSOR');
    } finally {
      await cleanup();
    }
  });
});
