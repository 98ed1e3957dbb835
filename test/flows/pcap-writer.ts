/**
 * A classic pcap file (link type Ethernet) of IPv4 TCP packets, written from the formats' published
 * layouts, for a flow exporter (softflowd -r) to read. Every packet's IP total length is what flow
 * records count as bytes.
 */
import { writeFileSync } from 'node:fs';

export interface TcpPacket {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** TCP payload bytes; the IP packet is 40 bytes longer. */
  payload: number;
  /** Epoch ms. */
  time: number;
  /** TCP flags. @default 0x18 (PSH, ACK) */
  flags?: number;
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function frame(p: TcpPacket): Buffer {
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(40 + p.payload, 2);
  ip.writeUInt16BE(1, 4);
  ip[8] = 64;
  ip[9] = 6;
  p.src.split('.').forEach((o, i) => { ip[12 + i] = Number(o); });
  p.dst.split('.').forEach((o, i) => { ip[16 + i] = Number(o); });
  ip.writeUInt16BE(checksum(ip), 10);
  const tcp = Buffer.alloc(20 + p.payload);
  tcp.writeUInt16BE(p.srcPort, 0);
  tcp.writeUInt16BE(p.dstPort, 2);
  tcp.writeUInt32BE(1, 4);
  tcp[12] = 5 << 4;
  tcp[13] = p.flags ?? 0x18;
  tcp.writeUInt16BE(65535, 14);
  const ethernet = Buffer.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  return Buffer.concat([ethernet, ip, tcp]);
}

/** Write `packets` to `path` as a pcap file. */
export function writePcap(path: string, packets: readonly TcpPacket[]): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const records = packets.map((p) => {
    const data = frame(p);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(p.time / 1000), 0);
    rec.writeUInt32LE((p.time % 1000) * 1000, 4);
    rec.writeUInt32LE(data.length, 8);
    rec.writeUInt32LE(data.length, 12);
    return Buffer.concat([rec, data]);
  });
  writeFileSync(path, Buffer.concat([header, ...records]));
}
