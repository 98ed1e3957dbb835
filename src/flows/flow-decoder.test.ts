import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ipfixMessage, ipfixOptionsTemplate, ipfixTemplates, set, uint, addr, v5Packet, v9OptionsTemplate, v9Packet, v9Templates, type FieldSpec,
} from '../../test/flows/flow-packets.js';
import { ERROR_CODES } from '../errors.js';
import { FlowDecoder } from './flow-decoder.js';

const V9_FIELDS: FieldSpec[] = [[8, 4], [12, 4], [1, 4], [2, 4], [22, 4], [21, 4]];
const v9Record = (src: string, dst: string, bytes: number, packets: number, first: number, last: number): Buffer =>
  Buffer.concat([addr(src), addr(dst), uint(bytes, 4), uint(packets, 4), uint(first, 4), uint(last, 4)]);
const SECS = 1_700_000_000;

test('v9 data before its template is held and decoded when the template comes', () => {
  const d = new FlowDecoder();
  const data = v9Packet({ uptime: 60_000, secs: SECS, sequence: 1, sourceId: 7 }, [set(300, v9Record('10.1.1.1', '198.51.100.1', 1200, 3, 50_000, 59_000))]);
  assert.deepEqual(d.decode(data, 'r1', 0), []);
  assert.equal(d.counters().get('r1')?.buffered, 1);
  const tmpl = v9Packet({ uptime: 61_000, secs: SECS + 1, sequence: 2, sourceId: 7 }, [v9Templates([{ id: 300, fields: V9_FIELDS }])]);
  const out = d.decode(tmpl, 'r1', 1000);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.bytes, 1200);
  // Timed by the held packet's own header, not by the one that brought the template.
  assert.equal(out[0]!.end, SECS * 1000 - 1000);
});

test('templates are per exporter and per source ID', () => {
  const d = new FlowDecoder();
  d.decode(v9Packet({ uptime: 1, secs: SECS, sequence: 1, sourceId: 1 }, [v9Templates([{ id: 300, fields: V9_FIELDS }])]), 'r1', 0);
  const data = (sourceId: number) => v9Packet({ uptime: 1000, secs: SECS, sequence: 2, sourceId }, [set(300, v9Record('10.1.1.1', '198.51.100.1', 10, 1, 0, 0))]);
  assert.equal(d.decode(data(1), 'r1', 0).length, 1);
  assert.equal(d.decode(data(2), 'r1', 0).length, 0);
  assert.equal(d.decode(data(1), 'r2', 0).length, 0);
});

test('a template expires when not refreshed, and a held set whose template never comes is counted', () => {
  const d = new FlowDecoder({ templateTimeoutMs: 60_000, pendingMaxAgeMs: 10_000 });
  d.decode(v9Packet({ uptime: 1, secs: SECS, sequence: 1, sourceId: 0 }, [v9Templates([{ id: 300, fields: V9_FIELDS }])]), 'r1', 0);
  const data = v9Packet({ uptime: 1000, secs: SECS, sequence: 2, sourceId: 0 }, [set(300, v9Record('10.1.1.1', '198.51.100.1', 10, 1, 0, 0))]);
  assert.equal(d.decode(data, 'r1', 59_000).length, 1);
  assert.equal(d.decode(data, 'r1', 61_000).length, 0);
  d.sweep(80_000);
  assert.equal(d.counters().get('r1')?.noTemplate, 1);
});

test('held data is bounded: the oldest sets are dropped and counted', () => {
  const d = new FlowDecoder({ pendingBytes: 1000 });
  const rec = v9Record('10.1.1.1', '198.51.100.1', 10, 1, 0, 0);
  for (let i = 0; i < 100; i++) d.decode(v9Packet({ uptime: 1, secs: SECS, sequence: i, sourceId: 0 }, [set(300, Buffer.concat(Array<Buffer>(10).fill(rec)))]), 'r1', 0);
  const c = d.counters().get('r1')!;
  assert.equal(c.buffered, 100);
  assert.ok(c.noTemplate >= 90, `dropped ${c.noTemplate}`);
  const out = d.decode(v9Packet({ uptime: 1, secs: SECS, sequence: 100, sourceId: 0 }, [v9Templates([{ id: 300, fields: V9_FIELDS }])]), 'r1', 0);
  assert.ok(out.length <= 1000 / 24 * 10 && out.length > 0);
});

test('snapshot and restore keep templates, sampling and boot time across a restart', () => {
  const a = new FlowDecoder();
  a.decode(v9Packet({ uptime: 1, secs: SECS, sequence: 1, sourceId: 3 }, [
    v9Templates([{ id: 300, fields: V9_FIELDS }]), v9OptionsTemplate(400, [[1, 4]], [[34, 4]]), set(400, Buffer.concat([uint(0, 4), uint(10, 4)])),
  ]), 'r1', 0);
  const saved = JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<FlowDecoder['snapshot']>;
  const b = new FlowDecoder();
  b.restore(saved);
  const out = b.decode(v9Packet({ uptime: 1000, secs: SECS, sequence: 2, sourceId: 3 }, [set(300, v9Record('10.1.1.1', '198.51.100.1', 100, 2, 0, 0))]), 'r1', 1);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.bytes, 1000, 'sampling 1 in 10 applied');
});

test('sequence gaps are counted per exporter: v5 in flows, v9 in packets, IPFIX in records', () => {
  const d = new FlowDecoder();
  const rec = { src: '10.0.0.2', dst: '198.51.100.2', packets: 1, bytes: 100, first: 0, last: 0 };
  d.decode(v5Packet({ uptime: 10, secs: SECS, sequence: 0 }, [rec, rec]), 'a', 0);
  d.decode(v5Packet({ uptime: 10, secs: SECS, sequence: 2 }, [rec]), 'a', 0);
  d.decode(v5Packet({ uptime: 10, secs: SECS, sequence: 8 }, [rec]), 'a', 0);
  assert.equal(d.counters().get('a')?.sequenceGaps, 1);
  assert.equal(d.counters().get('a')?.sequenceMissing, 5);
  d.decode(v9Packet({ uptime: 1, secs: SECS, sequence: 10, sourceId: 0 }, []), 'b', 0);
  d.decode(v9Packet({ uptime: 1, secs: SECS, sequence: 13, sourceId: 0 }, []), 'b', 0);
  assert.equal(d.counters().get('b')?.sequenceMissing, 2);
  const tmpl = ipfixTemplates([{ id: 256, fields: [[8, 4], [12, 4], [1, 4], [2, 4]] }]);
  const data = set(256, Buffer.concat([addr('10.0.0.3'), addr('198.51.100.3'), uint(50, 4), uint(1, 4), addr('10.0.0.3'), addr('198.51.100.3'), uint(50, 4), uint(1, 4)]), false);
  d.decode(ipfixMessage({ exportTime: SECS, sequence: 0, domain: 0 }, [tmpl, data]), 'c', 0);
  d.decode(ipfixMessage({ exportTime: SECS, sequence: 2, domain: 0 }, [data]), 'c', 0);
  assert.equal(d.counters().get('c')?.sequenceGaps, 0);
  d.decode(ipfixMessage({ exportTime: SECS, sequence: 9, domain: 0 }, [data]), 'c', 0);
  assert.equal(d.counters().get('c')?.sequenceMissing, 5);
});

test('uptime fields across the 32-bit wrap', () => {
  const d = new FlowDecoder();
  // The exporter's uptime wrapped to 5000 ms; the flow started 10 s and ended 3 s before the export.
  const first = 0x1_0000_0000 - 5000;
  const out = d.decode(v5Packet({ uptime: 5000, secs: SECS, sequence: 0 }, [{ src: '10.0.0.2', dst: '198.51.100.2', packets: 1, bytes: 60, first, last: 2000 }]), 'a', 0);
  assert.equal(out[0]!.end, SECS * 1000 - 3000);
  assert.equal(out[0]!.start, SECS * 1000 - 10_000);
});

test('IPFIX uptime fields are timed by systemInitTimeMilliseconds from options data', () => {
  const d = new FlowDecoder();
  const boot = SECS * 1000 - 3_600_000;
  const msg = ipfixMessage({ exportTime: SECS, sequence: 0, domain: 0 }, [
    ipfixOptionsTemplate(257, [[149, 4]], [[160, 8]]), set(257, Buffer.concat([uint(0, 4), uint(boot, 8)]), false),
    ipfixTemplates([{ id: 256, fields: [[8, 4], [12, 4], [1, 4], [2, 4], [22, 4], [21, 4]] }]),
    set(256, v9Record('10.0.0.4', '198.51.100.4', 700, 7, 3_500_000, 3_590_000), false),
  ]);
  const [r] = d.decode(msg, 'x', 0);
  assert.equal(r!.start, boot + 3_500_000);
  assert.equal(r!.end, boot + 3_590_000);
});

test('sampling rates from options data and the v5 header multiply the counts', () => {
  const d = new FlowDecoder();
  const msg = ipfixMessage({ exportTime: SECS, sequence: 0, domain: 0 }, [
    ipfixOptionsTemplate(257, [[149, 4]], [[305, 4], [306, 4]]), set(257, Buffer.concat([uint(0, 4), uint(1, 4), uint(99, 4)]), false),
    ipfixTemplates([{ id: 256, fields: [[8, 4], [12, 4], [1, 4], [2, 4]] }]),
    set(256, Buffer.concat([addr('10.0.0.5'), addr('198.51.100.5'), uint(1500, 4), uint(1, 4)]), false),
  ]);
  assert.equal(d.decode(msg, 'x', 0)[0]!.bytes, 150_000);
  const v5 = v5Packet({ uptime: 10, secs: SECS, sequence: 0, sampling: 0x4000 | 50 }, [{ src: '10.0.0.2', dst: '198.51.100.2', packets: 2, bytes: 100, first: 0, last: 0 }]);
  assert.deepEqual([d.decode(v5, 'y', 0)[0]!.packets], [100]);
});

test('a configured sampling rate applies while the exporter announces none; an announced one wins', () => {
  const d = new FlowDecoder({ configuredSampling: (exporter) => (exporter === 'sampler' ? 100 : 1) });
  const record = v5Packet({ uptime: 10, secs: SECS, sequence: 0 }, [{ src: '10.0.0.2', dst: '198.51.100.2', packets: 2, bytes: 100, first: 0, last: 0 }]);
  assert.deepEqual([d.decode(record, 'sampler', 0)[0]!.bytes, d.decode(record, 'other', 0)[0]!.bytes], [10_000, 100]);
  const announced = v5Packet({ uptime: 10, secs: SECS, sequence: 1, sampling: 0x4000 | 10 }, [{ src: '10.0.0.2', dst: '198.51.100.2', packets: 2, bytes: 100, first: 0, last: 0 }]);
  assert.equal(d.decode(announced, 'sampler', 0)[0]!.bytes, 1000, 'the v5 header\'s 1 in 10, not the configured 1 in 100');
  d.decode(v9Packet({ uptime: 1, secs: SECS, sequence: 1, sourceId: 0 }, [v9Templates([{ id: 300, fields: V9_FIELDS }])]), 'sampler', 0);
  const data = v9Packet({ uptime: 1000, secs: SECS, sequence: 2, sourceId: 0 }, [set(300, v9Record('10.1.1.1', '198.51.100.1', 100, 2, 0, 0))]);
  assert.equal(d.decode(data, 'sampler', 0)[0]!.bytes, 10_000, 'no options data yet: configured');
  d.decode(v9Packet({ uptime: 1, secs: SECS, sequence: 3, sourceId: 0 }, [
    v9OptionsTemplate(400, [[1, 4]], [[34, 4]]), set(400, Buffer.concat([uint(0, 4), uint(5, 4)])),
  ]), 'sampler', 0);
  const data2 = v9Packet({ uptime: 1000, secs: SECS, sequence: 4, sourceId: 0 }, [set(300, v9Record('10.1.1.1', '198.51.100.1', 100, 2, 0, 0))]);
  assert.equal(d.decode(data2, 'sampler', 0)[0]!.bytes, 500, 'options data say 1 in 5: that wins');
});

test('records with absurd counts are dropped and counted', () => {
  const d = new FlowDecoder();
  const out = d.decode(v5Packet({ uptime: 10, secs: SECS, sequence: 0 }, [
    { src: '10.0.0.2', dst: '198.51.100.2', packets: 1, bytes: 4_000_000_000, first: 0, last: 0 },
    { src: '10.0.0.2', dst: '198.51.100.2', packets: 0, bytes: 10, first: 0, last: 0 },
    { src: '10.0.0.2', dst: '198.51.100.2', packets: 3, bytes: 180, first: 0, last: 0 },
  ]), 'a', 0);
  assert.equal(out.length, 1);
  assert.equal(d.counters().get('a')?.absurd, 2);
});

const codeOf = (d: FlowDecoder, exporter: string): Record<string, number> => d.counters().get(exporter)?.errors ?? {};

test('malformed packets are counted by error code, never thrown', () => {
  const d = new FlowDecoder();
  const v5 = v5Packet({ uptime: 10, secs: SECS, sequence: 0 }, [{ src: '10.0.0.2', dst: '198.51.100.2', packets: 1, bytes: 100, first: 0, last: 0 }]);
  const cases: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), ERROR_CODES.FLOW_TRUNCATED],
    ['v5 header cut', v5.subarray(0, 20), ERROR_CODES.FLOW_TRUNCATED],
    ['v5 record cut', v5.subarray(0, 60), ERROR_CODES.FLOW_TRUNCATED],
    ['v5 count above 30', v5Packet({ uptime: 1, secs: SECS, sequence: 0, count: 31 }, []), ERROR_CODES.FLOW_LENGTH],
    ['version 7', Buffer.from([0, 7, 0, 0]), ERROR_CODES.FLOW_VERSION],
    ['IPFIX length beyond the datagram', Buffer.concat([uint(10, 2), uint(400, 2), Buffer.alloc(12)]), ERROR_CODES.FLOW_LENGTH],
    ['v9 set longer than the packet', v9Packet({ uptime: 1, secs: SECS, sequence: 0, sourceId: 0 }, [Buffer.from([1, 0, 0, 200, 0, 0, 0, 0])]), ERROR_CODES.FLOW_LENGTH],
    ['v9 set length below 4', v9Packet({ uptime: 1, secs: SECS, sequence: 0, sourceId: 0 }, [Buffer.from([1, 0, 0, 2])]), ERROR_CODES.FLOW_LENGTH],
    ['template ID below 256', v9Packet({ uptime: 1, secs: SECS, sequence: 0, sourceId: 0 }, [v9Templates([{ id: 255, fields: V9_FIELDS }])]), ERROR_CODES.FLOW_TEMPLATE],
    ['zero-length field', v9Packet({ uptime: 1, secs: SECS, sequence: 0, sourceId: 0 }, [v9Templates([{ id: 300, fields: [[8, 4], [1, 0]] }])]), ERROR_CODES.FLOW_TEMPLATE],
    ['template without fields', v9Packet({ uptime: 1, secs: SECS, sequence: 0, sourceId: 0 }, [v9Templates([{ id: 300, fields: [] }])]), ERROR_CODES.FLOW_TEMPLATE],
    ['IPv4 address of 3 bytes', ipfixMessage({ exportTime: SECS, sequence: 0, domain: 0 }, [ipfixTemplates([{ id: 256, fields: [[8, 3]] }])]), ERROR_CODES.FLOW_TEMPLATE],
    ['template field count past the set', v9Packet({ uptime: 1, secs: SECS, sequence: 0, sourceId: 0 }, [set(0, Buffer.concat([uint(300, 2), uint(50, 2), uint(8, 2), uint(4, 2)]))]), ERROR_CODES.FLOW_TRUNCATED],
  ];
  for (const [name, bytes, code] of cases) {
    const before = codeOf(d, name)[code] ?? 0;
    assert.deepEqual(d.decode(bytes, name, 0), [], name);
    assert.equal(codeOf(d, name)[code], before + 1, `${name}: ${JSON.stringify(codeOf(d, name))}`);
  }
});

test('a variable-length field that runs past its set is FLOW_TRUNCATED, and the next set still decodes', () => {
  const d = new FlowDecoder();
  const tmpl = ipfixTemplates([{ id: 256, fields: [[8, 4], [12, 4], [1, 4], [2, 4], [82, 65535]] }]);
  const good = set(256, Buffer.concat([addr('10.0.0.3'), addr('198.51.100.3'), uint(50, 4), uint(1, 4), uint(2, 1), Buffer.from('ab')]), false);
  const bad = set(256, Buffer.concat([addr('10.0.0.3'), addr('198.51.100.3'), uint(50, 4), uint(1, 4), uint(200, 1), Buffer.from('ab')]), false);
  const out = d.decode(ipfixMessage({ exportTime: SECS, sequence: 0, domain: 0 }, [tmpl, bad, good]), 'v', 0);
  assert.equal(out.length, 1);
  assert.equal(codeOf(d, 'v')[ERROR_CODES.FLOW_TRUNCATED], 1);
});

test('a flood from many exporters is bounded by maxExporters', () => {
  const d = new FlowDecoder({ maxExporters: 4 });
  for (let i = 0; i < 1000; i++) d.decode(Buffer.from([0, 7]), `10.9.${i >> 8}.${i & 255}`, 0);
  assert.equal(d.counters().size, 4);
  assert.equal(d.overflow, 996);
});
