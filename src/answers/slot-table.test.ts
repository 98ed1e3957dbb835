import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlotTable } from './slot-table.js';

test('the slot table agrees with a Map through random inserts, updates and removals', () => {
  let seed = 7;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const table = new SlotTable();
  const model = new Map<number, number>();
  for (let step = 0; step < 20_000; step++) {
    const key = 1 + rand(600);
    const slot = table.find(key);
    assert.equal(slot >= 0, model.has(key), `step ${step}: key ${key}`);
    if (rand(3) === 0 && slot >= 0) {
      table.removeAt(slot);
      model.delete(key);
    } else {
      const s = table.slotFor(key);
      table.setAt(s, step, key);
      model.set(key, step);
    }
    if (step % 997 === 0) table.compact();
  }
  assert.equal(table.size, model.size);
  for (const [key, value] of model) assert.equal(table.aAt(table.find(key)), value);
  assert.ok(table.size <= table.capacity * 0.8);
});

test('removing while scanning upward visits every survivor', () => {
  const table = new SlotTable(8);
  for (let k = 1; k <= 6; k++) table.setAt(table.slotFor(k), k, k % 2);
  for (let i = 0; i < table.capacity; ) {
    if (table.keyAt(i) !== 0 && table.bAt(i) === 1) {
      table.removeAt(i);
      continue;
    }
    i++;
  }
  assert.equal(table.size, 3);
  for (const k of [2, 4, 6]) assert.ok(table.find(k) >= 0);
  for (const k of [1, 3, 5]) assert.equal(table.find(k), -1);
});
