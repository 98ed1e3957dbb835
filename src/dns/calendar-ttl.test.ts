import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { DnsSettings } from '../config/index.js';
import { parseConfigText } from '../config/index.js';
import { AnswerCache } from './answer-cache.js';
import { ClientFilter } from './client-filter.js';
import { createDnsStats } from './dns-stats.js';
import type { Forwarder } from './forwarder.js';
import { decodeMessage, encodeMessage, type Question } from './message-codec.js';
import { QueryHandler } from './query-handler.js';
import type { QueryLogEntry } from './query-log-entry.js';
import { RateLimiter } from './rate-limiter.js';
import { FLAG } from './rcodes.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

// Ramadan 1447 H starts on Thursday 19 February 2026: work hours 08:00-15:00 instead of 07:00-16:00.
const POLICY = parseConfigText(`
holidays: [indonesia]
schedules:
  jam-kerja:
    weekly: [{ days: [mon, tue, wed, thu, fri], from: "07:00", to: "16:00" }]
    periods:
      - span: ramadan
        ranges: [{ days: [mon, tue, wed, thu], from: "08:00", to: "15:00" }, { days: [fri], from: "08:00", to: "15:30" }]
rules:
  - name: blokir-streaming
    block: [youtube]
    during: jam-kerja
  - name: uji-tiktok
    block: [tiktok]
    mode: monitor
`, 'ramadan.yaml', { baseDir: '/tmp', now: Date.parse('2026-01-01T00:00:00Z') }).policy;

const forwarder = {
  async resolve(q: Question) {
    const answer = { name: q.name, type: RR_TYPE.A, class: RR_CLASS.IN, ttl: 3600, data: '192.0.2.1' };
    return { response: decodeMessage(encodeMessage({ id: 0, flags: FLAG.QR | FLAG.RA | FLAG.RD, questions: [q], answers: [answer], authorities: [], additionals: [] })), upstream: 'fake' };
  },
} as unknown as Forwarder;

const SETTINGS = {
  listen: [], upstreams: [], blockResponse: { kind: 'nxdomain' }, blockTtl: 7, timeoutMs: 1000,
  cache: { size: 1000, minTtl: 0, maxTtl: 86400, negativeMaxTtl: 3600, serveStale: 0 },
  allowFrom: ['127.0.0.0/8'], rateLimit: { qps: 0, burst: 3, action: 'refused' }, workers: 1, udpBatch: true,
} as unknown as DnsSettings;

function handler(clock: { now: number }, fastPath: boolean, log: QueryLogEntry[]): QueryHandler {
  return new QueryHandler({
    settings: SETTINGS, getPolicy: () => POLICY, now: () => clock.now, onQuery: (e) => log.push(e), logger: pino({ level: 'silent' }),
    stats: createDnsStats(), forwarder, cache: new AnswerCache(1000, { serveStale: 0 }), clients: new ClientFilter(['127.0.0.0/8']),
    rateLimiter: new RateLimiter({ qps: 0, burst: 3 }), maxUdpSize: 1232, fastPath,
  });
}

async function ask(h: QueryHandler, name: string): Promise<{ rcode: number; ttl: number | null }> {
  const q = encodeMessage({ id: 7, flags: FLAG.RD, questions: [{ name, type: RR_TYPE.A, class: RR_CLASS.IN }], answers: [], authorities: [], additionals: [] });
  const wire = await h.handle(q, '127.0.0.1', 'udp');
  assert.ok(wire !== null);
  const m = decodeMessage(wire);
  return { rcode: m.flags & 0xf, ttl: m.answers[0]?.ttl ?? null };
}

const TTL_TABLE: [what: string, instant: string, ttl: number | null][] = [
  ['a normal day at 06:58 lives until 07:00', '2026-02-18T06:58:00+07:00', 120],
  ['the first day of Ramadan at 06:58 is not cut at 07:00', '2026-02-19T06:58:00+07:00', 3600],
  ['the first day of Ramadan at 07:58 lives until 08:00', '2026-02-19T07:58:00+07:00', 120],
  ['the first day of Ramadan at 08:00 is blocked', '2026-02-19T08:00:00+07:00', null],
  ['the first day of Ramadan at 14:58 is still blocked', '2026-02-19T14:58:00+07:00', null],
  ['a Ramadan Friday at 15:29 is still blocked', '2026-02-20T15:29:00+07:00', null],
];

test('the DNS TTL clamp follows the Ramadan hours, on the fast and the full path, cached or not', async () => {
  for (const fastPath of [true, false]) {
    const clock = { now: 0 };
    const h = handler(clock, fastPath, []);
    for (const [what, instant, ttl] of TTL_TABLE) {
      clock.now = Date.parse(instant);
      for (const round of ['miss', 'hit']) {
        const r = await ask(h, 'www.youtube.com');
        assert.equal(r.ttl, ttl, `${what} (${round}, fast path ${fastPath})`);
        assert.equal(r.rcode, ttl === null ? 3 : 0, `${what}: rcode`);
      }
    }
  }
});

test('a name a rule on trial would block is answered and logged as monitor', async () => {
  for (const fastPath of [true, false]) {
    const log: QueryLogEntry[] = [];
    const h = handler({ now: Date.parse('2026-02-19T10:00:00+07:00') }, fastPath, log);
    for (let i = 0; i < 2; i++) assert.deepEqual(await ask(h, 'www.tiktok.com'), { rcode: 0, ttl: 3600 });
    assert.deepEqual(log.map((e) => [e.action, e.rule, e.service, e.cached]), [['monitor', 'uji-tiktok', 'tiktok', false], ['monitor', 'uji-tiktok', 'tiktok', true]]);
  }
});
