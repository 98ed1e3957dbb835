import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponsePool } from './response-pool.js';

function source(length: number): Int32Array {
  const words = new Int32Array(Math.ceil(length / 4));
  const bytes = new Uint8Array(words.buffer);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 0xff;
  return words;
}

test('a response holds the copied bytes, word-aligned, and the length asked for', () => {
  const pool = new ResponsePool(1024);
  const src = source(64);
  const bytes = new Uint8Array(src.buffer);
  for (const [offset, copy, length] of [[0, 17, 17], [4, 30, 41], [8, 1, 12], [12, 45, 45], [0, 0, 3]] as const) {
    const out = pool.copy(src, offset, copy, length);
    assert.equal(out.length, length);
    assert.equal(out.byteOffset % 4, 0);
    assert.deepEqual([...out.subarray(0, copy)], [...bytes.subarray(offset, offset + copy)]);
  }
});

test('responses never share bytes, across slabs too, and a large one gets its own buffer', () => {
  const pool = new ResponsePool(256);
  const src = source(200);
  const outs: Buffer[] = [];
  for (let i = 0; i < 20; i++) outs.push(pool.copy(src, 0, 50, 50 + (i % 4)));
  for (const out of outs) out.fill(0xee);
  for (const [i, out] of outs.entries()) {
    const fresh = pool.copy(src, 0, 50, 50);
    assert.ok(fresh.every((b, j) => b === new Uint8Array(src.buffer)[j]), `fresh copy ${i}`);
    assert.ok(out.every((b) => b === 0xee), `response ${i} untouched`);
  }
  assert.ok(new Set(outs.map((o) => o.buffer)).size > 1, 'slabs roll over');
  const big = pool.copy(src, 0, 200, 200);
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, 200);
  assert.deepEqual([...big], [...new Uint8Array(src.buffer)]);
});
