import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseConfigText } from '../config/index.js';
import { decide } from './index.js';
import { EXAMPLE_FILE } from '../../test/fixtures/example.js';

const EXAMPLE = EXAMPLE_FILE;
const NOW = Date.parse('2026-11-28T12:00:00+07:00');
const pasuruan = parseConfigText(readFileSync(EXAMPLE, 'utf8'), 'pasuruan.yaml', { baseDir: '/tmp', now: NOW }).policy;
const at = (iso: string): number => Date.parse(iso);

// 2026-11-30 is a Monday; 2026-12-25 (Friday) is a holiday in the example.
const CIRCULAR: [client: string, name: string, instant: string, action: 'block' | 'allow', until: string | null][] = [
  ['10.1.1.1', 'www.youtube.com', '2026-11-30T06:59:59+07:00', 'allow', '2026-11-30T07:00:00+07:00'],
  ['10.1.1.1', 'www.youtube.com', '2026-11-30T07:00:00+07:00', 'block', '2026-11-30T16:00:00+07:00'],
  ['10.1.1.1', 'www.youtube.com', '2026-11-30T15:59:59+07:00', 'block', '2026-11-30T16:00:00+07:00'],
  ['10.1.1.1', 'www.youtube.com', '2026-11-30T16:00:00+07:00', 'allow', '2026-12-01T07:00:00+07:00'],
  ['10.1.1.1', 'rr5---sn-2uuxa3vh-nuae.googlevideo.com', '2026-11-30T10:00:00+07:00', 'block', '2026-11-30T16:00:00+07:00'],
  ['10.1.1.1', 'i.ytimg.com', '2026-11-30T10:00:00+07:00', 'block', '2026-11-30T16:00:00+07:00'],
  ['10.1.1.1', 'youtu.be', '2026-11-30T10:00:00+07:00', 'block', '2026-11-30T16:00:00+07:00'],
  ['10.1.1.1', 'www.youtube.co.id', '2026-11-30T10:00:00+07:00', 'block', '2026-11-30T16:00:00+07:00'],
  ['10.1.1.1', 'www.vidio.com', '2026-12-04T09:00:00+07:00', 'block', '2026-12-04T16:00:00+07:00'],
  ['10.1.1.1', 'player.vimeo.com', '2026-12-01T12:00:00+07:00', 'block', '2026-12-01T16:00:00+07:00'],
  // Friday 16:00 -> next change is Monday 07:00.
  ['10.1.1.1', 'vimeo.com', '2026-12-04T16:00:00+07:00', 'allow', '2026-12-07T07:00:00+07:00'],
  // Weekend.
  ['10.1.1.1', 'www.youtube.com', '2026-11-28T10:00:00+07:00', 'allow', '2026-11-30T07:00:00+07:00'],
  ['10.1.1.1', 'www.youtube.com', '2026-11-29T23:59:59+07:00', 'allow', '2026-11-30T07:00:00+07:00'],
  // Holiday (Friday 25 December) is free; the next block starts Monday.
  ['10.1.1.1', 'www.youtube.com', '2026-12-25T10:00:00+07:00', 'allow', '2026-12-28T07:00:00+07:00'],
  ['10.1.1.1', 'www.youtube.com', '2026-12-24T15:00:00+07:00', 'block', '2026-12-24T16:00:00+07:00'],
  // Same instants written in UTC.
  ['10.1.1.1', 'www.youtube.com', '2026-11-30T00:00:00Z', 'block', '2026-11-30T16:00:00+07:00'],
  ['10.1.1.1', 'www.youtube.com', '2026-11-29T23:59:59Z', 'allow', '2026-11-30T07:00:00+07:00'],
  // IPv6 and IPv4-mapped clients are in `semua`.
  ['2001:db8::7', 'www.youtube.com', '2026-11-30T10:00:00+07:00', 'block', '2026-11-30T16:00:00+07:00'],
  ['::ffff:10.9.9.9', 'www.youtube.com', '2026-11-30T10:00:00+07:00', 'block', '2026-11-30T16:00:00+07:00'],
  // The public-relations team may stream YouTube (until 2027-03-31 16:00) but not Vidio.
  ['10.20.5.44', 'www.youtube.com', '2026-11-30T10:00:00+07:00', 'allow', '2027-03-31T16:00:00+07:00'],
  ['10.20.5.44', 'vidio.com', '2026-11-30T10:00:00+07:00', 'block', '2026-11-30T16:00:00+07:00'],
  // After the exemption expires, the rule applies again.
  ['10.20.5.44', 'www.youtube.com', '2027-03-31T15:59:59+07:00', 'allow', '2027-03-31T16:00:00+07:00'],
  ['10.20.5.44', 'www.youtube.com', '2027-04-01T10:00:00+07:00', 'block', '2027-04-01T16:00:00+07:00'],
  // Names outside every service never change.
  ['10.1.1.1', 'sijaja.pasuruankota.go.id', '2026-11-30T10:00:00+07:00', 'allow', null],
  ['10.1.1.1', 'notyoutube.com', '2026-11-30T10:00:00+07:00', 'allow', null],
  ['10.1.1.1', 'youtube.com.evil.example', '2026-11-30T10:00:00+07:00', 'allow', null],
  ['10.1.1.1', 'fonts.gstatic.com', '2026-11-30T10:00:00+07:00', 'allow', null],
  ['10.1.1.1', 'www.googleapis.com', '2026-11-30T10:00:00+07:00', 'allow', null],
];

test('the circular: boundaries, weekends, holidays, exemptions, IPv6', () => {
  for (const [client, name, instant, action, until] of CIRCULAR) {
    const d = decide(pasuruan, client, name, at(instant));
    const label = `${client} ${name} @ ${instant}`;
    assert.equal(d.action, action, label);
    assert.equal(d.until, until === null ? null : at(until), `${label}: until`);
  }
});

test('the decision names its rule, service and exemption', () => {
  assert.deepEqual(decide(pasuruan, '10.1.1.1', 'm.youtube.com', at('2026-11-30T07:00:00+07:00')), {
    action: 'block', service: 'youtube', rule: 'blokir-streaming-jam-kerja', exemption: null, until: at('2026-11-30T16:00:00+07:00'),
  });
  assert.deepEqual(decide(pasuruan, '10.20.5.1', 'm.youtube.com', at('2026-11-30T07:00:00+07:00')), {
    action: 'allow', service: 'youtube', rule: null, exemption: 'siaran-langsung-humas', until: at('2027-03-31T16:00:00+07:00'),
  });
});

test('names match case-insensitively, with or without the trailing dot, in punycode', () => {
  const t = at('2026-11-30T10:00:00+07:00');
  for (const name of ['WWW.YouTube.COM', 'www.youtube.com.', 'YOUTUBE.COM.']) assert.equal(decide(pasuruan, '10.1.1.1', name, t).action, 'block', name);
  const policy = parseConfigText('services:\n  kafe: ["bücher.example"]\nrules:\n  - name: r\n    block: [kafe]\n', 'idn.yaml').policy;
  assert.equal(decide(policy, '10.0.0.1', 'www.xn--bcher-kva.example', t).action, 'block');
  assert.equal(decide(policy, '10.0.0.1', 'www.bücher.example', t).action, 'block');
  assert.equal(decide(policy, '10.0.0.1', 'bucher.example', t).action, 'allow');
});

test('rules: first match wins, allow rules, groups, always', () => {
  const yaml = `
schedules:
  malam: [{ days: [mon, tue, wed, thu, fri], from: "22:00", to: "06:00" }]
groups:
  rapat: ["10.20.9.17", "fd00::17"]
  kantor: ["10.0.0.0/8", "fd00::/8"]
services:
  si-jaja: ["sijaja.pasuruankota.go.id"]
rules:
  - name: rapat-boleh
    allow: [youtube]
    groups: [rapat]
  - name: streaming-malam
    block: [youtube, netflix]
    groups: [kantor]
    during: malam
  - name: selalu
    block: [tiktok]
`;
  const p = parseConfigText(yaml, 'rules.yaml').policy;
  const mon23 = at('2026-11-30T23:00:00+07:00');
  assert.deepEqual(decide(p, '10.20.9.17', 'youtube.com', mon23), { action: 'allow', service: 'youtube', rule: 'rapat-boleh', exemption: null, until: null });
  assert.equal(decide(p, 'fd00::17', 'youtube.com', mon23).rule, 'rapat-boleh');
  assert.equal(decide(p, '10.20.9.18', 'youtube.com', mon23).action, 'block');
  assert.equal(decide(p, '192.168.1.5', 'youtube.com', mon23).action, 'allow');
  assert.equal(decide(p, '192.168.1.5', 'www.tiktok.com', mon23).action, 'block');
  assert.equal(decide(p, '192.168.1.5', 'www.tiktok.com', mon23).until, null);
  // Overnight: Monday 22:00 to Tuesday 06:00 belongs to Monday.
  assert.equal(decide(p, '10.1.1.1', 'netflix.com', at('2026-12-01T05:59:59+07:00')).action, 'block');
  assert.equal(decide(p, '10.1.1.1', 'netflix.com', at('2026-12-01T06:00:00+07:00')).action, 'allow');
  // Friday night runs into Saturday morning; Saturday night does not start.
  assert.equal(decide(p, '10.1.1.1', 'netflix.com', at('2026-12-05T03:00:00+07:00')).action, 'block');
  assert.equal(decide(p, '10.1.1.1', 'netflix.com', at('2026-12-05T23:00:00+07:00')).action, 'allow');
  // Sunday 22:00 does not start either: the next start is Monday 22:00.
  assert.equal(decide(p, '10.1.1.1', 'netflix.com', at('2026-12-06T23:00:00+07:00')).until, at('2026-12-07T22:00:00+07:00'));
});

test('holidays cancel ranges that start on them; an overnight range from the day before runs on', () => {
  const yaml = `
holidays: [{ date: "2026-12-25", name: "Hari Raya Natal" }, "2027-01-01"]
schedules:
  malam: [{ days: [thu, fri], from: "22:00", to: "06:00" }]
rules:
  - name: r
    block: [netflix]
    during: malam
`;
  const p = parseConfigText(yaml, 'h.yaml').policy;
  assert.deepEqual(p.holidays, ['2026-12-25', '2027-01-01']);
  assert.deepEqual(p.holidayNames, { '2026-12-25': 'Hari Raya Natal' });
  // Thursday 24 Dec 22:00 starts the day before the holiday and runs until Friday 06:00.
  assert.equal(decide(p, '10.0.0.1', 'netflix.com', at('2026-12-25T05:00:00+07:00')).action, 'block');
  assert.equal(decide(p, '10.0.0.1', 'netflix.com', at('2026-12-25T05:00:00+07:00')).until, at('2026-12-25T06:00:00+07:00'));
  // Friday 25 Dec 22:00 is on the holiday and does not start.
  assert.equal(decide(p, '10.0.0.1', 'netflix.com', at('2026-12-25T23:00:00+07:00')).action, 'allow');
  assert.equal(decide(p, '10.0.0.1', 'netflix.com', at('2026-12-25T23:00:00+07:00')).until, at('2026-12-31T22:00:00+07:00'));
});

test('several ranges a day, "24:00", adjacent ranges merge', () => {
  const yaml = `
schedules:
  s:
    - { days: [mon], from: "07:00", to: "12:00" }
    - { days: [mon], from: "13:00", to: "16:00" }
    - { days: [mon], from: "20:00", to: "24:00" }
    - { days: [tue], from: "00:00", to: "02:00" }
rules:
  - name: r
    block: [youtube]
    during: s
`;
  const p = parseConfigText(yaml, 's.yaml').policy;
  const d = (iso: string) => decide(p, '10.0.0.1', 'youtube.com', at(iso));
  assert.equal(d('2026-11-30T12:30:00+07:00').action, 'allow');
  assert.equal(d('2026-11-30T12:30:00+07:00').until, at('2026-11-30T13:00:00+07:00'));
  assert.equal(d('2026-11-30T11:00:00+07:00').until, at('2026-11-30T12:00:00+07:00'));
  assert.equal(d('2026-11-30T23:59:59+07:00').action, 'block');
  // 20:00-24:00 Monday and 00:00-02:00 Tuesday are one block.
  assert.equal(d('2026-11-30T21:00:00+07:00').until, at('2026-12-01T02:00:00+07:00'));
});

test('console exemptions take effect in a new policy value and expire', () => {
  const base = pasuruan;
  const t = at('2026-11-30T10:00:00+07:00');
  assert.equal(decide(base, '10.30.0.5', 'vidio.com', t).action, 'block');
  const p = base.withConsoleExemptions([{ name: 'rapat-paripurna', groups: [], clients: ['10.30.0.5'], allow: ['vidio'], from: null, until: at('2026-11-30T12:00:00+07:00'), reason: 'live', source: 'console' }]);
  assert.deepEqual(decide(p, '10.30.0.5', 'vidio.com', t), { action: 'allow', service: 'vidio', rule: null, exemption: 'rapat-paripurna', until: at('2026-11-30T12:00:00+07:00') });
  assert.equal(decide(p, '10.30.0.6', 'vidio.com', t).action, 'block');
  assert.equal(decide(p, '10.30.0.5', 'vidio.com', at('2026-11-30T12:00:00+07:00')).action, 'block');
  assert.equal(decide(base, '10.30.0.5', 'vidio.com', t).action, 'block', 'the original policy is unchanged');
  // An exemption that starts later shortens `until` to its start.
  const later = base.withConsoleExemptions([{ name: 'nanti', groups: ['semua'], clients: [], allow: ['vidio'], from: at('2026-11-30T13:00:00+07:00'), until: at('2026-11-30T14:00:00+07:00'), reason: 'event', source: 'console' }]);
  assert.deepEqual(decide(later, '10.30.0.5', 'vidio.com', t), { action: 'block', service: 'vidio', rule: 'blokir-streaming-jam-kerja', exemption: null, until: at('2026-11-30T13:00:00+07:00') });
  assert.equal(decide(later, '10.30.0.5', 'vidio.com', at('2026-11-30T13:30:00+07:00')).exemption, 'nanti');
});

test('a time zone with daylight saving time', () => {
  const yaml = `
timezone: America/New_York
schedules:
  kerja: [{ days: [mon, tue, wed, thu, fri, sat, sun], from: "07:00", to: "16:00" }]
rules:
  - { name: r, block: [youtube], during: kerja }
`;
  const p = parseConfigText(yaml, 'ny.yaml').policy;
  // 2026-03-08 DST starts in New York (UTC-5 -> UTC-4); 2026-11-01 it ends.
  assert.equal(decide(p, '10.0.0.1', 'youtube.com', at('2026-03-08T07:00:00-04:00')).action, 'block');
  assert.equal(decide(p, '10.0.0.1', 'youtube.com', at('2026-03-08T06:59:59-04:00')).action, 'allow');
  assert.equal(decide(p, '10.0.0.1', 'youtube.com', at('2026-03-07T07:00:00-05:00')).action, 'block');
  assert.equal(decide(p, '10.0.0.1', 'youtube.com', at('2026-11-01T07:00:00-05:00')).action, 'block');
  assert.equal(decide(p, '10.0.0.1', 'youtube.com', at('2026-11-01T06:59:59-05:00')).action, 'allow');
});
