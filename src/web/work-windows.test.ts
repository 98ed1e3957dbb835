import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimeZone } from '../policy/index.js';
import { workWindows } from './work-windows.js';

const policy = { zone: new TimeZone('Asia/Jakarta'), holidays: ['2026-03-03'] };
const at = (iso: string): number => Date.parse(iso);

test('working days before and from the date, 07:00-16:00 local, skipping weekends and holidays', () => {
  // 2026-03-04 is a Wednesday; 2026-03-03 a holiday here.
  const w = workWindows(policy, '2026-03-04', 3, at('2026-03-20T00:00:00Z'));
  assert.deepEqual(w.before.map((x) => x.date), ['2026-02-26', '2026-02-27', '2026-03-02']);
  assert.deepEqual(w.after.map((x) => x.date), ['2026-03-04', '2026-03-05', '2026-03-06']);
  assert.equal(new Date(w.after[0]!.from).toISOString(), '2026-03-04T00:00:00.000Z');
  assert.equal(new Date(w.after[0]!.to).toISOString(), '2026-03-04T09:00:00.000Z');
});

test('days not yet begun are left out; the day under way ends now', () => {
  const w = workWindows(policy, '2026-03-04', 3, at('2026-03-05T03:30:00Z'));
  assert.deepEqual(w.after.map((x) => x.date), ['2026-03-04', '2026-03-05']);
  assert.equal(new Date(w.after[1]!.to).toISOString(), '2026-03-05T03:30:00.000Z');
  assert.deepEqual(workWindows(policy, '2026-03-04', 3, at('2026-03-03T00:00:00Z')).after, []);
});
