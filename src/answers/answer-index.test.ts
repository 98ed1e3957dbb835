import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnswerIndex, type AnswerLookup } from './index.js';
import { ipv4Value } from './address-table.js';

const T0 = Date.UTC(2026, 11, 2, 0, 0, 0);

test('lookup finds what one client was given, lookupAny what any client was given', () => {
  const index = new AnswerIndex({ graceMs: 60_000 });
  index.record('10.0.0.5', 'rr1.googlevideo.com', 'youtube', ['142.250.1.1', '2404:6800:4003:c00::be'], 300, T0);
  index.record('10.0.0.6', 'docs.example.org', null, ['93.184.216.34'], 60, T0);
  const lookup: AnswerLookup = index;
  const expires = T0 + 300_000 + 60_000;
  assert.deepEqual(lookup.lookup('10.0.0.5', '142.250.1.1', T0), { name: 'rr1.googlevideo.com', service: 'youtube', expires });
  assert.deepEqual(lookup.lookup('10.0.0.5', '2404:6800:4003:c00::be', T0 + 1000)?.service, 'youtube');
  assert.equal(lookup.lookup('10.0.0.6', '142.250.1.1', T0), null, 'another client was not given it');
  assert.equal(lookup.lookupAny('142.250.1.1', T0)?.name, 'rr1.googlevideo.com');
  assert.deepEqual(lookup.lookupAny('93.184.216.34', T0), { name: 'docs.example.org', service: null, expires: T0 + 120_000 });
  assert.equal(lookup.lookup('10.0.0.5', '1.1.1.1', T0), null);
  assert.equal(lookup.lookupAny('not-an-address', T0), null);
});

test('an answer lives TTL plus grace and no longer', () => {
  const index = new AnswerIndex({ graceMs: 10_000 });
  index.record('10.0.0.5', 'a.example', 'svc', ['192.0.2.1'], 20, T0);
  assert.notEqual(index.lookup('10.0.0.5', '192.0.2.1', T0 + 29_999), null);
  assert.equal(index.lookup('10.0.0.5', '192.0.2.1', T0 + 30_000), null);
  assert.equal(index.lookupAny('192.0.2.1', T0 + 30_000), null);
  assert.equal(index.size, 1, 'still held until a sweep');
  assert.equal(index.sweep(T0 + 30_000), 1);
  assert.deepEqual(index.stats(), { entries: 0, clients: 0, addresses: 0, names: 0, evicted: 0, added: 1 });
});

test('a newer answer for the same address replaces the older one for that client', () => {
  const index = new AnswerIndex({ graceMs: 0 });
  index.record('10.0.0.5', 'www.youtube.com', 'youtube', ['142.250.1.1'], 300, T0);
  index.record('10.0.0.5', 'www.google.com', null, ['142.250.1.1'], 300, T0 + 1000);
  assert.deepEqual(index.lookup('10.0.0.5', '142.250.1.1', T0 + 2000), { name: 'www.google.com', service: null, expires: T0 + 301_000 });
  assert.equal(index.size, 1);
  assert.deepEqual(index.addressesFor('10.0.0.5', 'youtube', T0 + 2000), []);
  assert.deepEqual(index.addressesFor('10.0.0.5', null, T0 + 2000), ['142.250.1.1']);
});

test('lookupAny falls back to a longer-lived answer when the newest one has expired', () => {
  const index = new AnswerIndex({ graceMs: 0 });
  index.record('10.0.0.5', 'long.example', 'a', ['192.0.2.9'], 3600, T0);
  index.record('10.0.0.6', 'short.example', 'b', ['192.0.2.9'], 10, T0 + 1000);
  assert.equal(index.lookupAny('192.0.2.9', T0 + 2000)?.name, 'short.example');
  assert.equal(index.lookupAny('192.0.2.9', T0 + 20_000)?.name, 'long.example');
  assert.equal(index.lookupAny('192.0.2.9', T0 + 3_600_000), null);
});

test('addressesFor and entries enumerate live answers by service', () => {
  const index = new AnswerIndex({ graceMs: 0 });
  index.record('10.0.0.5', 'v.example', 'video', ['192.0.2.1', '192.0.2.2'], 100, T0);
  index.record('10.0.0.5', 'w.example', 'work', ['192.0.2.3'], 100, T0);
  index.record('10.0.0.7', 'v.example', 'video', ['192.0.2.1'], 5, T0);
  assert.deepEqual(index.addressesFor('10.0.0.5', 'video', T0).sort(), ['192.0.2.1', '192.0.2.2']);
  const video = [...index.entries(T0 + 10_000, 'video')].map((e) => `${e.client} ${e.address}`).sort();
  assert.deepEqual(video, ['10.0.0.5 192.0.2.1', '10.0.0.5 192.0.2.2']);
  assert.equal([...index.entries(T0)].length, 4);
  assert.equal(index.clientEntries('10.0.0.7', T0)[0]?.name, 'v.example');
});

test('a client keeps at most maxPerClient answers, dropping the soonest to expire', () => {
  const index = new AnswerIndex({ graceMs: 0, maxPerClient: 8, maxEntries: 100 });
  for (let i = 0; i < 20; i++) index.record('10.0.0.5', `n${i}.example`, null, [`192.0.2.${i}`], 100 + i, T0);
  assert.ok(index.size <= 8, `size ${index.size}`);
  assert.ok(index.stats().evicted >= 12);
  assert.notEqual(index.lookup('10.0.0.5', '192.0.2.19', T0), null, 'the longest-lived stays');
  assert.equal(index.lookup('10.0.0.5', '192.0.2.0', T0), null, 'the soonest to expire went');
});

test('the total stays within maxEntries, taken from the biggest client, and names are released', () => {
  const index = new AnswerIndex({ graceMs: 0, maxPerClient: 50, maxEntries: 60 });
  for (let i = 0; i < 50; i++) index.record('10.0.0.1', `big${i}.example`, null, [`198.51.100.${i}`], 100, T0);
  for (let c = 2; c < 12; c++) {
    for (let i = 0; i < 5; i++) index.record(`10.0.0.${c}`, `small${i}.example`, 's', [`203.0.113.${i}`], 100, T0);
  }
  const s = index.stats();
  assert.ok(s.entries <= 60, `entries ${s.entries}`);
  assert.equal(s.clients, 11);
  assert.notEqual(index.lookup('10.0.0.11', '203.0.113.4', T0), null, 'the newest small client kept its answers');
  assert.ok(s.names <= s.entries + 5);
  index.sweep(T0 + 200_000);
  assert.deepEqual({ ...index.stats(), evicted: 0, added: 0 }, { entries: 0, clients: 0, addresses: 0, names: 0, evicted: 0, added: 0 });
});

test('ipv4Value reads only dotted quads', () => {
  assert.equal(ipv4Value('10.0.0.1'), 0x0a000001);
  assert.equal(ipv4Value('255.255.255.255'), 0xffffffff);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', '::1', '1.2.3.4 ']) {
    assert.equal(ipv4Value(bad), -1, bad);
  }
});

test('recordResponse indexes a response as sent and reports only what is worth saving', async () => {
  const { encodeMessage, FLAG, RR_CLASS, RR_TYPE } = await import('../dns/index.js');
  const wire = (name: string, ttl: number): Buffer => encodeMessage({
    id: 1, flags: FLAG.QR | FLAG.RA, questions: [{ name, type: RR_TYPE.A, class: RR_CLASS.IN }], authorities: [], additionals: [],
    answers: [
      { name, type: RR_TYPE.CNAME, class: RR_CLASS.IN, ttl: 900, data: 'edge.cdn.example' },
      { name: 'edge.cdn.example', type: RR_TYPE.A, class: RR_CLASS.IN, ttl, data: '198.51.100.7' },
      { name: 'edge.cdn.example', type: RR_TYPE.AAAA, class: RR_CLASS.IN, ttl, data: '2001:db8::7' },
    ],
  });
  const index = new AnswerIndex({ graceMs: 1000 });
  const changed: string[] = [];
  const first = wire('v.example', 300);
  assert.equal(index.recordResponse('10.0.0.5', 'v.example', 'video', first, 0, first.length, T0, changed), 2);
  assert.deepEqual(changed, ['198.51.100.7', '2001:db8::7']);
  assert.deepEqual(index.lookup('10.0.0.5', '2001:db8::7', T0), { name: 'v.example', service: 'video', expires: T0 + 301_000 });
  changed.length = 0;
  index.recordResponse('10.0.0.5', 'v.example', 'video', first, 0, first.length, T0 + 30_000, changed);
  assert.deepEqual(changed, [], 'the same answer 30 s later is no news');
  index.recordResponse('10.0.0.5', 'v.example', 'video', first, 0, first.length, T0 + 95_000, changed);
  assert.equal(changed.length, 2, 'a minute past the longest so far is');
  changed.length = 0;
  const other = wire('w.example', 60);
  index.recordResponse('10.0.0.5', 'w.example', null, other, 0, other.length, T0 + 62_000, changed);
  assert.equal(changed.length, 2, 'another name is');
  assert.equal(index.recordResponse('10.0.0.5', 'x.example', null, other, 0, 20, T0, changed), 0, 'a cut response adds nothing');
  assert.equal(index.size, 2);
  // Another client, then everything expires: every address and name is released.
  index.recordResponse('10.0.0.6', 'v.example', 'video', first, 0, first.length, T0 + 63_000);
  assert.equal(index.lookupAny('198.51.100.7', T0 + 63_000)?.name, 'v.example', 'the newest over all clients');
  assert.equal(index.lookup('10.0.0.5', '198.51.100.7', T0 + 63_000)?.name, 'w.example');
  index.sweep(T0 + 10_000_000);
  const s = index.stats();
  assert.deepEqual([s.entries, s.clients, s.addresses, s.names], [0, 0, 0, 0]);
});
