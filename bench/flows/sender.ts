/**
 * The benchmark's exporter, a process of its own: sends `seconds` of export packets to 127.0.0.1:PORT
 * at `rate` records a second (0: as fast as it can), templates first and again every second, then
 * prints how many records it sent as JSON (also when stopped early by SIGTERM).
 * Usage: node sender.js PORT FORMAT RATE SECONDS
 */
import { createSocket } from 'node:dgram';
import { dataPackets, type Format, makeWorkload, PER_PACKET, templatePacket } from './workload.js';

const [portText, format, rateText, secondsText] = process.argv.slice(2) as [string, Format, string, string];
const port = Number(portText);
const rate = Number(rateText);
const seconds = Number(secondsText);
const secs = Math.floor(Date.now() / 1000);
const w = makeWorkload();
const packets = dataPackets(w, format, 2000, PER_PACKET[format], secs);
const perPacket = PER_PACKET[format];
const socket = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
let sent = 0;
let started = process.hrtime.bigint();
// Stopped early (bench:dns runs it until its DNS load ends): say what it sent so far.
process.once('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ sent, seconds: Number(process.hrtime.bigint() - started) / 1e9 })}\n`);
  process.exit(0);
});
socket.connect(port, '127.0.0.1', () => {
  const start = process.hrtime.bigint();
  started = start;
  // bench:dns waits for this line before it starts its DNS load.
  process.stdout.write(`sending to 127.0.0.1:${port}\n`);
  let packet = 0;
  let nextTemplate = 0;
  const tick = (): void => {
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    if (elapsed >= seconds) {
      socket.close();
      process.stdout.write(`${JSON.stringify({ sent, seconds: elapsed })}\n`);
      return;
    }
    if (elapsed >= nextTemplate) {
      const t = templatePacket(format, secs, 0);
      if (t !== null) socket.send(t);
      nextTemplate += 1;
    }
    const due = rate === 0 ? sent + perPacket * 64 : Math.floor(rate * elapsed);
    for (let i = 0; sent < due && i < 256; i++) {
      socket.send(packets[packet++ % packets.length]!);
      sent += perPacket;
    }
    // At a fixed rate, sleep once caught up: a spinning sender would take a core from the collector
    // (and from DNS) on a small machine.
    if (rate !== 0 && sent >= due) setTimeout(tick, 1);
    else setImmediate(tick);
  };
  tick();
});
