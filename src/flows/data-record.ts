/**
 * Data records of NetFlow v9 and IPFIX, read through their template: fixed, reduced-size and
 * variable-length fields (RFC 7011 sections 6.2 and 7), timestamps from absolute elements (150-157)
 * or from uptime elements (21, 22) and a boot time, with the 32-bit uptime wrap.
 */
import type { FlowRecord } from './flow-record.js';
import { IE, VARIABLE_LENGTH } from './information-elements.js';
import type { Template } from './template.js';
import { need, readIPv4, readIPv6, readNtpMs, readUnsigned, uptimeDelta } from './wire.js';

/** What the message header says about time, for records that give uptimes. */
export interface RecordClock {
  /** Export time from the header, epoch ms. */
  exportMs: number;
  /** The exporter's uptime at export, ms (NetFlow v9 header); null for IPFIX. */
  uptimeMs: number | null;
  /** Exporter boot time, epoch ms (IE 160 from options data), when known. */
  bootMs: number | null;
}

/** Values of an options data record, by element ID (numeric elements only). */
export type OptionValues = Map<number, number>;

const UPTIME_SPAN = 0x1_0000_0000;

/**
 * Decode the records of one data set (`start`..`end`) with `template`: flow records are pushed to
 * `out`, options records handed to `onOptions`. Returns how many records the set held.
 * Throws FLOW_TRUNCATED when a variable-length field runs past the set.
 */
export function decodeDataSet(
  buf: Buffer, start: number, end: number, template: Template, clock: RecordClock,
  out: FlowRecord[], onOptions: (values: OptionValues) => void,
): number {
  let off = start;
  let count = 0;
  // Padding after the last record is shorter than the smallest record.
  while (end - off >= template.minLength) {
    if (template.options) off = readOptions(buf, off, end, template, onOptions);
    else off = readFlow(buf, off, end, template, clock, out);
    count++;
  }
  return count;
}

function fieldLength(buf: Buffer, off: number, end: number, length: number): [number, number] {
  if (length !== VARIABLE_LENGTH) return [off, length];
  need(end, off, 1, 'variable-length field');
  const short = buf[off]!;
  if (short < 255) return [off + 1, short];
  need(end, off + 1, 2, 'variable-length field');
  return [off + 3, buf.readUInt16BE(off + 1)];
}

function readOptions(buf: Buffer, start: number, end: number, template: Template, onOptions: (values: OptionValues) => void): number {
  let off = start;
  const values: OptionValues = new Map();
  for (const f of template.fields) {
    const [at, length] = fieldLength(buf, off, end, f.length);
    need(end, at, length, `options record of template ${template.id}`);
    if (f.enterprise === 0 && length >= 1 && length <= 8) values.set(f.id, readUnsigned(buf, at, length));
    off = at + length;
  }
  onOptions(values);
  return off;
}

function readFlow(buf: Buffer, start: number, end: number, template: Template, clock: RecordClock, out: FlowRecord[]): number {
  let off = start;
  let src = '', dst = '', srcPort = 0, dstPort = 0, protocol = 0;
  let bytes = -1, packets = -1, postBytes = -1, postPackets = -1, totalBytes = -1, totalPackets = -1;
  let absStart = -1, absEnd = -1, upStart = -1, upEnd = -1, boot = -1;
  for (const f of template.fields) {
    let at = off;
    let length = f.length;
    if (length === VARIABLE_LENGTH && template.variable) [at, length] = fieldLength(buf, off, end, length);
    need(end, at, length, `data record of template ${template.id}`);
    off = at + length;
    if (f.enterprise !== 0) continue;
    switch (f.id) {
      case IE.sourceIPv4Address: src = readIPv4(buf, at); break;
      case IE.destinationIPv4Address: dst = readIPv4(buf, at); break;
      case IE.sourceIPv6Address: src = readIPv6(buf, at); break;
      case IE.destinationIPv6Address: dst = readIPv6(buf, at); break;
      case IE.sourceTransportPort: srcPort = readUnsigned(buf, at, length); break;
      case IE.destinationTransportPort: dstPort = readUnsigned(buf, at, length); break;
      case IE.protocolIdentifier: protocol = readUnsigned(buf, at, length); break;
      case IE.octetDeltaCount: bytes = readUnsigned(buf, at, length); break;
      case IE.packetDeltaCount: packets = readUnsigned(buf, at, length); break;
      case IE.postOctetDeltaCount: postBytes = readUnsigned(buf, at, length); break;
      case IE.postPacketDeltaCount: postPackets = readUnsigned(buf, at, length); break;
      case IE.octetTotalCount: totalBytes = readUnsigned(buf, at, length); break;
      case IE.packetTotalCount: totalPackets = readUnsigned(buf, at, length); break;
      case IE.flowStartSysUpTime: upStart = readUnsigned(buf, at, length); break;
      case IE.flowEndSysUpTime: upEnd = readUnsigned(buf, at, length); break;
      case IE.flowStartSeconds: absStart = readUnsigned(buf, at, length) * 1000; break;
      case IE.flowEndSeconds: absEnd = readUnsigned(buf, at, length) * 1000; break;
      case IE.flowStartMilliseconds: absStart = readUnsigned(buf, at, length); break;
      case IE.flowEndMilliseconds: absEnd = readUnsigned(buf, at, length); break;
      case IE.flowStartMicroseconds: case IE.flowStartNanoseconds: absStart = readNtpMs(buf, at); break;
      case IE.flowEndMicroseconds: case IE.flowEndNanoseconds: absEnd = readNtpMs(buf, at); break;
      case IE.systemInitTimeMilliseconds: boot = readUnsigned(buf, at, length); break;
      default: break;
    }
  }
  // A record without addresses says nothing about whose bandwidth it was.
  if (src === '' || dst === '') return off;
  if (bytes < 0) bytes = postBytes >= 0 ? postBytes : totalBytes;
  if (packets < 0) packets = postPackets >= 0 ? postPackets : totalPackets;
  let flowEnd = clock.exportMs;
  let flowStart = -1;
  if (absEnd >= 0 || absStart >= 0) {
    flowEnd = absEnd >= 0 ? absEnd : absStart;
    flowStart = absStart >= 0 ? absStart : flowEnd;
  } else if (upEnd >= 0 || upStart >= 0) {
    const bootMs = boot >= 0 ? boot : clock.bootMs;
    // The exporter's uptime at export: from the header, or from the boot time (mod 2^32, like the field).
    const nowUp = clock.uptimeMs ?? (bootMs === null ? null : (clock.exportMs - bootMs) % UPTIME_SPAN);
    if (nowUp !== null) {
      const last = upEnd >= 0 ? upEnd : upStart;
      const first = upStart >= 0 ? upStart : last;
      flowEnd = clock.exportMs - uptimeDelta(nowUp, last);
      flowStart = flowEnd - uptimeDelta(last, first);
    }
  }
  out.push({
    src, dst, srcPort, dstPort, protocol,
    bytes: Math.max(bytes, 0), packets: Math.max(packets, 0),
    start: flowStart >= 0 ? flowStart : flowEnd, end: flowEnd,
  });
  return off;
}
