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

/** Ports this process has handed out: the kernel may give a closed port 0 binding the same number
 *  again at once, and a test that asks for a DNS port and then a console port must get two. */
const given = new Set<number>();

/** A port free for TCP only (the web console), never one handed out before in this process. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freeTcpPort();
    if (!given.has(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error('no new loopback TCP port after 20 tries');
}

/** A port free for both TCP and UDP (a DNS listener answers on both). */
export async function freeDnsPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freeTcpPort();
    if (!given.has(port) && await udpFree(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error('no loopback port free for both TCP and UDP after 20 tries');
}
