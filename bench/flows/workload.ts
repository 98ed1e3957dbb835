/**
 * The benchmark's export traffic: an office of `clients` addresses, each given `answersPerClient`
 * addresses by DNS; flows go 70% to an address the client itself was given, 10% to one another client
 * was given, 20% to addresses nobody resolved. Packets are built with the test builders
 * (test/flows/flow-packets.ts), 24 to 30 records each, as routers send them.
 */
import { AnswerIndex } from '../../src/answers/index.js';
import { addr, ipfixMessage, ipfixTemplates, set, uint, v5Packet, v9Packet, v9Templates, type FieldSpec } from '../../test/flows/flow-packets.js';

export const FORMATS = ['v5', 'v9', 'ipfix'] as const;
export type Format = (typeof FORMATS)[number];

/** A small deterministic generator, so runs compare. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 0x1_0000_0000; };
}

export interface Workload {
  clients: string[];
  /** remote addresses each client was given */
  given: string[][];
  answers: AnswerIndex;
  groups: { name: string; networks: string[] }[];
}

const SERVICES = ['youtube', 'vidio', 'vimeo', 'sijaja', null];

export function makeWorkload(clients = 500, answersPerClient = 40, now = Date.now()): Workload {
  const answers = new AnswerIndex();
  const list: string[] = [];
  const given: string[][] = [];
  for (let c = 0; c < clients; c++) {
    const client = `10.20.${c >> 8}.${c & 255}`;
    list.push(client);
    const mine: string[] = [];
    for (let a = 0; a < answersPerClient; a++) {
      const n = c * answersPerClient + a;
      const remote = `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}`;
      mine.push(remote);
      answers.add(client, remote, { name: `host${n}.example`, service: SERVICES[n % SERVICES.length] ?? null, expires: now + 3_600_000 }, now);
    }
    given.push(mine);
  }
  const groups = [{ name: 'semua', networks: ['10.0.0.0/8'] }, ...Array.from({ length: 20 }, (_, i) => ({ name: `opd${i}`, networks: [`10.20.${i >> 1}.${(i & 1) * 128}/25`] }))];
  return { clients: list, given, answers, groups };
}

interface Flow { src: string; dst: string; bytes: number; packets: number }

function flows(w: Workload, count: number, rand: () => number): Flow[] {
  const out: Flow[] = [];
  for (let i = 0; i < count; i++) {
    const c = Math.floor(rand() * w.clients.length);
    const r = rand();
    let remote: string;
    if (r < 0.7) remote = w.given[c]![Math.floor(rand() * w.given[c]!.length)]!;
    else if (r < 0.8) { const o = w.given[Math.floor(rand() * w.clients.length)]!; remote = o[Math.floor(rand() * o.length)]!; }
    else remote = `203.0.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;
    const packets = 1 + Math.floor(rand() * 500);
    const down = rand() < 0.5;
    out.push({ src: down ? remote : w.clients[c]!, dst: down ? w.clients[c]! : remote, packets, bytes: packets * (40 + Math.floor(rand() * 1400)) });
  }
  return out;
}

const V9_FIELDS: FieldSpec[] = [[8, 4], [12, 4], [1, 4], [2, 4], [22, 4], [21, 4], [7, 2], [11, 2], [4, 1], [6, 1]];
const IPFIX_FIELDS: FieldSpec[] = [[8, 4], [12, 4], [1, 8], [2, 8], [152, 8], [153, 8], [7, 2], [11, 2], [4, 1], [6, 1]];

/** The packet that carries the templates (v9, IPFIX), or null (v5). */
export function templatePacket(format: Format, secs: number, sequence: number): Buffer | null {
  if (format === 'v9') return v9Packet({ uptime: 3_600_000, secs, sequence, sourceId: 0 }, [v9Templates([{ id: 300, fields: V9_FIELDS }])]);
  if (format === 'ipfix') return ipfixMessage({ exportTime: secs, sequence, domain: 0 }, [ipfixTemplates([{ id: 300, fields: IPFIX_FIELDS }])]);
  return null;
}

/** `count` data packets of `perPacket` records (v5: at most 30). */
export function dataPackets(w: Workload, format: Format, count: number, perPacket: number, secs: number, seed = 1): Buffer[] {
  const rand = prng(seed);
  const out: Buffer[] = [];
  let sequence = 0;
  for (let p = 0; p < count; p++) {
    const fl = flows(w, perPacket, rand);
    if (format === 'v5') {
      out.push(v5Packet({ uptime: 3_600_000, secs, sequence }, fl.map((f) => ({ ...f, first: 3_500_000, last: 3_590_000 }))));
      sequence += fl.length;
    } else if (format === 'v9') {
      const body = Buffer.concat(fl.map((f) => Buffer.concat([addr(f.src), addr(f.dst), uint(f.bytes, 4), uint(f.packets, 4), uint(3_500_000, 4), uint(3_590_000, 4), uint(40000, 2), uint(443, 2), uint(6, 1), uint(0x18, 1)])));
      out.push(v9Packet({ uptime: 3_600_000, secs, sequence: ++sequence, sourceId: 0, count: fl.length }, [set(300, body)]));
    } else {
      const body = Buffer.concat(fl.map((f) => Buffer.concat([addr(f.src), addr(f.dst), uint(f.bytes, 8), uint(f.packets, 8), uint(secs * 1000 - 60_000, 8), uint(secs * 1000 - 1000, 8), uint(40000, 2), uint(443, 2), uint(6, 1), uint(0x18, 1)])));
      out.push(ipfixMessage({ exportTime: secs, sequence, domain: 0 }, [set(300, body, false)]));
      sequence += fl.length;
    }
  }
  return out;
}

/** Records per packet the way exporters fill a 1,500-byte datagram. */
export const PER_PACKET: Record<Format, number> = { v5: 30, v9: 40, ipfix: 28 };
