/**
 * The benchmark's upstream: a UDP DNS server on loopback that answers from `answer()`. It does so
 * far faster than the warm-up pass needs; after warm-up the targets answer from their caches.
 *
 * Usage: node dist/bench/dns/fake-upstream.js --port 5300 [--host 127.0.0.1] [--workers 1]
 */
import cluster from 'node:cluster';
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';
import { answer } from './upstream-answer.js';

function serve(host: string, port: number): void {
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: true });
  socket.on('message', (msg, rinfo) => {
    const response = answer(msg);
    if (response !== null) socket.send(response, rinfo.port, rinfo.address);
  });
  socket.on('error', (err) => {
    process.stderr.write(`fake-upstream: ${err.message}\n`);
    process.exit(2);
  });
  socket.bind(port, host, () => {
    socket.setRecvBufferSize(8 * 1024 * 1024);
    socket.setSendBufferSize(8 * 1024 * 1024);
  });
}

function main(): void {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '5300' },
      workers: { type: 'string', default: '1' },
    },
  });
  const port = Number(values.port);
  const workers = Math.max(1, Number(values.workers));
  if (workers > 1 && cluster.isPrimary) {
    for (let i = 0; i < workers; i++) cluster.fork();
    cluster.on('exit', () => process.exit(2));
    return;
  }
  serve(values.host, port);
}

main();
