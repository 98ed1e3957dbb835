import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AnswerIndex } from '../answers/index.js';
import { parseConfigText } from '../config/index.js';
import { BUILTIN_SERVICES } from '../policy/index.js';
import { EXAMPLE_FILE } from '../../test/fixtures/example.js';
import { dedicatedNames, NeverTouch, newlyBlocked, planEnforcement, type EnforcePlan } from './index.js';

const at = (iso: string): number => Date.parse(iso);
const T0 = at('2026-11-29T12:00:00+07:00');
const policy = parseConfigText(readFileSync(EXAMPLE_FILE, 'utf8'), 'pasuruan.yaml', { baseDir: '/tmp', now: T0 }).policy;
const dedicated = dedicatedNames(BUILTIN_SERVICES.flatMap((s) => s.dedicated ?? []));

// Answers a day of browsing left in the index (a long grace keeps them alive for the test).
const index = new AnswerIndex({ graceMs: 200 * 86_400_000 });
index.record('10.1.1.1', 'rr1---sn-a.googlevideo.com', 'youtube', ['142.250.4.136'], 300, T0);
index.record('10.1.1.1', 'www.youtube.com', 'youtube', ['142.250.4.100'], 300, T0);
index.record('10.1.1.2', 'docs.google.com', null, ['142.250.4.101'], 300, T0);
index.record('10.1.1.1', 'www.youtube.com', 'youtube', ['142.250.4.101'], 300, T0);
index.record('10.1.1.1', 'vod-adaptive.akamaized.net', 'vimeo', ['23.1.2.3'], 300, T0);
index.record('10.1.1.1', 'rr1---sn-a.googlevideo.com', 'youtube', ['10.9.9.9'], 300, T0);
index.record('10.20.5.44', 'rr2---sn-a.googlevideo.com', 'youtube', ['142.250.4.137'], 300, T0);
index.record('10.1.1.3', 'sijaja.pasuruankota.go.id', 'si-jaja', ['203.0.113.7'], 300, T0);

function plan(p = policy, iso: string): EnforcePlan {
  const now = at(iso);
  return planEnforcement({ policy: p, index, now, spare: new NeverTouch(), dedicated });
}
const pairs = (list: EnforcePlan['hold']): string[] => list.map((x) => `${x.client} ${x.address} ${x.service}`).sort();

test('dedicated names match at label boundaries', () => {
  assert.ok(dedicated('rr5---sn-2uuxa3vh-nuae.googlevideo.com'));
  assert.ok(dedicated('GOOGLEVIDEO.COM.'));
  assert.ok(!dedicated('www.youtube.com'));
  assert.ok(!dedicated('notgooglevideo.com'));
});

test('across 07:00 on a Monday: nothing before, the blocked services after, dedicated addresses held', () => {
  const before = plan(policy, '2026-11-30T06:59:59+07:00');
  assert.deepEqual(before.blocked, []);
  assert.equal(before.next, at('2026-11-30T07:00:00+07:00'), 'the scheduler wakes at 07:00');
  const after = plan(policy, '2026-11-30T07:00:00+07:00');
  assert.deepEqual(pairs(after.blocked), [
    '10.1.1.1 142.250.4.100 youtube', '10.1.1.1 142.250.4.101 youtube', '10.1.1.1 142.250.4.136 youtube', '10.1.1.1 23.1.2.3 vimeo',
  ], 'every live address of a blocked service is cut; private 10.9.9.9 never; the exempt team not at all');
  assert.deepEqual(pairs(after.hold), ['10.1.1.1 142.250.4.136 youtube'],
    'only the googlevideo cache is held: www.youtube.com is a shared front end, and .101 also answered docs.google.com');
  assert.equal(after.next, at('2026-11-30T16:00:00+07:00'));
  assert.deepEqual(pairs(newlyBlocked(before.blocked, after.blocked)), pairs(after.blocked), 'the boundary cuts them all');
  assert.deepEqual(newlyBlocked(after.blocked, after.blocked), [], 'a second look cuts nothing again');
  const end = plan(policy, '2026-11-30T16:00:00+07:00');
  assert.deepEqual(end.blocked, [], 'lifted at 16:00');
  assert.equal(end.next, at('2026-12-01T07:00:00+07:00'));
});

test('states agree with decide() for every client, service and instant', () => {
  const names: Record<string, string> = { youtube: 'rr1---sn-a.googlevideo.com', vimeo: 'vod-adaptive.akamaized.net', 'si-jaja': 'sijaja.pasuruankota.go.id' };
  for (const iso of ['2026-11-30T06:59:59+07:00', '2026-11-30T07:00:00+07:00', '2026-11-30T15:59:59+07:00', '2026-12-05T10:00:00+07:00', '2026-12-25T10:00:00+07:00', '2027-04-01T10:00:00+07:00']) {
    for (const st of plan(policy, iso).states) {
      const d = policy.decide(st.client, names[st.service] ?? '', at(iso));
      assert.equal(st.blocked, d.action === 'block', `${st.client} ${st.service} @ ${iso}`);
    }
  }
});

test('a holiday and a weekend block nothing and wake at the next working morning', () => {
  const holiday = plan(policy, '2026-12-25T10:00:00+07:00');
  assert.deepEqual(holiday.blocked, []);
  assert.equal(holiday.next, at('2026-12-28T07:00:00+07:00'));
  assert.equal(plan(policy, '2026-12-05T10:00:00+07:00').next, at('2026-12-07T07:00:00+07:00'));
});

test('exemptions: the exempt team until its end, a console exemption and its revocation', () => {
  const exemptEnd = plan(policy, '2027-03-31T15:00:00+07:00');
  assert.ok(!exemptEnd.blocked.some((p) => p.client === '10.20.5.44'));
  const later = plan(policy, '2027-04-01T10:00:00+07:00');
  assert.ok(later.hold.some((p) => p.client === '10.20.5.44' && p.address === '142.250.4.137'), 'after the exemption ends the team is held too');
  const withConsole = policy.withConsoleExemptions([{
    name: 'rapat', groups: [], clients: ['10.1.1.1'], allow: ['youtube'], from: null, until: at('2026-11-30T09:30:00+07:00'), reason: 'x', source: 'console',
  }]);
  const exempt = plan(withConsole, '2026-11-30T09:00:00+07:00');
  assert.deepEqual(pairs(exempt.blocked), ['10.1.1.1 23.1.2.3 vimeo'], 'youtube exempt, vimeo still blocked');
  assert.equal(exempt.next, at('2026-11-30T09:30:00+07:00'), 'the exemption\'s end is a boundary');
  const revoked = plan(policy, '2026-11-30T09:00:00+07:00');
  assert.deepEqual(pairs(newlyBlocked(exempt.blocked, revoked.blocked)), [
    '10.1.1.1 142.250.4.100 youtube', '10.1.1.1 142.250.4.101 youtube', '10.1.1.1 142.250.4.136 youtube',
  ], 'revoking cuts that client\'s youtube');
});

test('after a reload that adds a domain to a service, answers given before it are decided again', () => {
  const now = at('2026-11-30T10:00:00+07:00');
  const reloaded = parseConfigText(`timezone: Asia/Jakarta
services:
  video-lokal: ["video.example"]
rules:
  - { name: r, block: [video-lokal] }
`, 'c.yaml', { baseDir: '/tmp', now }).policy;
  const idx = new AnswerIndex();
  idx.record('10.1.1.9', 'cdn.video.example', null, ['198.51.100.10'], 300, now);
  idx.record('10.1.1.9', 'news.example', null, ['198.51.100.20'], 300, now);
  const input = { policy: reloaded, index: idx, now, spare: new NeverTouch(), dedicated: dedicatedNames(['video.example']) };
  assert.deepEqual(planEnforcement(input).blocked, [], 'answers of no service are not decided between reloads');
  const after = planEnforcement({ ...input, allNames: true });
  assert.deepEqual(pairs(after.blocked), ['10.1.1.9 198.51.100.10 video-lokal']);
  assert.deepEqual(pairs(after.hold), ['10.1.1.9 198.51.100.10 video-lokal'], 'a dedicated name added by the reload is held');
});

test('the index lists answers of a service and every answer that gave an address', () => {
  const idx = new AnswerIndex();
  idx.record('10.1.1.1', 'rr1.googlevideo.com', 'youtube', ['142.250.4.136'], 300, T0);
  idx.record('10.1.1.2', 'docs.google.com', null, ['142.250.4.136', '142.250.4.7'], 300, T0);
  assert.deepEqual([...idx.serviceEntries(T0)].map((e) => `${e.client} ${e.address} ${e.name}`), ['10.1.1.1 142.250.4.136 rr1.googlevideo.com']);
  const seen: string[] = [];
  idx.forEachAnswerOf(['142.250.4.136', '192.0.2.99'], T0, (address, name, service) => seen.push(`${address} ${name} ${String(service)}`));
  assert.deepEqual(seen.sort(), ['142.250.4.136 docs.google.com null', '142.250.4.136 rr1.googlevideo.com youtube']);
});
