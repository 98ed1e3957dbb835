/**
 * Shared helpers for the DNS integration tests: a gateway on 127.0.0.1 port 0 with a fake clock
 * and a recorded query log, raw UDP/TCP clients, and `dig` as a real client.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { release } from 'node:os';
import { pino } from 'pino';
import type { DnsSettings, UpstreamSpec } from '../../src/config/index.js';
import {
  createDnsServer, decodeMessage, encodeMessage, FLAG, makeOpt, RR_CLASS,
  type DecodedMessage, type DnsServer, type DnsServerOptions, type QueryLogEntry,
} from '../../src/dns/index.js';
import type { Policy } from '../../src/policy/index.js';

export const silentLogger = pino({ level: 'silent' });

/** Monday 1 June 2026, 06:58:00 in Jakarta (UTC+7). */
export const MON_0658 = Date.parse('2026-06-01T06:58:00+07:00');
export const MON_0700 = Date.parse('2026-06-01T07:00:00+07:00');
export const MON_1600 = Date.parse('2026-06-01T16:00:00+07:00');

export function testSettings(upstreams: UpstreamSpec[], over: Partial<DnsSettings> = {}): DnsSettings {
  return {
    listen: [{ host: '127.0.0.1', port: 0 }],
    upstreams,
    blockResponse: { kind: 'nxdomain' },
    blockTtl: 10,
    timeoutMs: 1000,
    cache: { size: 1000, minTtl: 0, maxTtl: 86400, negativeMaxTtl: 3600, serveStale: 86400 },
    allowFrom: ['127.0.0.0/8', '::1/128'],
    rateLimit: { qps: 0, burst: 100, action: 'refused' },
    workers: 1,
    udpBatch: true,
    ...over,
  };
}

export interface Gateway {
  server: DnsServer;
  port: number;
  log: QueryLogEntry[];
  /** The injected clock; tests move `clock.now`. */
  clock: { now: number };
  policy: { current: Policy };
  stop(): Promise<void>;
}

export async function startGateway(settings: DnsSettings, policy: Policy | { asPolicy(): Policy }, extra: Partial<DnsServerOptions> = {}): Promise<Gateway> {
  const clock = { now: MON_0658 };
  const log: QueryLogEntry[] = [];
  const holder = { current: "asPolicy" in policy ? policy.asPolicy() : policy };
  const server = createDnsServer({
    settings,
    getPolicy: () => holder.current,
    now: () => clock.now,
    onQuery: (e) => log.push(e),
    logger: silentLogger,
    ...extra,
  });
  const bound = await server.start();
  return { server, port: bound.udp[0]!.port, log, clock, policy: holder, stop: () => server.stop() };
}

export interface QueryOptions {
  id?: number;
  /** EDNS UDP size; absent: no OPT record. */
  edns?: number;
  dnssecOk?: boolean;
  flags?: number;
  class?: number;
}

export function buildQuery(name: string, type: number, o: QueryOptions = {}): Buffer {
  return encodeMessage({
    id: o.id ?? Math.floor(Math.random() * 65536),
    flags: o.flags ?? FLAG.RD,
    questions: [{ name, type, class: o.class ?? RR_CLASS.IN }],
    answers: [],
    authorities: [],
    additionals: o.edns === undefined && o.dnssecOk !== true ? [] : [makeOpt(o.edns ?? 1232, o.dnssecOk === true)],
  });
}

/** Send one packet over UDP; the reply, or null after `timeoutMs`. */
export function udpExchange(port: number, packet: Buffer, timeoutMs = 2000, host = '127.0.0.1'): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => { sock.close(); resolve(null); }, timeoutMs);
    sock.on('message', (msg) => { clearTimeout(timer); sock.close(); resolve(msg); });
    sock.send(packet, port, host);
  });
}

export async function udpQuery(port: number, name: string, type: number, o: QueryOptions = {}): Promise<DecodedMessage> {
  const reply = await udpExchange(port, buildQuery(name, type, o));
  if (reply === null) throw new Error(`no UDP reply for ${name}`);
  return decodeMessage(reply);
}

/** Send several messages on one TCP connection; resolves with the replies in arrival order. */
export function tcpExchange(port: number, packets: Buffer[], expect = packets.length, timeoutMs = 3000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const replies: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); resolve(replies); }, timeoutMs);
    sock.on('error', reject);
    sock.on('connect', () => {
      sock.write(Buffer.concat(packets.map((p) => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(p.length);
        return Buffer.concat([len, p]);
      })));
    });
    sock.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= pending.readUInt16BE(0) + 2) {
        replies.push(pending.subarray(2, pending.readUInt16BE(0) + 2));
        pending = pending.subarray(replies[replies.length - 1]!.length + 2);
      }
      if (replies.length >= expect) {
        clearTimeout(timer);
        sock.destroy();
        resolve(replies);
      }
    });
  });
}

export interface DigResult {
  status: string;
  flags: string[];
  answer: { name: string; ttl: number; type: string; data: string }[];
  authority: { name: string; ttl: number; type: string; data: string }[];
  raw: string;
}

function section(text: string, title: string): DigResult['answer'] {
  const m = new RegExp(`;; ${title} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(text);
  if (m === null) return [];
  return m[1]!.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [name = '', ttl = '0', , type = '', ...data] = line.split(/\s+/);
    return { name, ttl: Number(ttl), type, data: data.join(' ') };
  });
}

/** Run `dig` against the gateway; `args` are the name, type and any +options. */
export function dig(port: number, args: string[]): Promise<DigResult> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/dig', ['+tries=1', '+time=2', '-p', String(port), '@127.0.0.1', ...args], { timeout: 10_000 }, (err, stdout) => {
      if (err !== null && stdout === '') { reject(err); return; }
      const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'NONE';
      const flags = (/;; flags: ([a-z ]*);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
      resolve({ status, flags, answer: section(stdout, 'ANSWER'), authority: section(stdout, 'AUTHORITY'), raw: stdout });
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Linux from 6.12 on gives each thread its own scheduler slice (sched_setattr's sched_runtime). */
export function kernelHasSlices(): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release());
  return m !== null && (Number(m[1]) > 6 || (Number(m[1]) === 6 && Number(m[2]) >= 12));
}

/** A thread's scheduler slice in ns, from its /proc `sched` file (such as /proc/thread-self/sched). */
export function sliceIn(schedFile: string): number {
  const m = /^se\.slice\s*:\s*(\d+)/m.exec(readFileSync(schedFile, 'utf8'));
  if (m === null) throw new Error(`${schedFile} has no se.slice`);
  return Number(m[1]);
}
