/**
 * The many-clients load shape: queries from many loopback source addresses (127.1.x.y; all of
 * 127.0.0.0/8 is loopback on Linux, so binding needs no setup), a few queries each, so that a
 * resolver's per-client state (rambu's answer index, rate limiter and query log) grows with the
 * clients. dnsperf sends from one address (`-a`) per process, so this is a small generator of its
 * own: one UDP socket per client, closed-loop with a fixed number of queries in flight, clients
 * taken in turn, the query file's lines in order. Its result has dnsperf's shape plus percentiles.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { encodeQuery, QTYPE, type QTypeName } from './dns-wire.js';
import type { DnsperfResult } from './dnsperf.js';
import type { Endpoint } from './probe.js';

export interface ManyClientsLoad {
  /** Source addresses, one socket each (at most 65,000). */
  clients: number;
  /** Queries each client sends. */
  queriesPerClient: number;
  /** Queries in flight at once, over all clients. */
  outstanding: number;
  /** Seconds before an unanswered query counts as lost. */
  timeout: number;
}

export interface ManyClientsResult extends DnsperfResult {
  p50LatencyMs: number;
  p99LatencyMs: number;
  clients: number;
  /** Socket errors while sending (the queries count as lost after the timeout). */
  sendErrors: number;
}

/** Ids a client cycles through; more than it ever has in flight within the timeout. */
const ID_RING = 1024;

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** The source address of client `i`: 127.1.0.1 onwards, skipping .0 and .255. */
export function clientAddress(i: number): string {
  return `127.1.${Math.floor(i / 254)}.${(i % 254) + 1}`;
}

/** Reads dnsperf's `name TYPE` lines as ready-made queries (id patched per send). */
function readQueries(queryFile: string): Buffer[] {
  const out: Buffer[] = [];
  for (const line of readFileSync(queryFile, 'utf8').split('\n')) {
    const [name, type] = line.trim().split(/\s+/);
    if (!name || !type || !(type in QTYPE)) continue;
    out.push(encodeQuery(0, name, QTYPE[type as QTypeName]));
  }
  if (out.length === 0) throw new Error(`${queryFile} holds no queries`);
  return out;
}

function bindSocket(address: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Runs the shape once against `endpoint`. */
export async function runManyClients(endpoint: Endpoint, queryFile: string, load: ManyClientsLoad): Promise<ManyClientsResult> {
  if (load.clients < 1 || load.clients > 65_000) throw new RangeError(`clients must be within 1..65000, got ${load.clients}`);
  const queries = readQueries(queryFile);
  const sockets: dgram.Socket[] = [];
  try {
    for (let i = 0; i < load.clients; i++) sockets.push(await bindSocket(clientAddress(i)));
    const total = load.clients * load.queriesPerClient;
    // Per client, a ring of ids; the send time of each id in flight (NaN: none).
    const sentAt = new Float64Array(load.clients * ID_RING).fill(Number.NaN);
    const nextId = new Uint16Array(load.clients);
    const latencies = new Float64Array(total);
    const rcodes: Record<string, number> = {};
    let sent = 0;
    let completed = 0;
    let lost = 0;
    let inFlight = 0;
    let nextLine = 0;
    let sendErrors = 0;
    const timeoutMs = load.timeout * 1000;
    const started = performance.now();

    return await new Promise<ManyClientsResult>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearInterval(sweeper);
        const runSeconds = (performance.now() - started) / 1000;
        const got = latencies.subarray(0, completed).sort();
        let sum = 0;
        let sumSquares = 0;
        for (const v of got) {
          sum += v;
          sumSquares += v * v;
        }
        const avg = completed > 0 ? sum / completed : 0;
        resolve({
          sent, completed, lost, qps: completed / runSeconds, runSeconds, rcodes,
          avgLatencyMs: avg,
          minLatencyMs: got[0] ?? 0,
          maxLatencyMs: got[got.length - 1] ?? 0,
          stddevLatencyMs: completed > 1 ? Math.sqrt(Math.max(0, sumSquares / completed - avg * avg)) : 0,
          p50LatencyMs: percentile(got, 0.5),
          p99LatencyMs: percentile(got, 0.99),
          clients: load.clients,
          sendErrors,
          args: [`${load.clients} clients from ${clientAddress(0)}`, `${load.queriesPerClient} queries each`, `${load.outstanding} in flight`, `timeout ${load.timeout} s`],
        });
      };
      const settle = (): void => {
        inFlight--;
        if (sent < total) send();
        else if (inFlight === 0) finish();
      };
      const send = (): void => {
        const client = sent % load.clients;
        const id = nextId[client]!;
        nextId[client] = (id + 1) % ID_RING;
        const msg = queries[nextLine]!;
        nextLine = (nextLine + 1) % queries.length;
        const packet = Buffer.from(msg);
        packet.writeUInt16BE(id, 0);
        sentAt[client * ID_RING + id] = performance.now();
        sent++;
        inFlight++;
        sockets[client]!.send(packet, endpoint.port, endpoint.host);
      };
      sockets.forEach((socket, client) => {
        socket.on('error', () => { sendErrors++; });
        socket.on('message', (msg) => {
          const id = msg.length < 12 ? ID_RING : msg.readUInt16BE(0);
          if (id >= ID_RING) return;
          const slot = client * ID_RING + id;
          const at = sentAt[slot]!;
          if (Number.isNaN(at)) return; // late (already counted lost) or not ours
          sentAt[slot] = Number.NaN;
          latencies[completed++] = performance.now() - at;
          const rcode = RCODE_NAMES[msg[3]! & 0x0f] ?? `RCODE${msg[3]! & 0x0f}`;
          rcodes[rcode] = (rcodes[rcode] ?? 0) + 1;
          settle();
        });
      });
      // Unanswered queries past the timeout count as lost and free their slot.
      const sweeper = setInterval(() => {
        if (inFlight === 0) return;
        const now = performance.now();
        for (let i = 0; i < sentAt.length; i++) {
          const at = sentAt[i]!;
          if (!Number.isNaN(at) && now - at > timeoutMs) {
            sentAt[i] = Number.NaN;
            lost++;
            settle();
          }
        }
      }, 250);
      for (let i = 0; i < Math.min(load.outstanding, total); i++) send();
    });
  } finally {
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
