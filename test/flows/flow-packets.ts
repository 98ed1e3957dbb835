/**
 * Builders of NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export packets, written from
 * the layouts in those documents, for tests and the benchmark. Independent of src/flows: a decoder
 * bug cannot hide behind the same bug in an encoder.
 */
import { isIPv4 } from 'node:net';

/** Big-endian unsigned integer of `length` bytes. */
export function uint(value: number | bigint, length: number): Buffer {
  const b = Buffer.alloc(length);
  let v = BigInt(value);
  for (let i = length - 1; i >= 0; i--) { b[i] = Number(v & 0xffn); v >>= 8n; }
  return b;
}

/** The 4 or 16 bytes of an address. */
export function addr(text: string): Buffer {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  const [l = '', r = ''] = text.split('::');
  const left = l === '' ? [] : l.split(':');
  const right = r === '' ? [] : r.split(':');
  const groups = text.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return Buffer.concat(groups.map((g) => uint(parseInt(g, 16), 2)));
}

export interface V5RecordSpec {
  src: string; dst: string; packets: number; bytes: number; first: number; last: number;
  srcPort?: number; dstPort?: number; protocol?: number;
}

/** A NetFlow v5 packet: 24-byte header, 48-byte records. */
export function v5Packet(h: { uptime: number; secs: number; nsecs?: number; sequence: number; engineType?: number; engineId?: number; sampling?: number; count?: number }, records: V5RecordSpec[]): Buffer {
  const header = Buffer.concat([
    uint(5, 2), uint(h.count ?? records.length, 2), uint(h.uptime, 4), uint(h.secs, 4), uint(h.nsecs ?? 0, 4), uint(h.sequence, 4),
    uint(h.engineType ?? 0, 1), uint(h.engineId ?? 0, 1), uint(h.sampling ?? 0, 2),
  ]);
  return Buffer.concat([header, ...records.map((r) => Buffer.concat([
    addr(r.src), addr(r.dst), uint(0, 4), uint(1, 2), uint(2, 2), uint(r.packets, 4), uint(r.bytes, 4), uint(r.first, 4), uint(r.last, 4),
    uint(r.srcPort ?? 40000, 2), uint(r.dstPort ?? 443, 2), uint(0, 1), uint(0x18, 1), uint(r.protocol ?? 6, 1), uint(0, 1),
    uint(0, 2), uint(0, 2), uint(24, 1), uint(24, 1), uint(0, 2),
  ]))]);
}

/** A set (flowset) with its 4-byte header, padded to a multiple of 4 when `pad`. */
export function set(id: number, body: Buffer, pad = true): Buffer {
  const padding = pad ? (4 - ((body.length + 4) % 4)) % 4 : 0;
  return Buffer.concat([uint(id, 2), uint(body.length + 4 + padding, 2), body, Buffer.alloc(padding)]);
}

/** Field specifiers as [element ID, length] or [element ID, length, enterprise number]. */
export type FieldSpec = [number, number] | [number, number, number];

function specifiers(fields: FieldSpec[]): Buffer {
  return Buffer.concat(fields.map(([id, len, pen]) => (pen === undefined
    ? Buffer.concat([uint(id, 2), uint(len, 2)])
    : Buffer.concat([uint(id | 0x8000, 2), uint(len, 2), uint(pen, 4)]))));
}

/** NetFlow v9 template flowset (ID 0). */
export function v9Templates(templates: { id: number; fields: FieldSpec[] }[]): Buffer {
  return set(0, Buffer.concat(templates.map((t) => Buffer.concat([uint(t.id, 2), uint(t.fields.length, 2), specifiers(t.fields)]))));
}

/** NetFlow v9 options template flowset (ID 1). */
export function v9OptionsTemplate(id: number, scope: FieldSpec[], options: FieldSpec[]): Buffer {
  return set(1, Buffer.concat([uint(id, 2), uint(scope.length * 4, 2), uint(options.length * 4, 2), specifiers(scope), specifiers(options)]));
}

/** A NetFlow v9 export packet: 20-byte header and flowsets. */
export function v9Packet(h: { uptime: number; secs: number; sequence: number; sourceId: number; count?: number }, sets: Buffer[]): Buffer {
  return Buffer.concat([uint(9, 2), uint(h.count ?? sets.length, 2), uint(h.uptime, 4), uint(h.secs, 4), uint(h.sequence, 4), uint(h.sourceId, 4), ...sets]);
}

/** IPFIX template set (ID 2). */
export function ipfixTemplates(templates: { id: number; fields: FieldSpec[] }[]): Buffer {
  return set(2, Buffer.concat(templates.map((t) => Buffer.concat([uint(t.id, 2), uint(t.fields.length, 2), specifiers(t.fields)]))), false);
}

/** IPFIX options template set (ID 3). */
export function ipfixOptionsTemplate(id: number, scope: FieldSpec[], options: FieldSpec[]): Buffer {
  return set(3, Buffer.concat([uint(id, 2), uint(scope.length + options.length, 2), uint(scope.length, 2), specifiers(scope), specifiers(options)]), false);
}

/** An IPFIX message: 16-byte header (length filled in) and sets. */
export function ipfixMessage(h: { exportTime: number; sequence: number; domain: number }, sets: Buffer[]): Buffer {
  const body = Buffer.concat(sets);
  return Buffer.concat([uint(10, 2), uint(16 + body.length, 2), uint(h.exportTime, 4), uint(h.sequence, 4), uint(h.domain, 4), body]);
}

/** A variable-length IPFIX field value: one length byte, or 255 and two length bytes (RFC 7011 7). */
export function varField(value: Buffer, long = false): Buffer {
  return long || value.length >= 255 ? Buffer.concat([uint(255, 1), uint(value.length, 2), value]) : Buffer.concat([uint(value.length, 1), value]);
}

/** Hex with spaces, comments and line breaks allowed, to bytes. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
}
