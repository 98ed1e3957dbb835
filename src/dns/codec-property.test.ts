import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES, RambuError } from '../errors.js';
import { decodeMessage, encodeMessage } from './message-codec.js';

/** Decoding arbitrary bytes either works or fails with DNS_MALFORMED; nothing else escapes. */
function decodeOrMalformed(bytes: Uint8Array): ReturnType<typeof decodeMessage> | null {
  try {
    return decodeMessage(Buffer.from(bytes));
  } catch (err) {
    assert.ok(err instanceof RambuError, `not a RambuError: ${String(err)}`);
    assert.equal(err.code, ERROR_CODES.DNS_MALFORMED);
    return null;
  }
}

test('random bytes decode or fail with DNS_MALFORMED', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => { decodeOrMalformed(bytes); }), { numRuns: 5000 });
});

test('whatever decodes re-encodes and decodes to the same message', () => {
  // Start from a valid header with small counts so that many samples get past the header.
  const header = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }));
  const body = fc.array(fc.oneof(
    fc.constantFrom(0, 1, 3, 0x61, 0x63, 0x6f, 0x6d, 0xc0, 12, 4, 5, 28, 6, 15, 16, 33, 41),
    fc.integer({ min: 0, max: 255 }),
  ), { maxLength: 120 });
  let decoded = 0;
  fc.assert(fc.property(header, body, ([id, flags, qd, an], rest) => {
    const buf = Buffer.alloc(12 + rest.length);
    buf.writeUInt16BE(id, 0);
    buf.writeUInt16BE(flags, 2);
    buf.writeUInt16BE(qd, 4);
    buf.writeUInt16BE(an, 6);
    Buffer.from(rest).copy(buf, 12);
    const msg = decodeOrMalformed(buf);
    if (msg === null) return;
    decoded++;
    const { questionEnd: _a, ...first } = msg;
    const { questionEnd: _b, ...again } = decodeMessage(encodeMessage(msg));
    // Compression matches names case-insensitively, so a re-encoded name may take an earlier case.
    assert.equal(JSON.stringify(again).toLowerCase(), JSON.stringify(first).toLowerCase());
  }), { numRuns: 20000 });
  assert.ok(decoded > 100, `only ${decoded} samples decoded`);
});
