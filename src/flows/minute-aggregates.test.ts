import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MinuteAggregates, OVERFLOW_CLIENT } from './minute-aggregates.js';

const A = { client: '10.0.0.1', group: 'g', service: 'youtube', unresolvedPrefix: null };

test('flows sum per minute and key; a drain empties the buffer', () => {
  const m = new MinuteAggregates();
  m.add(120_000, A, 100, 1);
  m.add(179_999, A, 50, 2);
  m.add(180_000, A, 7, 1);
  m.add(180_000, { ...A, service: 'other', unresolvedPrefix: '198.51.100.0/24' }, 9, 1);
  const { traffic, remotes } = m.drain();
  assert.deepEqual(traffic.map((r) => [r.minute, r.service, r.bytes, r.packets, r.flows]), [[120_000, 'youtube', 150, 3, 2], [180_000, 'youtube', 7, 1, 1], [180_000, 'other', 9, 1, 1]]);
  assert.deepEqual(remotes, [{ minute: 180_000, prefix: '198.51.100.0/24', bytes: 9, packets: 1, flows: 1 }]);
  assert.equal(m.size, 0);
});

test('past maxKeys distinct rows, new clients fold into one row and bytes are kept', () => {
  const m = new MinuteAggregates(10);
  for (let i = 0; i < 100; i++) m.add(0, { ...A, client: `10.0.1.${i}` }, 10, 1);
  const { traffic } = m.drain();
  assert.equal(traffic.length, 11);
  assert.equal(traffic.reduce((n, r) => n + r.bytes, 0), 1000);
  assert.equal(traffic.find((r) => r.client === OVERFLOW_CLIENT)?.flows, 90);
});
