import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { DnsSettings } from '../config/index.js';
import type { Decision, Policy } from '../policy/index.js';
import { AnswerCache } from './answer-cache.js';
import { ClientFilter } from './client-filter.js';
import { createDnsStats } from './dns-stats.js';
import type { Forwarder } from './forwarder.js';
import { decodeMessage, encodeMessage, type DnsMessage, type Question, type ResourceRecord } from './message-codec.js';
import { QueryHandler } from './query-handler.js';
import { RateLimiter } from './rate-limiter.js';
import { FLAG } from './rcodes.js';
import { RR_CLASS, RR_TYPE } from './rr-types.js';

const T0 = Date.parse('2026-06-01T06:58:00+07:00');

function rr(name: string, type: number, data: ResourceRecord['data']): ResourceRecord {
  return { name, type, class: RR_CLASS.IN, ttl: 300, data };
}

function upstreamAnswer(q: Question): DnsMessage {
  const base = { id: 0, flags: FLAG.QR | FLAG.RA | FLAG.RD, questions: [q], answers: [] as ResourceRecord[], authorities: [], additionals: [] };
  if (q.name === 'video.example.org') return { ...base, answers: [rr(q.name, RR_TYPE.CNAME, 'edge.videocdn.example'), rr('edge.videocdn.example', RR_TYPE.A, '192.0.2.80')] };
  if (q.type === RR_TYPE.A) return { ...base, answers: [rr(q.name, RR_TYPE.A, '192.0.2.1')] };
  if (q.type === RR_TYPE.MX) return { ...base, answers: [rr(q.name, RR_TYPE.MX, { preference: 10, exchange: 'mx.example' })] };
  return base;
}

const forwarder = {
  async resolve(q: Question) {
    return { response: decodeMessage(encodeMessage(upstreamAnswer(q))), upstream: 'fake' };
  },
} as unknown as Forwarder;

const policy = {
  generation: 1,
  decide(_client: string, name: string): Decision {
    if (name.endsWith('videocdn.example')) return { action: 'allow', service: 'video', rule: null, exemption: null, until: null };
    if (name.startsWith('ads.')) return { action: 'block', service: 'ads', rule: 'no-ads', exemption: null, until: null };
    if (name === 'work.example') return { action: 'allow', service: 'work', rule: null, exemption: null, until: null };
    return { action: 'allow', service: null, rule: null, exemption: null, until: null };
  },
} as unknown as Policy;

const settings: DnsSettings = {
  listen: [{ host: '127.0.0.1', port: 0 }], upstreams: [], blockResponse: { kind: 'nxdomain' }, blockTtl: 7, timeoutMs: 1000,
  cache: { size: 100, minTtl: 0, maxTtl: 86400, negativeMaxTtl: 3600, serveStale: 0 }, allowFrom: ['127.0.0.0/8'],
  rateLimit: { qps: 0, burst: 3, action: 'refused' }, workers: 1, udpBatch: true,
};

for (const fastPath of [true, false]) {
  test(`each A answer goes to the answer sink once, with the service of the name or its chain (fast path ${fastPath ? 'on' : 'off'})`, async () => {
    const seen: string[] = [];
    const handler = new QueryHandler({
      settings, getPolicy: () => policy, now: () => T0, onQuery: undefined, logger: pino({ level: 'silent' }), stats: createDnsStats(), forwarder,
      cache: new AnswerCache(100, {}), clients: new ClientFilter(settings.allowFrom), rateLimiter: new RateLimiter({ qps: 0, burst: 1 }), maxUdpSize: 1232, fastPath,
      onAnswer: (client, name, service, response, time) => {
        const msg = decodeMessage(Buffer.from(response));
        seen.push(`${client} ${name} ${service} ${msg.answers.map((a) => a.data).join(',')} ${time - T0}`);
      },
    });
    const ask = async (name: string, type: number, client = '127.0.0.9'): Promise<void> => {
      const q = encodeMessage({ id: 1, flags: FLAG.RD, questions: [{ name, type, class: RR_CLASS.IN }], answers: [], authorities: [], additionals: [] });
      await handler.handle(q, client, 'udp');
    };
    await ask('video.example.org', RR_TYPE.A);
    await ask('video.example.org', RR_TYPE.A, '127.0.0.10'); // a cache hit
    await ask('work.example', RR_TYPE.A);
    await ask('ads.example', RR_TYPE.A);
    await ask('work.example', RR_TYPE.MX);
    await ask('plain.example', RR_TYPE.AAAA); // NODATA: still sent; the feed skips it
    assert.deepEqual(seen, [
      '127.0.0.9 video.example.org video edge.videocdn.example,192.0.2.80 0',
      '127.0.0.10 video.example.org video edge.videocdn.example,192.0.2.80 0',
      '127.0.0.9 work.example work 192.0.2.1 0',
      '127.0.0.9 plain.example null  0',
    ]);
  });
}

test('a cache hit that repeats an answer the sink kept for the same client skips the sink, within the window', async () => {
  let now = T0;
  let keep = true;
  const seen: string[] = [];
  let service: string | null = null;
  const changing = {
    generation: undefined,
    decide: (): Decision => ({ action: 'allow', service, rule: null, exemption: null, until: null }),
  } as unknown as Policy;
  const cache = new AnswerCache(100, {});
  const handler = new QueryHandler({
    settings, getPolicy: () => changing, now: () => now, onQuery: undefined, logger: pino({ level: 'silent' }), stats: createDnsStats(), forwarder,
    cache, clients: new ClientFilter(settings.allowFrom), rateLimiter: new RateLimiter({ qps: 0, burst: 1 }), maxUdpSize: 1232,
    onAnswer: (client, name, s, _response, time) => {
      seen.push(`${client} ${name} ${s} ${(time - T0) / 1000}`);
      return keep;
    },
  });
  const ask = async (name: string, client = '127.0.0.9'): Promise<void> => {
    const q = encodeMessage({ id: 1, flags: FLAG.RD, questions: [{ name, type: RR_TYPE.A, class: RR_CLASS.IN }], answers: [], authorities: [], additionals: [] });
    await handler.handle(q, client, 'udp');
  };
  const expect = async (name: string, client: string, sent: boolean, why: string): Promise<void> => {
    const before = seen.length;
    await ask(name, client);
    assert.equal(seen.length - before, sent ? 1 : 0, `${why}: ${seen.join(' | ')}`);
  };
  await expect('www.example', '127.0.0.9', true, 'from the upstream');
  await expect('www.example', '127.0.0.9', true, 'the first cache hit: no mark yet');
  now += 1_000;
  await expect('www.example', '127.0.0.9', false, 'a repeat to the same client');
  await expect('www.example', '127.0.0.10', true, 'another client');
  await expect('www.example', '127.0.0.10', false, 'its repeat');
  await expect('www.example', '127.0.0.9', true, 'the mark moved to the other client');
  service = 'work';
  await expect('www.example', '127.0.0.9', true, 'another service');
  service = null;
  await expect('www.example', '127.0.0.9', true, 'the service back');
  now += 5_000;
  await expect('www.example', '127.0.0.9', true, 'the window has passed');
  await expect('www.example', '127.0.0.9', false, 'marked again');
  keep = false;
  now += 5_000;
  await expect('www.example', '127.0.0.9', true, 'not kept by the sink');
  await expect('www.example', '127.0.0.9', true, 'so not marked');
  keep = true;
  // An answer that expires later (the entry stored again from the upstream) goes to the sink.
  await expect('www.example', '127.0.0.9', true, 'kept');
  await expect('www.example', '127.0.0.9', false, 'and marked');
  now += 301_000;
  await expect('www.example', '127.0.0.9', true, 'expired: a new answer from the upstream');
  await expect('www.example', '127.0.0.9', true, 'its first cache hit');
  await expect('www.example', '127.0.0.9', false, 'then a repeat');
  assert.ok(seen.every((line) => line.includes(' www.example ')));
});

test('a sink that returns nothing gets every answer, repeats included', async () => {
  const seen: string[] = [];
  const handler = new QueryHandler({
    settings, getPolicy: () => policy, now: () => T0, onQuery: undefined, logger: pino({ level: 'silent' }), stats: createDnsStats(), forwarder,
    cache: new AnswerCache(100, {}), clients: new ClientFilter(settings.allowFrom), rateLimiter: new RateLimiter({ qps: 0, burst: 1 }), maxUdpSize: 1232,
    onAnswer: (client) => { seen.push(client); },
  });
  const q = encodeMessage({ id: 1, flags: FLAG.RD, questions: [{ name: 'work.example', type: RR_TYPE.A, class: RR_CLASS.IN }], answers: [], authorities: [], additionals: [] });
  for (let i = 0; i < 4; i++) await handler.handle(q, '127.0.0.9', 'udp');
  assert.equal(seen.length, 4);
});
