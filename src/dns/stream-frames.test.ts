import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader, frameMessage } from './stream-frames.js';

const messages = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from('last')];
const stream = Buffer.concat(messages.map(frameMessage));

function readAll(chunks: Buffer[]): Buffer[] {
  const reader = new FrameReader();
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let m = reader.next(); m !== null; m = reader.next()) out.push(Buffer.from(m));
  }
  return out;
}

test('frameMessage puts the length first', () => {
  assert.deepEqual([...frameMessage(Buffer.from([1, 2, 3]))], [0, 3, 1, 2, 3]);
});

test('messages come out whole however the stream is cut', () => {
  assert.deepEqual(readAll([stream]), messages);
  assert.deepEqual(readAll([...stream].map((b) => Buffer.from([b]))), messages);
  for (let cut = 1; cut < stream.length; cut += 7) {
    assert.deepEqual(readAll([stream.subarray(0, cut), stream.subarray(cut)]), messages, `cut at ${cut}`);
  }
});

test('a partial message is kept as a copy, not as a view of the chunk it came in', () => {
  const chunk = Buffer.alloc(10_000);
  frameMessage(Buffer.from('whole')).copy(chunk, 0);
  chunk.writeUInt16BE(500, 7); // a second message of 500 bytes, of which the chunk holds the start
  const reader = new FrameReader();
  reader.push(chunk.subarray(0, 20));
  assert.deepEqual(reader.next(), Buffer.from('whole'));
  assert.equal(reader.next(), null);
  chunk.fill(0xff); // the stream's buffer is reused: what was kept must not change
  reader.push(Buffer.alloc(489, 1));
  const second = reader.next();
  assert.equal(second?.length, 500);
  assert.deepEqual([...second!.subarray(0, 11)], new Array(11).fill(0));
});
