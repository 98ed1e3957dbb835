/**
 * A fake upstream resolver on loopback UDP: answers every A question with 192.0.2.1 (TEST-NET-1) and
 * every other type with an empty NOERROR, so tests see exactly what rambu forwarded.
 */
import { createSocket, type Socket } from 'node:dgram';

export const UPSTREAM_ANSWER = '192.0.2.1';

export interface FakeUpstream {
  port: number;
  /** Names asked so far, lower-case, in order. */
  asked: string[];
  close(): Promise<void>;
}

/** End of the question name starting at `offset` (after its zero label), or -1 if malformed. */
function skipName(msg: Buffer, offset: number): number {
  let i = offset;
  while (i < msg.length) {
    const len = msg[i] ?? 0;
    if (len === 0) return i + 1;
    if ((len & 0xc0) !== 0) return -1;
    i += len + 1;
  }
  return -1;
}

function readName(msg: Buffer, offset: number, end: number): string {
  const labels: string[] = [];
  let i = offset;
  while (i < end - 1) {
    const len = msg[i] ?? 0;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('latin1'));
    i += len + 1;
  }
  return labels.join('.').toLowerCase();
}

export function answer(query: Buffer): Buffer | null {
  if (query.length < 17) return null;
  const qEnd = skipName(query, 12);
  if (qEnd < 0 || qEnd + 4 > query.length) return null;
  const qtype = query.readUInt16BE(qEnd);
  const question = query.subarray(12, qEnd + 4);
  const isA = qtype === 1;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8180 | (query.readUInt16BE(2) & 0x0100), 2); // QR, RD copied, RA, NOERROR
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(isA ? 1 : 0, 6);
  if (!isA) return Buffer.concat([header, question]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question
  rr.writeUInt16BE(1, 2); // A
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(300, 6);
  rr.writeUInt16BE(4, 10);
  UPSTREAM_ANSWER.split('.').forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
  return Buffer.concat([header, question, rr]);
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const socket: Socket = createSocket('udp4');
  const asked: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const qEnd = skipName(msg, 12);
    if (qEnd > 0) asked.push(readName(msg, 12, qEnd));
    const reply = answer(msg);
    if (reply !== null) socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  return {
    port: socket.address().port,
    asked,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
