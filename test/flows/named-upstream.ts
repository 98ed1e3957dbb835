/**
 * A fake upstream resolver on loopback UDP that answers A questions from a table of name -> address
 * (NXDOMAIN for names not in it), so that each name the test resolves gets an address of its own.
 */
import { createSocket } from 'node:dgram';

export interface NamedUpstream {
  port: number;
  close(): Promise<void>;
}

function answer(query: Buffer, table: ReadonlyMap<string, string>): Buffer | null {
  let i = 12;
  const labels: string[] = [];
  while (i < query.length && query[i] !== 0) {
    const len = query[i]!;
    if ((len & 0xc0) !== 0) return null;
    labels.push(query.subarray(i + 1, i + 1 + len).toString('latin1').toLowerCase());
    i += len + 1;
  }
  const qEnd = i + 1;
  if (qEnd + 4 > query.length) return null;
  const qtype = query.readUInt16BE(qEnd);
  const address = table.get(labels.join('.'));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8180 | (query.readUInt16BE(2) & 0x0100) | (address === undefined ? 3 : 0), 2);
  header.writeUInt16BE(1, 4);
  const question = query.subarray(12, qEnd + 4);
  if (address === undefined || qtype !== 1) return Buffer.concat([header, question]);
  header.writeUInt16BE(1, 6);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(1, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(300, 6);
  rr.writeUInt16BE(4, 10);
  address.split('.').forEach((octet, k) => rr.writeUInt8(Number(octet), 12 + k));
  return Buffer.concat([header, question, rr]);
}

export async function startNamedUpstream(table: ReadonlyMap<string, string>): Promise<NamedUpstream> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const reply = answer(msg, table);
    if (reply !== null) socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(0, '127.0.0.1', () => resolve()); });
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
