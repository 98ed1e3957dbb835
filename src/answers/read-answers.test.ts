import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeMessage, FLAG, RCODE, RR_CLASS, RR_TYPE, type ResourceRecord } from '../dns/index.js';
import { AddressValues, AnswerFeed, readAddresses, readAddressValues, readAnswerBatch, type ReadAnswer } from './index.js';

function rr(name: string, type: number, ttl: number, data: ResourceRecord['data']): ResourceRecord {
  return { name, type, class: RR_CLASS.IN, ttl, data };
}

function response(name: string, answers: ResourceRecord[], rcode: number = RCODE.NOERROR): Buffer {
  return encodeMessage({
    id: 7, flags: FLAG.QR | FLAG.RD | FLAG.RA | rcode, questions: [{ name, type: RR_TYPE.A, class: RR_CLASS.IN }],
    answers, authorities: [], additionals: [],
  });
}

const CHAIN = response('www.youtube.com', [
  rr('www.youtube.com', RR_TYPE.CNAME, 300, 'youtube-ui.l.google.com'),
  rr('youtube-ui.l.google.com', RR_TYPE.A, 120, '142.250.4.136'),
  rr('youtube-ui.l.google.com', RR_TYPE.A, 150, '142.250.4.93'),
  rr('youtube-ui.l.google.com', RR_TYPE.AAAA, 200, '2404:6800:4003:c00:0:0:0:5d'),
]);

test('readAddresses takes every A and AAAA at the end of a CNAME chain and the smallest TTL', () => {
  const out: string[] = [];
  assert.equal(readAddresses(CHAIN, 0, CHAIN.length, out), 120);
  assert.deepEqual(out, ['142.250.4.136', '142.250.4.93', '2404:6800:4003:c00::5d']);
});

test('readAddresses yields nothing for NXDOMAIN, NODATA or a chain with no address, and survives truncation', () => {
  const none: string[] = [];
  assert.equal(readAddresses(response('gone.example', [], RCODE.NXDOMAIN), 0, 29, none), -1);
  const nodata = response('v6only.example', []);
  assert.equal(readAddresses(nodata, 0, nodata.length, none), -1);
  const cname = response('a.example', [rr('a.example', RR_TYPE.CNAME, 60, 'b.example')]);
  assert.equal(readAddresses(cname, 0, cname.length, none), -1);
  assert.deepEqual(none, []);
  for (let cut = 0; cut < CHAIN.length; cut++) {
    const out: string[] = [];
    const ttl = readAddresses(CHAIN, 0, cut, out);
    assert.ok(out.length <= 2 + (cut === CHAIN.length ? 1 : 0), `cut ${cut}`);
    assert.ok(ttl === -1 || ttl === 120, `cut ${cut}: ttl ${ttl}`);
  }
  const garbage = Buffer.alloc(300, 0xff);
  assert.equal(readAddresses(garbage, 0, garbage.length, []), -1);
});

test('a feed hands over its answers as one batch, copies the bytes and skips answers without records', () => {
  const feed = new AnswerFeed({ maxBytes: CHAIN.length * 2 + 10 });
  const scratch = Buffer.from(CHAIN);
  // push says whether it kept the answer (the query handler marks its cache entry then).
  assert.equal(feed.push('10.0.0.5', 'www.youtube.com', 'youtube', scratch, 1000), true);
  scratch.fill(0); // the DNS server reuses its response buffers
  assert.equal(feed.push('10.0.0.6', 'v6only.example', null, response('v6only.example', []), 1001), false, 'no records');
  assert.equal(feed.push('10.0.0.7', 'www.youtube.com', 'youtube', CHAIN, 1002), true);
  assert.equal(feed.push('10.0.0.7', 'www.youtube.com', 'youtube', CHAIN, 1002), false, 'a repeat');
  assert.equal(feed.push('10.0.0.8', 'www.youtube.com', 'youtube', CHAIN, 1003), false, 'full');
  assert.equal(feed.size, 2);
  assert.equal(feed.dropped, 1, 'the third response did not fit');
  const batch = feed.take();
  assert.ok(batch !== null);
  assert.equal(feed.take(), null);
  const seen: ReadAnswer[] = [];
  assert.equal(readAnswerBatch(batch, (a) => seen.push(a)), 0);
  assert.deepEqual(seen.map((a) => [a.client, a.name, a.service, a.time, a.ttl, a.addresses.length]), [
    ['10.0.0.5', 'www.youtube.com', 'youtube', 1000, 120, 3],
    ['10.0.0.7', 'www.youtube.com', 'youtube', 1002, 120, 3],
  ]);
});

test('IPv6 texts read again come from the memo, and every address still reads as itself', () => {
  const values = new AddressValues();
  const texts = ['2001:db8::7', '2001:db8::8', '2404:6800:4003:c00::5d', '::1', 'fe80::1:2:3:4', '2001:db8:0:1::'];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 600; i++) {
      const text = i < texts.length ? texts[i]! : `2001:db8:${((i * 7919) & 0xffff).toString(16)}::${i.toString(16)}`;
      const r = response('v6.example', [rr('v6.example', RR_TYPE.AAAA, 60, text)]);
      assert.equal(readAddressValues(r, 0, r.length, values), 60);
      assert.equal(values.v6[0], text);
    }
  }
});
