import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { parseConfigText } from '../../src/config/index.js';
import { RR_TYPE } from '../../src/dns/index.js';
import { FakeUpstream, rr } from './fake-upstream.js';
import { dig, MON_0658, MON_0700, MON_1600, startGateway, testSettings, type Gateway } from './dns-test-kit.js';
import { EXAMPLE_FILE } from '../fixtures/example.js';

// The circular's policy file, with the public-relations team moved to a loopback address so that
// dig can ask as a member of it (`dig -b 127.0.0.2`).
const yaml = readFileSync(EXAMPLE_FILE, 'utf8')
  .replace('"10.20.5.0/24"', '"127.0.0.2/32"');

let up: FakeUpstream;
let gw: Gateway;

before(async () => {
  const loaded = parseConfigText(yaml, 'pasuruan.yaml');
  up = await FakeUpstream.start();
  up.respond = (q) => {
    if (q.type === RR_TYPE.A) return { answers: [rr(q.name, RR_TYPE.A, 3600, '192.0.2.10')] };
    if (q.type === RR_TYPE.AAAA) return { answers: [rr(q.name, RR_TYPE.AAAA, 3600, '2001:db8::10')] };
    return { answers: [] };
  };
  // Keep the file's DNS settings, but listen on loopback and ask the fake upstream.
  const settings = { ...loaded.settings.dns, ...testSettings([up.spec()]), blockResponse: loaded.settings.dns.blockResponse, cache: loaded.settings.dns.cache };
  gw = await startGateway(settings, loaded.policy);
});

after(async () => {
  await gw.stop();
  await up.stop();
});

test('Monday 06:58: YouTube is allowed with TTL at most 120 s', async () => {
  gw.clock.now = MON_0658;
  const d = await dig(gw.port, ['www.youtube.com', 'A']);
  assert.equal(d.status, 'NOERROR');
  assert.ok(d.answer[0]!.ttl <= 120 && d.answer[0]!.ttl > 0, `TTL ${d.answer[0]!.ttl}`);
  gw.clock.now = MON_0658 + 90_000;
  const cached = await dig(gw.port, ['www.youtube.com', 'A']);
  assert.ok(cached.answer[0]!.ttl <= 30, `cached TTL ${cached.answer[0]!.ttl}`);
});

test('Monday 07:00: YouTube, Vidio and Vimeo are blocked for every type; the city site is not', async () => {
  gw.clock.now = MON_0700;
  for (const [name, service] of [['www.youtube.com', 'youtube'], ['rr1.googlevideo.com', 'youtube'], ['www.vidio.com', 'vidio'], ['player.vimeo.com', 'vimeo']]) {
    for (const type of ['A', 'AAAA', 'HTTPS']) {
      const d = await dig(gw.port, [name!, type]);
      assert.equal(d.status, 'NXDOMAIN', `${name} ${type}`);
      assert.ok(d.authority[0]!.ttl <= 10);
    }
    const entry = gw.log.at(-1)!;
    assert.deepEqual([entry.action, entry.service, entry.rule], ['block', service, 'blokir-streaming-jam-kerja']);
  }
  assert.equal((await dig(gw.port, ['sijaja.pasuruankota.go.id', 'A'])).status, 'NOERROR');
});

test('the public-relations exemption lets its team stream during work hours', async () => {
  gw.clock.now = MON_0700 + 3 * 3600_000;
  const d = await dig(gw.port, ['-b', '127.0.0.2', 'www.youtube.com', 'A']);
  assert.equal(d.status, 'NOERROR');
  const entry = gw.log.at(-1)!;
  assert.equal(entry.client, '127.0.0.2');
  assert.equal(entry.exemption, 'siaran-langsung-humas');
  const other = await dig(gw.port, ['www.youtube.com', 'A']);
  assert.equal(other.status, 'NXDOMAIN');
});

test('Monday 16:00 the block lifts at once; 15:59:59 it still holds', async () => {
  gw.clock.now = MON_1600 - 1000;
  assert.equal((await dig(gw.port, ['m.youtube.com', 'AAAA'])).status, 'NXDOMAIN');
  gw.clock.now = MON_1600;
  const d = await dig(gw.port, ['m.youtube.com', 'AAAA']);
  assert.equal(d.status, 'NOERROR');
  assert.equal(d.answer[0]!.ttl, 3600, 'the next block is 15 hours away');
});

test('Saturday is not a working day', async () => {
  gw.clock.now = Date.parse('2026-06-06T10:00:00+07:00');
  assert.equal((await dig(gw.port, ['www.vidio.com', 'A'])).status, 'NOERROR');
});

test('a cached answer for a name on no list is blocked at once when a reloaded policy lists it', async () => {
  gw.clock.now = MON_0700 + 3600_000;
  const name = 'berita.contoh-kota.example';
  // Forwarded and cached, then twice from the cache: the second hit skips the policy's lookup.
  for (let i = 0; i < 3; i++) assert.equal((await dig(gw.port, [name, 'A'])).status, 'NOERROR');
  assert.equal(gw.log.at(-1)!.cached, true);
  const original = gw.policy.current;
  const listed = parseConfigText(yaml
    .replace('  si-jaja: [', '  berita: ["contoh-kota.example"]\n  si-jaja: [')
    .replace('block: [youtube, vidio, vimeo]', 'block: [youtube, vidio, vimeo, berita]'), 'pasuruan.yaml').policy;
  gw.policy.current = listed;
  try {
    assert.equal((await dig(gw.port, [name, 'A'])).status, 'NXDOMAIN');
    assert.deepEqual([gw.log.at(-1)!.action, gw.log.at(-1)!.service], ['block', 'berita']);
  } finally {
    gw.policy.current = original;
  }
  const back = await dig(gw.port, [name, 'A']);
  assert.equal(back.status, 'NOERROR');
  assert.deepEqual([gw.log.at(-1)!.action, gw.log.at(-1)!.service, gw.log.at(-1)!.cached], ['allow', null, true]);
});
