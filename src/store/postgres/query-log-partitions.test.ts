import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queryRate } from '../open-gateway-store.js';
import { DAY_MS, partitionDay, partitionName } from './query-log-partitions.js';

test('a partition per UTC day: the name of the day that holds an instant, and back', () => {
  const day = Date.UTC(2026, 11, 7);
  assert.equal(partitionName(day), 'querylog_d20261207');
  assert.equal(partitionName(day + DAY_MS - 1), 'querylog_d20261207');
  assert.equal(partitionName(day + DAY_MS), 'querylog_d20261208');
  // 06:59 in Jakarta (UTC+7) is the day before in UTC.
  assert.equal(partitionName(Date.parse('2026-12-08T06:59:59+07:00')), 'querylog_d20261207');
  assert.equal(partitionDay('querylog_d20261207'), day);
  for (const name of ['querylog', 'querylog_d2026120', 'querylog_minute', 'other_d20261207']) assert.equal(partitionDay(name), null, name);
});

test('queries a second are the log\'s count of every query (kept, waiting, dropped or failed) over the time since the last call', () => {
  let t = 0;
  const stats = { written: 0, buffered: 0, dropped: 0, failed: 0 };
  const rate = queryRate(() => stats, () => t);
  t = 10_000;
  stats.written = 400;
  stats.buffered = 50;
  stats.dropped = 50;
  assert.equal(rate(), 50);
  assert.equal(rate(), 0, 'no time passed');
  t = 20_000;
  assert.equal(rate(), 0);
});
