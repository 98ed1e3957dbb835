import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { BlockResponse, DnsSettings } from '../config/index.js';
import type { Decision, Policy } from '../policy/index.js';
import { AnswerCache } from './answer-cache.js';
import { ClientFilter } from './client-filter.js';
import { createDnsStats, type DnsStats } from './dns-stats.js';
import { makeOpt } from './edns.js';
import type { Forwarder } from './forwarder.js';
import { decodeMessage, encodeMessage, type DnsMessage, type Question, type ResourceRecord } from './message-codec.js';
import { QueryHandler, type Transport } from './query-handler.js';
import type { QueryLogEntry } from './query-log-entry.js';
import { RateLimiter } from './rate-limiter.js';
import { FLAG, RCODE } from './rcodes.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

const T0 = Date.parse('2026-06-01T06:58:00+07:00');
const LATER_UNTIL = T0 + 90_000;

function rr(name: string, type: number, ttl: number, data: ResourceRecord['data']): ResourceRecord {
  return { name, type, class: RR_CLASS.IN, ttl, data };
}

/** Canned upstream answers by lowercase name and type. */
function upstreamAnswer(q: Question): DnsMessage {
  const base = { id: 0, flags: FLAG.QR | FLAG.RA | FLAG.RD, questions: [q], answers: [] as ResourceRecord[], authorities: [] as ResourceRecord[], additionals: [] as ResourceRecord[] };
  const soa = rr('example', RR_TYPE.SOA, 300, { mname: 'ns.example', rname: 'admin.example', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 });
  switch (q.name) {
    case 'chain.example':
      return { ...base, answers: [rr(q.name, RR_TYPE.CNAME, 300, 'cdn.blocked.example'), rr('cdn.blocked.example', RR_TYPE.A, 300, '192.0.2.66')] };
    case 'via-later.example':
      return { ...base, answers: [rr(q.name, RR_TYPE.CNAME, 300, 'www.later.example'), rr('www.later.example', RR_TYPE.A, 300, '192.0.2.67')] };
    case 'big.example':
      return { ...base, answers: Array.from({ length: 40 }, (_, i) => rr(q.name, RR_TYPE.AAAA, 300, `2001:db8::${i + 1}`)) };
    case 'signed.example':
      return { ...base, flags: base.flags | FLAG.AD, answers: [rr(q.name, RR_TYPE.A, 300, '192.0.2.5'), rr(q.name, RR_TYPE.RRSIG, 300, Buffer.from('0001080200000e10', 'hex'))] };
    case 'gone.example':
      return { ...base, flags: base.flags | RCODE.NXDOMAIN, authorities: [soa] };
    default:
      if (q.type === RR_TYPE.A) return { ...base, answers: [rr(q.name, RR_TYPE.A, 300, '192.0.2.1')] };
      if (q.type === RR_TYPE.AAAA) return { ...base, answers: [rr(q.name, RR_TYPE.AAAA, 300, '2001:db8::1')] };
      return { ...base, authorities: [soa] };
  }
}

const fakeForwarder = {
  async resolve(q: Question) {
    return { response: decodeMessage(encodeMessage(upstreamAnswer(q))), upstream: 'fake' };
  },
} as unknown as Forwarder;

function matches(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

// With a generation, as a compiled policy has: the fast path may skip decide() for cached answers on
// no list, and must still answer as the full path does.
const policy = {
  generation: 1,
  decide(_client: string, name: string, at: number): Decision {
    if (matches(name, 'blocked.example')) return { action: 'block', service: 'ads', rule: 'block-ads', exemption: null, until: null };
    if (matches(name, 'later.example')) {
      return at < LATER_UNTIL
        ? { action: 'allow', service: 'video', rule: null, exemption: null, until: LATER_UNTIL }
        : { action: 'block', service: 'video', rule: 'block-video', exemption: null, until: null };
    }
    return { action: 'allow', service: null, rule: null, exemption: null, until: null };
  },
} as unknown as Policy;

function settings(blockResponse: BlockResponse, qps = 0, action: 'refused' | 'drop' = 'refused'): DnsSettings {
  return {
    listen: [{ host: '127.0.0.1', port: 0 }],
    upstreams: [],
    blockResponse,
    blockTtl: 7,
    timeoutMs: 1000,
    cache: { size: 1000, minTtl: 0, maxTtl: 86400, negativeMaxTtl: 3600, serveStale: 86400 },
    allowFrom: ['127.0.0.0/8', '::1/128'],
    rateLimit: { qps, burst: 3, action },
    workers: 1,
    udpBatch: true,
  };
}

interface Side { handler: QueryHandler; log: QueryLogEntry[]; stats: DnsStats }

function side(s: DnsSettings, clock: { now: number }, fastPath: boolean, getPolicy: () => Policy = () => policy): Side {
  const log: QueryLogEntry[] = [];
  const stats = createDnsStats();
  const handler = new QueryHandler({
    settings: s, getPolicy, now: () => clock.now, onQuery: (e) => log.push(e), logger: pino({ level: 'silent' }),
    stats, forwarder: fakeForwarder, cache: new AnswerCache(s.cache.size, { serveStale: s.cache.serveStale }), clients: new ClientFilter(s.allowFrom),
    rateLimiter: new RateLimiter({ qps: s.rateLimit.qps, burst: s.rateLimit.burst }), maxUdpSize: 1232, fastPath,
  });
  return { handler, log, stats };
}

interface Q { name: string; type: number; edns?: number; dnssecOk?: boolean; flags?: number; raw?: Buffer }

function packet(q: Q, id: number): Buffer {
  if (q.raw !== undefined) return q.raw;
  return encodeMessage({
    id, flags: q.flags ?? FLAG.RD, questions: [{ name: q.name, type: q.type, class: RR_CLASS.IN }], answers: [], authorities: [],
    additionals: q.edns === undefined ? [] : [makeOpt(q.edns, q.dnssecOk === true)],
  });
}

function withoutLatency(entries: QueryLogEntry[]): Omit<QueryLogEntry, 'latencyMs'>[] {
  return entries.map(({ latencyMs: _, ...rest }) => rest);
}

const VARIANTS: Omit<Q, 'name' | 'type'>[] = [
  {}, { edns: 1232 }, { edns: 4096, dnssecOk: true }, { edns: 512 }, { edns: 100 }, { edns: 1232, flags: FLAG.RD | FLAG.CD },
  { flags: FLAG.RD | FLAG.AD }, { flags: 0 }, { edns: 1232, dnssecOk: true, flags: FLAG.AD },
];

const NAMES: [string, number][] = [
  ['www.example', RR_TYPE.A], ['WwW.ExAmPlE', RR_TYPE.A], ['www.example', RR_TYPE.AAAA], ['www.example', RR_TYPE.MX],
  ['blocked.example', RR_TYPE.A], ['Sub.BLOCKED.example', RR_TYPE.AAAA], ['blocked.example', RR_TYPE.HTTPS], ['x.blocked.example', RR_TYPE.TXT],
  ['chain.example', RR_TYPE.A], ['via-later.example', RR_TYPE.A], ['www.Later.example', RR_TYPE.A], ['big.example', RR_TYPE.AAAA],
  ['signed.example', RR_TYPE.A], ['gone.example', RR_TYPE.A], ['', RR_TYPE.NS], ['www.example', RR_TYPE.ANY],
  ['use-application-dns.net', RR_TYPE.A], ['x.rambu.invalid', RR_TYPE.A], ['www.example', RR_TYPE.OPT], ['www.example', RR_TYPE.AXFR],
];

/** Run the same queries through a fast and a full handler at each clock offset; compare everything. */
async function compare(s: DnsSettings, queries: Q[], offsets: number[], transports: Transport[] = ['udp', 'tcp'], address = '127.0.0.1'): Promise<number> {
  const clock = { now: T0 };
  const fast = side(s, clock, true);
  const full = side(s, clock, false);
  let compared = 0;
  for (const offset of offsets) {
    clock.now = T0 + offset;
    for (const transport of transports) {
      for (const [i, q] of queries.entries()) {
        const p = packet(q, (i * 7919 + offset) & 0xffff);
        const a = await fast.handler.handle(Buffer.from(p), address, transport);
        const b = await full.handler.handle(Buffer.from(p), address, transport);
        const what = `${q.name || '.'}/${q.type} ${JSON.stringify(q)} at +${offset / 1000}s over ${transport}`;
        assert.deepEqual(a === null ? null : a.toString('hex'), b === null ? null : b.toString('hex'), what);
        compared++;
      }
    }
  }
  assert.deepEqual(withoutLatency(fast.log), withoutLatency(full.log));
  assert.deepEqual({ ...fast.stats, upstreamLatency: null }, { ...full.stats, upstreamLatency: null });
  return compared;
}

function table(): Q[] {
  const out: Q[] = [];
  for (const [name, type] of NAMES) for (const v of VARIANTS) out.push({ name, type, ...v });
  return out;
}

test('fast and full paths give the same bytes, log entries and counters: every block mode, cache ages, EDNS, DO, case', async () => {
  const modes: BlockResponse[] = [
    { kind: 'nxdomain' }, { kind: 'refused' }, { kind: 'nullip' },
    { kind: 'address', v4: '192.0.2.80', v6: '2001:db8::80' }, { kind: 'address', v4: '192.0.2.80', v6: null },
  ];
  for (const mode of modes) {
    // First pass fills the cache, later passes hit it as it ages; past 300 s it expires and refills.
    const n = await compare(settings(mode), table(), [0, 1_000, 30_500, 89_999, 95_000, 299_999, 300_000, 360_000]);
    assert.equal(n, NAMES.length * VARIANTS.length * 8 * 2);
  }
});

test('fast and full paths agree on rate limits (refused and drop) and on clients outside allowFrom', async () => {
  const queries: Q[] = [{ name: 'www.example', type: RR_TYPE.A }, { name: 'blocked.example', type: RR_TYPE.A, edns: 1232 }];
  const many = Array.from({ length: 5 }, () => queries).flat();
  await compare(settings({ kind: 'nxdomain' }, 1, 'refused'), many, [0, 500, 10_000], ['udp']);
  await compare(settings({ kind: 'nxdomain' }, 1, 'drop'), many, [0, 500, 10_000], ['udp']);
  await compare(settings({ kind: 'nxdomain' }), queries, [0, 1000], ['udp'], '10.9.9.9');
  await compare(settings({ kind: 'nxdomain' }), queries, [0, 1000], ['udp'], '::ffff:127.0.0.1');
});

test('fast and full paths agree on malformed and unusual packets', async () => {
  const plain = packet({ name: 'www.example', type: RR_TYPE.A }, 1);
  const withOpt = packet({ name: 'www.example', type: RR_TYPE.A, edns: 1232 }, 2);
  const badVersion = Buffer.from(withOpt);
  badVersion[badVersion.length - 5] = 1;
  const twoOpts = Buffer.concat([withOpt, withOpt.subarray(withOpt.length - 11)]);
  twoOpts.writeUInt16BE(2, 10);
  const escaped = Buffer.from(plain);
  escaped[13] = 0x2e;
  const raws = [
    badVersion, twoOpts, escaped, Buffer.concat([plain, Buffer.from([0])]), plain.subarray(0, 14), Buffer.from([1, 2, 3]),
    Buffer.from('abcd01000001000000000000c00c00010001', 'hex'), packet({ name: 'www.example', type: RR_TYPE.A, flags: FLAG.QR }, 3),
    packet({ name: 'www.example', type: RR_TYPE.A, flags: FLAG.RD | (2 << 11) }, 4),
  ];
  await compare(settings({ kind: 'nxdomain' }), raws.map((raw) => ({ name: 'raw', type: 0, raw })), [0]);
});

test('a cached answer whose names are on no list skips decide() while the policy stays; another policy asks again', async () => {
  const asked: string[] = [];
  const counting = (generation: number | undefined): Policy => ({
    generation,
    decide(client: string, name: string, at: number): Decision {
      asked.push(name);
      return policy.decide(client, name, at);
    },
  }) as unknown as Policy;
  let current = counting(7);
  const clock = { now: T0 + 10_000 };
  const { handler, log } = side(settings({ kind: 'nxdomain' }), clock, true, () => current);
  const ask = async (name: string): Promise<string[]> => {
    asked.length = 0;
    await handler.handle(packet({ name, type: RR_TYPE.A }, 1), '127.0.0.1', 'udp');
    return [...asked];
  };
  // Forwarded, then a cache hit that finds the name on no list, then hits that skip decide().
  assert.deepEqual(await ask('www.example'), ['www.example']);
  assert.deepEqual(await ask('www.example'), ['www.example']);
  assert.deepEqual(await ask('www.example'), []);
  assert.deepEqual(await ask('WWW.example'), []);
  assert.deepEqual(log.slice(-2).map((e) => [e.action, e.service, e.cached]), [['allow', null, true], ['allow', null, true]]);
  // A name on a list (allowed until LATER_UNTIL), or an answer naming one, is asked about every time.
  await ask('www.later.example');
  assert.deepEqual(await ask('www.later.example'), ['www.later.example']);
  assert.deepEqual(await ask('www.later.example'), ['www.later.example']);
  await ask('via-later.example');
  assert.deepEqual(await ask('via-later.example'), ['via-later.example', 'www.later.example']);
  assert.deepEqual(await ask('via-later.example'), ['via-later.example', 'www.later.example']);
  assert.deepEqual(await ask('blocked.example'), ['blocked.example']);
  assert.deepEqual(await ask('blocked.example'), ['blocked.example']);
  // Another policy is asked again, once; a policy without a generation every time.
  current = counting(8);
  assert.deepEqual(await ask('www.example'), ['www.example']);
  assert.deepEqual(await ask('www.example'), []);
  current = counting(undefined);
  assert.deepEqual(await ask('www.example'), ['www.example']);
  assert.deepEqual(await ask('www.example'), ['www.example']);
  // Back to the policy the entry was marked under: it still holds.
  current = counting(8);
  assert.deepEqual(await ask('www.example'), []);
});
