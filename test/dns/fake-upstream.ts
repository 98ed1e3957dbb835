/**
 * A scriptable upstream resolver for tests, on one port for UDP and TCP. Each question is answered
 * from `zone` (or the `respond` hook): records, an rcode, a delay, silence, truncation over UDP, or
 * a spoofed reply (wrong ID, or from another port) sent before the real one.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { UpstreamSpec } from '../../src/config/index.js';
import { FrameReader, frameMessage } from '../../src/dns/stream-frames.js';
import {
  decodeMessage, encodeMessage, FLAG, normalizeName, RCODE, readEdns, RR_CLASS, RR_TYPE,
  type DecodedMessage, type Question, type ResourceRecord,
} from '../../src/dns/index.js';

export interface FakeBehavior {
  answers?: ResourceRecord[];
  authorities?: ResourceRecord[];
  additionals?: ResourceRecord[];
  rcode?: number;
  /** Extra header flags, e.g. FLAG.AD. */
  flags?: number;
  delayMs?: number;
  /** Never answer. */
  silent?: boolean;
  /** Over UDP answer with TC set and no records; TCP gets the full answer. */
  truncateUdp?: boolean;
  /** First send a reply with a wrong ID carrying `spoofAddress`. */
  wrongIdFirst?: boolean;
  /** First send a reply with the right ID, from another port, carrying `spoofAddress`. */
  otherPortFirst?: boolean;
  /** First send a reply with the right ID but another question. */
  wrongQuestionFirst?: boolean;
}

export const SPOOF_ADDRESS = '6.6.6.6';

export interface SeenQuery {
  name: string;
  type: number;
  transport: 'udp' | 'tcp';
  id: number;
  port: number;
  dnssecOk: boolean;
  checkingDisabled: boolean;
}

/** An A/AAAA/CNAME/... record with class IN. */
export function rr(name: string, type: number, ttl: number, data: ResourceRecord['data']): ResourceRecord {
  return { name, type, class: RR_CLASS.IN, ttl, data };
}

export function soa(zone: string, ttl: number, minimum: number): ResourceRecord {
  return rr(zone, RR_TYPE.SOA, ttl, { mname: `ns.${zone}`, rname: `admin.${zone}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum });
}

export class FakeUpstream {
  readonly zone = new Map<string, FakeBehavior>();
  readonly seen: SeenQuery[] = [];
  /** Called when no zone entry matches; default: NXDOMAIN with an SOA. */
  respond: ((q: Question) => FakeBehavior) | null = null;
  port = 0;
  readonly #udp: UdpSocket;
  readonly #spoofer: UdpSocket;
  readonly #tcp: Server;
  readonly #conns = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor() {
    this.#udp = createSocket('udp4');
    this.#spoofer = createSocket('udp4');
    this.#tcp = createServer((sock) => this.#onTcp(sock));
  }

  /**
   * UDP and TCP on one port number. The UDP port is the kernel's choice; TCP may already hold that
   * number (an outgoing connection's local port, say), so a pair that cannot be had is given back
   * and another tried, rather than failing the test or leaving a socket that keeps it running.
   */
  static async start(): Promise<FakeUpstream> {
    for (let attempt = 1; ; attempt++) {
      const f = new FakeUpstream();
      try {
        await new Promise<void>((resolve) => f.#udp.bind(0, '127.0.0.1', resolve));
        await new Promise<void>((resolve) => f.#spoofer.bind(0, '127.0.0.1', resolve));
        f.port = f.#udp.address().port;
        await new Promise<void>((resolve, reject) => {
          f.#tcp.once('error', reject);
          f.#tcp.listen(f.port, '127.0.0.1', resolve);
        });
      } catch (err) {
        f.#udp.close();
        f.#spoofer.close();
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err;
        continue;
      }
      f.#udp.on('message', (msg, rinfo) => f.#onUdp(msg, rinfo));
      return f;
    }
  }

  spec(protocol: 'udp' | 'tcp' = 'udp'): UpstreamSpec {
    return { protocol, host: '127.0.0.1', port: this.port, serverName: null, label: `${protocol}://127.0.0.1:${this.port}` };
  }

  set(name: string, type: number, behavior: FakeBehavior): void {
    this.zone.set(`${normalizeName(name)}|${type}`, behavior);
  }

  /** Queries seen for `name` (normalized). */
  count(name: string, type?: number): number {
    return this.seen.filter((s) => s.name === name && (type === undefined || s.type === type)).length;
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    for (const c of this.#conns) c.destroy();
    await new Promise<void>((resolve) => this.#udp.close(() => resolve()));
    await new Promise<void>((resolve) => this.#spoofer.close(() => resolve()));
    await new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
  }

  #behavior(q: Question): FakeBehavior {
    const found = this.zone.get(`${normalizeName(q.name)}|${q.type}`);
    if (found !== undefined) return found;
    if (this.respond !== null) return this.respond(q);
    return { rcode: RCODE.NXDOMAIN, authorities: [soa('example', 3600, 300)] };
  }

  #reply(query: DecodedMessage, b: FakeBehavior, truncated: boolean, id = query.id, question?: Question): Buffer {
    const edns = readEdns(query);
    const q = question ?? query.questions[0]!;
    return encodeMessage({
      id,
      flags: FLAG.QR | FLAG.RA | (query.flags & FLAG.RD) | (b.flags ?? 0) | (truncated ? FLAG.TC : 0) | (b.rcode ?? RCODE.NOERROR),
      questions: [q],
      answers: truncated ? [] : b.answers ?? [],
      authorities: truncated ? [] : b.authorities ?? [],
      additionals: [...(truncated ? [] : b.additionals ?? []), ...(edns === null ? [] : [{ name: '', type: RR_TYPE.OPT, class: 1232, ttl: edns.dnssecOk ? 0x8000 : 0, data: Buffer.alloc(0) }])],
    });
  }

  #spoofs(query: DecodedMessage, b: FakeBehavior): Buffer[] {
    const q = query.questions[0]!;
    const bogus: FakeBehavior = { answers: [rr(q.name, RR_TYPE.A, 86400, SPOOF_ADDRESS)] };
    const out: Buffer[] = [];
    if (b.wrongIdFirst === true) out.push(this.#reply(query, bogus, false, (query.id + 1) & 0xffff));
    if (b.wrongQuestionFirst === true) out.push(this.#reply(query, bogus, false, query.id, { ...q, name: `evil.${q.name}` }));
    return out;
  }

  #record(query: DecodedMessage, transport: 'udp' | 'tcp', port: number): Question | null {
    const q = query.questions[0];
    if (q === undefined) return null;
    const edns = readEdns(query);
    this.seen.push({ name: normalizeName(q.name), type: q.type, transport, id: query.id, port, dnssecOk: edns?.dnssecOk ?? false, checkingDisabled: (query.flags & FLAG.CD) !== 0 });
    return q;
  }

  #later(ms: number, fn: () => void): void {
    if (ms <= 0) { fn(); return; }
    const t = setTimeout(() => { this.#timers.delete(t); fn(); }, ms);
    this.#timers.add(t);
  }

  #onUdp(packet: Buffer, rinfo: RemoteInfo): void {
    let query: DecodedMessage;
    try { query = decodeMessage(packet); } catch { return; }
    const q = this.#record(query, 'udp', rinfo.port);
    if (q === null) return;
    const b = this.#behavior(q);
    if (b.silent === true) return;
    const send = (buf: Buffer, sock = this.#udp): void => { try { sock.send(buf, rinfo.port, rinfo.address); } catch { /* closed */ } };
    for (const s of this.#spoofs(query, b)) send(s);
    if (b.otherPortFirst === true) send(this.#reply(query, { answers: [rr(q.name, RR_TYPE.A, 86400, SPOOF_ADDRESS)] }, false), this.#spoofer);
    const spoofed = b.wrongIdFirst === true || b.otherPortFirst === true || b.wrongQuestionFirst === true;
    this.#later((b.delayMs ?? 0) + (spoofed ? 30 : 0), () => send(this.#reply(query, b, b.truncateUdp === true)));
  }

  #onTcp(sock: Socket): void {
    this.#conns.add(sock);
    sock.on('close', () => this.#conns.delete(sock));
    sock.on('error', () => undefined);
    const frames = new FrameReader();
    sock.on('data', (chunk: Buffer) => {
      frames.push(chunk);
      for (let frame = frames.next(); frame !== null; frame = frames.next()) {
        let query: DecodedMessage;
        try { query = decodeMessage(frame); } catch { continue; }
        const q = this.#record(query, 'tcp', (sock.address() as AddressInfo).port);
        if (q === null) continue;
        const b = this.#behavior(q);
        if (b.silent === true) continue;
        const write = (buf: Buffer): void => {
          if (!sock.destroyed) sock.write(frameMessage(buf));
        };
        for (const s of this.#spoofs(query, b)) write(s);
        this.#later(b.delayMs ?? 0, () => write(this.#reply(query, b, false)));
      }
    });
  }
}
