import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachQueryLogEntry, QueryLogBatch } from './query-log-columns.js';
import { addDnsStats, emptyDnsStatsSnapshot, snapshotDnsStats, sumDnsStatsInto } from './dns-stats-snapshot.js';
import { createDnsStats } from './dns-stats.js';
import type { QueryLogEntry } from './query-log-entry.js';

const ENTRIES: QueryLogEntry[] = [
  { time: 1_780_000_000_000, client: '10.1.2.3', name: 'www.youtube.com', type: 'A', action: 'block', service: 'youtube', rule: 'jam-kerja', exemption: null, rcode: 'NXDOMAIN', latencyMs: 0.021, upstream: null, cached: false },
  { time: 1_780_000_000_001, client: '2001:db8::1', name: 'example.org', type: 'AAAA', action: 'allow', service: null, rule: null, exemption: 'tim-humas', rcode: 'NOERROR', latencyMs: 3.5, upstream: 'udp://192.0.2.53:53', cached: true },
];

test('a batch survives structured cloning (the post between threads) and gives back the same entries', () => {
  const batch = new QueryLogBatch();
  for (const e of ENTRIES) batch.push(e);
  assert.equal(batch.size, 2);
  const columns = batch.take();
  assert.ok(columns !== null);
  assert.equal(batch.size, 0);
  assert.equal(batch.take(), null);
  const out: QueryLogEntry[] = [];
  forEachQueryLogEntry(structuredClone(columns), (e) => out.push(e));
  assert.deepEqual(out, ENTRIES);
});

test('a full batch drops and counts instead of growing', () => {
  const batch = new QueryLogBatch({ capacity: 3 });
  for (let i = 0; i < 5; i++) batch.push(ENTRIES[0]!);
  assert.equal(batch.size, 3);
  assert.equal(batch.dropped, 2);
  batch.take();
  batch.push(ENTRIES[1]!);
  assert.equal(batch.size, 1);
  assert.equal(batch.dropped, 2);
});

test('columns of different lengths yield only whole rows', () => {
  const batch = new QueryLogBatch();
  for (const e of ENTRIES) batch.push(e);
  const columns = batch.take()!;
  columns.rcode.pop();
  let n = 0;
  forEachQueryLogEntry(columns, () => n++);
  assert.equal(n, 1);
});

test('counter snapshots sum into one DnsStats', () => {
  const a = createDnsStats();
  a.queries = 10; a.blocked = 3; a.tcpConnections = 2;
  const b = emptyDnsStatsSnapshot();
  b.queries = 5;
  const retired = emptyDnsStatsSnapshot();
  addDnsStats(retired, { queries: 7, tcpConnections: 0 });
  const total = createDnsStats();
  sumDnsStatsInto(total, [retired, snapshotDnsStats(a), b]);
  assert.equal(total.queries, 22);
  assert.equal(total.blocked, 3);
  assert.equal(total.tcpConnections, 2);
});
