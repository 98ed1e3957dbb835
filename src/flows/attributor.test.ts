import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnswerHit, AnswerLookup } from '../answers/index.js';
import { Attributor, remotePrefix } from './attributor.js';
import type { FlowRecord } from './flow-record.js';

/** Answers as (client, address) -> hit; expiry checked like the real index. */
function fakeAnswers(entries: [client: string, address: string, hit: AnswerHit][]): AnswerLookup {
  return {
    lookup: (client, address, now) => entries.find(([c, a, h]) => c === client && a === address && h.expires > now)?.[2] ?? null,
    lookupAny: (address, now) => entries.find(([, a, h]) => a === address && h.expires > now)?.[2] ?? null,
  };
}

const GROUPS = [
  { name: 'semua', networks: ['10.0.0.0/8'] },
  { name: 'bappeda', networks: ['10.20.5.0/24'] },
  { name: 'rapat', networks: ['10.20.5.0/24'] },
  { name: 'kepala', networks: ['10.20.5.9'] },
];
const flow = (src: string, dst: string): FlowRecord => ({ src, dst, srcPort: 1, dstPort: 2, protocol: 6, bytes: 100, packets: 1, start: 0, end: 0 });

test('a flow is attributed by its (client, remote) pair in either direction', () => {
  const yt: AnswerHit = { name: 'rr1.googlevideo.com', service: 'youtube', expires: 1000 };
  const a = new Attributor({ answers: fakeAnswers([['10.20.5.7', '203.0.113.9', yt]]), groups: GROUPS, localNetworks: ['10.0.0.0/8'] });
  assert.deepEqual(a.attribute(flow('10.20.5.7', '203.0.113.9'), 500), { client: '10.20.5.7', group: 'bappeda', service: 'youtube', unresolvedPrefix: null });
  assert.deepEqual(a.attribute(flow('203.0.113.9', '10.20.5.7'), 500), { client: '10.20.5.7', group: 'bappeda', service: 'youtube', unresolvedPrefix: null });
  // After the answer's TTL and grace: nobody's answer, so other, kept by /24.
  assert.deepEqual(a.attribute(flow('203.0.113.9', '10.20.5.7'), 1000), { client: '10.20.5.7', group: 'bappeda', service: 'other', unresolvedPrefix: '203.0.113.0/24' });
});

test("another client's answer for the address is the fallback; a name in no service is other", () => {
  const a = new Attributor({
    answers: fakeAnswers([['10.1.1.1', '203.0.113.9', { name: 'vidio.com', service: 'vidio', expires: 1e15 }], ['10.1.1.1', '192.0.2.1', { name: 'example.org', service: null, expires: 1e15 }]]),
    groups: GROUPS, localNetworks: ['10.0.0.0/8'],
  });
  assert.equal(a.attribute(flow('10.20.5.9', '203.0.113.9'), 0).service, 'vidio');
  assert.equal(a.attribute(flow('10.20.5.9', '203.0.113.9'), 0).group, 'kepala');
  const named = a.attribute(flow('192.0.2.1', '10.30.0.1'), 0);
  assert.deepEqual(named, { client: '10.30.0.1', group: 'semua', service: 'other', unresolvedPrefix: null });
});

test('group: longest prefix wins, a tie goes to the first group in the file, no group is other', () => {
  const a = new Attributor({ answers: fakeAnswers([]), groups: GROUPS, localNetworks: [] });
  assert.equal(a.groupOf('10.20.5.9'), 'kepala');
  assert.equal(a.groupOf('10.20.5.8'), 'bappeda');
  assert.equal(a.groupOf('10.99.0.1'), 'semua');
  assert.equal(a.groupOf('192.168.1.1'), 'other');
  a.setGroups([{ name: 'rapat', networks: ['10.20.5.0/24'] }]);
  assert.equal(a.groupOf('10.20.5.8'), 'rapat');
});

test('remote prefixes: /24 for IPv4, /48 for IPv6', () => {
  assert.equal(remotePrefix('198.51.100.77'), '198.51.100.0/24');
  assert.equal(remotePrefix('2001:db8:aa:bb::1'), '2001:db8:aa::/48');
  assert.equal(remotePrefix('2001:db8::1'), '2001:db8::/48');
  assert.equal(remotePrefix('::ffff:198.51.100.7'), '198.51.100.0/24');
});
