import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { addr, ipfixMessage, ipfixTemplates, set, uint, v5Packet, v9Packet, v9Templates } from '../../test/flows/flow-packets.js';
import { ERROR_CODES, RambuError } from '../errors.js';
import { FlowDecoder } from './flow-decoder.js';
import { decodeV5 } from './netflow-v5.js';

const FLOW_CODES: readonly string[] = [ERROR_CODES.FLOW_TRUNCATED, ERROR_CODES.FLOW_LENGTH, ERROR_CODES.FLOW_VERSION, ERROR_CODES.FLOW_TEMPLATE];
const SECS = 1_700_000_000;

const SEEDS = [
  v5Packet({ uptime: 5000, secs: SECS, sequence: 0 }, [{ src: '10.0.0.2', dst: '198.51.100.2', packets: 3, bytes: 180, first: 10, last: 4000 }]),
  v9Packet({ uptime: 5000, secs: SECS, sequence: 1, sourceId: 0 }, [
    v9Templates([{ id: 300, fields: [[8, 4], [12, 4], [1, 4], [2, 4], [22, 4], [21, 4]] }]),
    set(300, Buffer.concat([addr('10.0.0.2'), addr('198.51.100.2'), uint(100, 4), uint(1, 4), uint(1, 4), uint(2, 4)])),
  ]),
  ipfixMessage({ exportTime: SECS, sequence: 0, domain: 0 }, [
    ipfixTemplates([{ id: 256, fields: [[27, 16], [28, 16], [1, 8], [2, 4], [82, 65535], [152, 8]] }]),
    set(256, Buffer.concat([addr('2001:db8::1'), addr('2001:db8::2'), uint(100, 8), uint(1, 4), uint(1, 1), Buffer.from('x'), uint(SECS * 1000, 8)]), false),
  ]),
];

/** Random bytes, and valid packets with bytes overwritten, cut or extended. */
const packets = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.tuple(fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat({ max: 400 }))
    .map(([seed, edits, cut]) => {
      const b = Buffer.from(seed);
      for (const [at, v] of edits) b[at % b.length] = v;
      return cut < b.length ? b.subarray(0, cut) : Buffer.concat([b, Buffer.alloc(cut - b.length, 0x41)]);
    }),
);

test('the decoder never throws on arbitrary input, and only flow codes are counted', () => {
  const d = new FlowDecoder({ maxExporters: 8 });
  fc.assert(fc.property(fc.array(packets, { minLength: 1, maxLength: 8 }), fc.nat({ max: 7 }), (list, ex) => {
    for (const p of list) {
      for (const r of d.decode(p, `e${ex}`, 0)) {
        assert.ok(Number.isSafeInteger(r.bytes) && r.bytes >= 0);
        assert.ok(Number.isSafeInteger(r.packets) && r.packets >= 0);
      }
    }
  }), { numRuns: 3000 });
  for (const c of d.counters().values()) for (const code of Object.keys(c.errors)) assert.ok(FLOW_CODES.includes(code), code);
});

test('decodeV5 fails only with flow error codes', () => {
  fc.assert(fc.property(packets, (p) => {
    try {
      decodeV5(p);
    } catch (err) {
      assert.ok(err instanceof RambuError, String(err));
      assert.ok(FLOW_CODES.includes(err.code), err.code);
    }
  }), { numRuns: 3000 });
});
