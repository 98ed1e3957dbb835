/**
 * The other ends of the enforcement test, run inside its network namespaces with `ip netns exec`:
 *
 * - `server`: a fake upstream resolver (UDP 53 on the first address) that answers A queries from a
 *   table, a second "other" resolver on the second address that answers everything with
 *   203.0.113.66, a TCP server on port 8080 of every address that streams bytes to whoever
 *   connects, forever, and a UDP answerer on port 8443.
 * - `stream FROM TO`: connects from address FROM to TO:8080 and prints one JSON line when it starts,
 *   every 200 ms while bytes arrive ({bytes, last}), and when the stream ends ({end, last}).
 * - `udp FROM TO`: a datagram every 20 ms to TO:8443 (the server answers each with 1200 bytes, as
 *   a QUIC stream would flow); prints like `stream`.
 * - `connect FROM TO`: one new connection; prints {ok: true} once 64 KiB arrived, {ok: false, why}
 *   when refused, reset or silent for 3 s.
 * - `http METHOD URL [BODY] [COOKIE] [CSRF]`: one request to the console; prints status, cookie, body.
 */
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';

const [mode, ...args] = process.argv.slice(2);

function out(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A DNS answer to `query` with one A record per address (none: NXDOMAIN). */
function answer(query: Buffer, addresses: readonly string[]): Buffer {
  let i = 12;
  while (i < query.length && query[i] !== 0) i += query[i]! + 1;
  const question = query.subarray(12, i + 5);
  const head = Buffer.alloc(12);
  query.copy(head, 0, 0, 2);
  head.writeUInt16BE(addresses.length === 0 ? 0x8183 : 0x8180, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(addresses.length, 6);
  const records = addresses.map((a) => {
    const r = Buffer.alloc(16);
    r.writeUInt16BE(0xc00c, 0);
    r.writeUInt16BE(1, 2);
    r.writeUInt16BE(1, 4);
    r.writeUInt32BE(300, 6);
    r.writeUInt16BE(4, 10);
    a.split('.').forEach((b, k) => r.writeUInt8(Number(b), 12 + k));
    return r;
  });
  return Buffer.concat([head, question, ...records]);
}

function questionName(query: Buffer): string {
  const labels: string[] = [];
  for (let i = 12; i < query.length && query[i] !== 0; i += query[i]! + 1) labels.push(query.subarray(i + 1, i + 1 + query[i]!).toString('latin1'));
  return labels.join('.').toLowerCase();
}

function resolver(address: string, table: (name: string, type: number) => string[]): void {
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    if (msg.length < 17) return;
    const name = questionName(msg);
    let end = 12;
    while (end < msg.length && msg[end] !== 0) end += msg[end]! + 1;
    const type = msg.length >= end + 3 ? msg.readUInt16BE(end + 1) : 0;
    udp.send(answer(msg, table(name, type)), rinfo.port, rinfo.address);
  });
  udp.bind(53, address);
}

if (mode === 'server') {
  const [upstream, other, ...pairs] = args as [string, string, ...string[]];
  const names = new Map(pairs.map((p) => p.split('=') as [string, string]));
  resolver(upstream, (name, type) => (type === 1 && names.has(name) ? [names.get(name)!] : []));
  resolver(other, (_name, type) => (type === 1 ? ['203.0.113.66'] : []));
  const chunk = Buffer.alloc(16_384, 0x61);
  // UDP, as QUIC uses it: every datagram to port 8443 is answered with 1200 bytes.
  const quic = createSocket('udp4');
  quic.on('message', (_msg, rinfo) => quic.send(Buffer.alloc(1200, 0x62), rinfo.port, rinfo.address));
  quic.bind(8443, '0.0.0.0');
  createServer((socket) => {
    socket.on('error', () => socket.destroy());
    const timer = setInterval(() => { if (!socket.destroyed && socket.writableLength < 1_000_000) socket.write(chunk); }, 20);
    socket.once('close', () => clearInterval(timer));
  }).listen(8080, '0.0.0.0', () => out({ ready: true }));
} else if (mode === 'stream' || mode === 'connect') {
  const [from, to] = args as [string, string];
  const socket = connect({ host: to, port: 8080, localAddress: from });
  let bytes = 0;
  let last = 0;
  const finish = (value: Record<string, unknown>): void => {
    out({ ...value, bytes, last, at: Date.now() });
    socket.destroy();
    process.exit(0);
  };
  socket.on('data', (d: Buffer) => {
    bytes += d.length;
    last = Date.now();
    if (mode === 'connect' && bytes >= 65_536) finish({ ok: true });
  });
  socket.once('connect', () => { if (mode === 'stream') out({ started: true, at: Date.now() }); });
  socket.once('error', (err: NodeJS.ErrnoException) => finish(mode === 'stream' ? { end: err.code ?? err.message } : { ok: false, why: err.code ?? err.message }));
  socket.once('close', () => finish(mode === 'stream' ? { end: 'close' } : { ok: false, why: 'closed' }));
  if (mode === 'stream') setInterval(() => out({ bytes, last }), 200);
  else setTimeout(() => finish({ ok: false, why: 'silent' }), 3_000);
} else if (mode === 'udp') {
  // A datagram every 20 ms from FROM to TO:8443; prints the bytes answered, like `stream`.
  const [from, to] = args as [string, string];
  const udp = createSocket('udp4');
  let bytes = 0;
  let last = 0;
  udp.on('message', (d) => { bytes += d.length; last = Date.now(); });
  udp.bind(0, from, () => {
    out({ started: true, at: Date.now() });
    setInterval(() => udp.send(Buffer.from('ping'), 8443, to), 20);
    setInterval(() => out({ bytes, last }), 200);
  });
} else if (mode === 'http') {
  const [method, url, body, cookie, csrf] = args as [string, string, string?, string?, string?];
  const headers: Record<string, string> = {};
  if (body !== undefined && body !== '') headers['content-type'] = 'application/json';
  if (cookie !== undefined && cookie !== '') headers['cookie'] = cookie;
  if (csrf !== undefined && csrf !== '') headers['x-csrf-token'] = csrf;
  const res = await fetch(url, { method, headers, ...(body === undefined || body === '' ? {} : { body }) });
  out({ status: res.status, cookie: /rambu_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0] ?? null, body: await res.text() });
} else {
  process.stderr.write(`unknown mode ${String(mode)}\n`);
  process.exit(2);
}
