/** Loopback ports that are free right now, found by binding port 0. */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => resolve(false));
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

/** A port free for TCP only (the web console). */
export function freePort(): Promise<number> {
  return freeTcpPort();
}

/** A port free for both TCP and UDP (a DNS listener answers on both). */
export async function freeDnsPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freeTcpPort();
    if (await udpFree(port)) return port;
  }
  throw new Error('no loopback port free for both TCP and UDP after 20 tries');
}
