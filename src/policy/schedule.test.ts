import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClock, Schedule } from './schedule.js';
import { TimeZone } from './time-zone.js';

const at = (iso: string): number => Date.parse(iso);
const WEEKDAYS = new Set([0, 1, 2, 3, 4]);

test('clock parsing accepts HH:MM up to 24:00 and nothing else', () => {
  assert.equal(parseClock('07:00'), 420);
  assert.equal(parseClock('24:00'), 1440);
  assert.equal(parseClock('00:00'), 0);
  for (const bad of ['25:00', '24:01', '7am', '7:00', '07:60', '0700', '', ' 07:00', '07:00:00']) assert.equal(parseClock(bad), null, bad);
});

test('transitions of the work-hours schedule over a week with a holiday', () => {
  const s = new Schedule('jam-kerja', [{ days: WEEKDAYS, from: 420, to: 960 }], new TimeZone('Asia/Jakarta'), new Set(['2026-12-02']));
  const next = s.transitions(at('2026-11-30T00:00:00+07:00'), 6).map((t) => [new TimeZone('Asia/Jakarta').formatIso(t.at), t.active]);
  assert.deepEqual(next, [
    ['2026-11-30T07:00:00+07:00', true], ['2026-11-30T16:00:00+07:00', false],
    ['2026-12-01T07:00:00+07:00', true], ['2026-12-01T16:00:00+07:00', false],
    ['2026-12-03T07:00:00+07:00', true], ['2026-12-03T16:00:00+07:00', false],
  ]);
});

test('a schedule active all week never ends', () => {
  const s = new Schedule('always', [{ days: new Set([0, 1, 2, 3, 4, 5, 6]), from: 0, to: 1440 }], new TimeZone('Asia/Jakarta'), new Set());
  const state = s.stateAt(at('2026-11-30T10:00:00+07:00'));
  assert.equal(state.active, true);
  assert.equal(state.until, null);
});

test('the memoised state is the same as a fresh computation at every minute of a day', () => {
  const zone = new TimeZone('Asia/Jakarta');
  const ranges = [{ days: WEEKDAYS, from: 420, to: 960 }, { days: new Set([5]), from: 1320, to: 1800 }];
  const cached = new Schedule('s', ranges, zone, new Set());
  for (let t = at('2026-12-04T00:00:00+07:00'); t < at('2026-12-06T00:00:00+07:00'); t += 60_000) {
    const fresh = new Schedule('s', ranges, zone, new Set()).stateAt(t);
    const memo = cached.stateAt(t);
    assert.equal(memo.active, fresh.active);
    assert.equal(memo.until, fresh.until);
  }
});
