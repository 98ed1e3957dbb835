/**
 * NetFlow v5 export packets (Cisco's published layout: a 24-byte header, then up to 30 records of 48
 * bytes). Pure: bytes in, header and records out, or a RambuError with a flow code.
 */
import { ERROR_CODES, RambuError } from '../errors.js';
import type { FlowRecord } from './flow-record.js';
import { need, readIPv4, uptimeDelta } from './wire.js';

export const V5_HEADER_LENGTH = 24;
export const V5_RECORD_LENGTH = 48;
/** Most records one v5 packet may carry. */
export const V5_MAX_RECORDS = 30;

export interface V5Header {
  count: number;
  uptimeMs: number;
  /** Export time, epoch ms (unix_secs and unix_nsecs). */
  exportMs: number;
  /** Total flows the exporter sent before this packet. */
  sequence: number;
  engineType: number;
  engineId: number;
  /** One packet in `samplingInterval` was sampled; 1 when not sampling. */
  samplingInterval: number;
}

export interface V5Packet {
  header: V5Header;
  /** Counts are as exported: the caller applies the sampling interval. */
  records: FlowRecord[];
}

/** Decode one NetFlow v5 packet. Throws FLOW_VERSION, FLOW_TRUNCATED or FLOW_LENGTH. */
export function decodeV5(buf: Buffer): V5Packet {
  need(buf.length, 0, V5_HEADER_LENGTH, 'NetFlow v5 header');
  const version = buf.readUInt16BE(0);
  if (version !== 5) throw new RambuError(ERROR_CODES.FLOW_VERSION, `not a NetFlow v5 packet: version ${version}`);
  const count = buf.readUInt16BE(2);
  if (count > V5_MAX_RECORDS) throw new RambuError(ERROR_CODES.FLOW_LENGTH, `NetFlow v5 count ${count} is above ${V5_MAX_RECORDS}`);
  need(buf.length, V5_HEADER_LENGTH, count * V5_RECORD_LENGTH, `NetFlow v5 packet of ${count} records`);
  const uptimeMs = buf.readUInt32BE(4);
  const exportMs = buf.readUInt32BE(8) * 1000 + Math.floor(buf.readUInt32BE(12) / 1e6);
  const sampling = buf.readUInt16BE(22) & 0x3fff;
  const header: V5Header = {
    count, uptimeMs, exportMs, sequence: buf.readUInt32BE(16), engineType: buf[20]!, engineId: buf[21]!,
    samplingInterval: sampling === 0 ? 1 : sampling,
  };
  const records: FlowRecord[] = [];
  for (let i = 0, off = V5_HEADER_LENGTH; i < count; i++, off += V5_RECORD_LENGTH) {
    const first = buf.readUInt32BE(off + 24);
    const last = buf.readUInt32BE(off + 28);
    const end = exportMs - uptimeDelta(uptimeMs, last);
    records.push({
      src: readIPv4(buf, off), dst: readIPv4(buf, off + 4),
      packets: buf.readUInt32BE(off + 16), bytes: buf.readUInt32BE(off + 20),
      start: end - uptimeDelta(last, first), end,
      srcPort: buf.readUInt16BE(off + 32), dstPort: buf.readUInt16BE(off + 34), protocol: buf[off + 38]!,
    });
  }
  return { header, records };
}
