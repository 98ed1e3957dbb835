/**
 * What the answer index costs the query handler, in one process and one sitting: cache hits through
 * the real QueryHandler fast path (policy, cache, render) from 1,000 clients, without an answer
 * sink, and with the sink `rambu serve` uses on its main thread (one AnswerFeed append per answer,
 * and the same thread reading each 2,000 answers into the index, as with dns.workers 1, the
 * heaviest case). The two alternate five times; the medians and their ratio are printed. Part of
 * `npm run bench:answers`.
 */
import { pino } from 'pino';
import { AnswerFeed, AnswerIndex, type AnswerVisitor } from '../src/answers/index.js';
import type { DnsSettings } from '../src/config/index.js';
import { AnswerCache } from '../src/dns/answer-cache.js';
import { ClientFilter } from '../src/dns/client-filter.js';
import { createDnsStats } from '../src/dns/dns-stats.js';
import type { Forwarder } from '../src/dns/forwarder.js';
import { decodeMessage, encodeMessage, FLAG, RR_CLASS, RR_TYPE, type Question, type ResourceRecord } from '../src/dns/index.js';
import { QueryHandler, type AnswerSink } from '../src/dns/query-handler.js';
import { RateLimiter } from '../src/dns/rate-limiter.js';
import type { Decision, Policy } from '../src/policy/index.js';

const T0 = Date.parse('2026-12-02T09:00:00+07:00');
const NAMES = 4096;
const CLIENTS = 1000;

const settings: DnsSettings = {
  listen: [{ host: '127.0.0.1', port: 0 }], upstreams: [], blockResponse: { kind: 'nxdomain' }, blockTtl: 7, timeoutMs: 1000,
  cache: { size: 100_000, minTtl: 0, maxTtl: 86400, negativeMaxTtl: 3600, serveStale: 0 }, allowFrom: ['10.0.0.0/8'],
  rateLimit: { qps: 0, burst: 3, action: 'refused' }, workers: 1, udpBatch: true,
};

function answerFor(q: Question, i: number): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  let owner = q.name;
  if (i % 4 === 0) { owner = `edge-${i}.cdn.example`; out.push({ name: q.name, type: RR_TYPE.CNAME, class: RR_CLASS.IN, ttl: 3600, data: owner }); }
  for (let k = 0; k < 1 + (i % 3); k++) out.push({ name: owner, type: RR_TYPE.A, class: RR_CLASS.IN, ttl: 3600, data: `198.${(i >> 8) & 255}.${i & 255}.${k + 1}` });
  return out;
}

// Decides like a compiled policy for a name on a service list: no `generation`, so every hit asks.
const policy = {
  decide(_client: string, name: string): Decision {
    return { action: 'allow', service: name.charCodeAt(1) % 3 === 0 ? 'video' : null, rule: null, exemption: null, until: null };
  },
} as unknown as Policy;

function handler(onAnswer: AnswerSink | undefined): QueryHandler {
  const names = new Map<string, number>();
  const forwarder = {
    async resolve(q: Question) {
      const i = names.get(q.name.toLowerCase()) ?? 0;
      return { response: decodeMessage(encodeMessage({ id: 0, flags: FLAG.QR | FLAG.RA | FLAG.RD, questions: [q], answers: answerFor(q, i), authorities: [], additionals: [] })), upstream: 'fake' };
    },
  } as unknown as Forwarder;
  for (let i = 0; i < NAMES; i++) names.set(`host${i}.example.org`, i);
  return new QueryHandler({
    settings, getPolicy: () => policy, now: () => T0, onQuery: undefined, logger: pino({ level: 'silent' }), stats: createDnsStats(), forwarder,
    cache: new AnswerCache(settings.cache.size, {}), clients: new ClientFilter(settings.allowFrom), rateLimiter: new RateLimiter({ qps: 0, burst: 1 }),
    maxUdpSize: 1232, fastPath: true, ...(onAnswer === undefined ? {} : { onAnswer }),
  });
}

const packets = Array.from({ length: NAMES }, (_, i) => encodeMessage({
  id: i, flags: FLAG.RD, questions: [{ name: `host${i}.example.org`, type: RR_TYPE.A, class: RR_CLASS.IN }], answers: [], authorities: [], additionals: [],
}));
const clients = Array.from({ length: CLIENTS }, (_, i) => `10.0.${i >> 8}.${i & 255}`);

async function warm(h: QueryHandler): Promise<void> {
  for (const p of packets) await h.handle(p, clients[0]!, 'udp');
}

/** Which name query `n` asks: `spread` names per client (each client its own slice of the list). */
function nameOf(n: number, spread: number): number {
  const client = n % CLIENTS;
  return (client * 37 + Math.floor(n / CLIENTS) % spread) % NAMES;
}

function loop(h: QueryHandler, ms: number, spread: number, from: number): number {
  let n = from;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 2048; i++, n++) {
      const r = h.handle(packets[nameOf(n, spread)]!, clients[n % CLIENTS]!, 'udp');
      if (r instanceof Promise) throw new Error('cache miss');
    }
  }
  return ((n - from) / (performance.now() - start)) * 1000;
}

export async function measureDnsCost(seconds: number): Promise<void> {
  const plain = handler(undefined);
  const index = new AnswerIndex();
  const feed = new AnswerFeed();
  const changed: string[] = [];
  let drainMs = 0;
  const record: AnswerVisitor = (client, name, service, bytes, start, end, time) => {
    changed.length = 0;
    index.recordResponse(client, name, service, bytes, start, end, time, changed);
  };
  const drain = (): void => {
    const t = performance.now();
    feed.drain(record);
    drainMs += performance.now() - t;
  };
  const fed = handler((client, name, service, response, time) => {
    const kept = feed.push(client, name, service, response, time);
    if (feed.size >= 2000) drain();
    return kept;
  });
  await warm(plain);
  await warm(fed);
  drain();
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[2]!;
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(10);
  console.log('Query handler fast path, cache hits from 1,000 clients (medians of 5, alternating; the index fed');
  console.log('by an AnswerFeed append and read on the same thread every 2,000 answers in place, as with dns.workers 1):');
  // 64 names a client: the usual shape, most answers repeat one the client already has. 4,096: every
  // answer is new to its client, so the index is full and evicting throughout (the worst case).
  let from = 0;
  for (const spread of [64, NAMES]) {
    const off: number[] = [];
    const on: number[] = [];
    const ms = (seconds * 1000) / 20;
    let onMs = 0;
    let onN = 0;
    const drain0 = drainMs;
    for (let run = 0; run < 5; run++) {
      off.push(loop(plain, ms, spread, from));
      const before = from;
      const r = loop(fed, ms, spread, from);
      on.push(r);
      onMs += ms;
      onN += (r * ms) / 1000;
      from = before + 1_000_000;
    }

    console.log(`  ${String(spread).padStart(5)} names a client: without ${fmt(median(off))} q/s, with ${fmt(median(on))} q/s (${((median(on) / median(off) - 1) * 100).toFixed(1)} %; ${(1e9 / median(off)).toFixed(0)} ns a query without, recording ${(((drainMs - drain0) * 1e6) / onN).toFixed(0)} ns a query with; ${index.size.toLocaleString('en-US')} entries, ${index.stats().evicted.toLocaleString('en-US')} evicted)`);
  }
}
