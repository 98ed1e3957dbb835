/** One decoded flow: what every format is turned into before attribution. */
export interface FlowRecord {
  /** Source and destination address, canonical text (dotted quad; RFC 5952 IPv6). */
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** IP protocol number (6 TCP, 17 UDP). */
  protocol: number;
  /** Bytes and packets, already multiplied by the exporter's sampling rate. */
  bytes: number;
  packets: number;
  /** Epoch ms of the first and the last packet. */
  start: number;
  end: number;
}

/**
 * Largest believable average packet, bytes: an IPv4 packet is at most 65,535 bytes, and jumbograms
 * (RFC 2675) do not cross an office router. A record claiming more per packet is lying.
 */
export const MAX_BYTES_PER_PACKET = 65_535;
/** Largest believable count in one record (about 10 Gbit/s for a day, sampled 1:1000 at most). */
export const MAX_RECORD_BYTES = 2 ** 50;

/** Whether a record's counts cannot be true (dropped and counted instead of skewing a report). */
export function absurdCounts(bytes: number, packets: number): boolean {
  if (!Number.isSafeInteger(bytes) || !Number.isSafeInteger(packets)) return true;
  if (bytes > MAX_RECORD_BYTES) return true;
  // No packets but bytes, or more bytes per packet than an IP packet holds.
  if (packets === 0) return bytes !== 0;
  return bytes > packets * MAX_BYTES_PER_PACKET;
}
