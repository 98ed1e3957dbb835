import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fixedFooterOffset, parseTzif, readSystemZone } from './tzif.js';
import { TimeZone } from './time-zone.js';

const H = 3_600_000;
const ZONEINFO = process.env['TZDIR'] || '/usr/share/zoneinfo';

test('POSIX footers without DST give their offset; with DST rules, none', () => {
  assert.equal(fixedFooterOffset('WIB-7'), 7 * H);
  assert.equal(fixedFooterOffset('WITA-8'), 8 * H);
  assert.equal(fixedFooterOffset('WIT-9'), 9 * H);
  assert.equal(fixedFooterOffset('<+0545>-5:45'), 5.75 * H);
  assert.equal(fixedFooterOffset('<-03>3'), -3 * H);
  assert.equal(fixedFooterOffset('UTC0'), 0);
  assert.equal(fixedFooterOffset('EST5EDT,M3.2.0,M11.1.0'), null);
  assert.equal(fixedFooterOffset('CET-1CEST,M3.5.0,M10.5.0/3'), null);
  assert.equal(fixedFooterOffset(''), null);
});

test('malformed TZif data and unsafe zone names are refused', () => {
  assert.equal(parseTzif(new Uint8Array(0)), null);
  assert.equal(parseTzif(Buffer.from('not a tzif file at all, but long enough to have a header....')), null);
  assert.equal(readSystemZone('../../etc/passwd'), null);
  assert.equal(readSystemZone('Asia/../../etc/passwd'), null);
  assert.equal(readSystemZone('/etc/passwd'), null);
  assert.equal(readSystemZone('No/Such_Zone'), null);
  const jakarta = `${ZONEINFO}/Asia/Jakarta`;
  assert.ok(existsSync(jakarta), `the host's tzdata is needed (${jakarta}): install the tzdata package`);
  const bytes = readFileSync(jakarta);
  assert.notEqual(parseTzif(bytes), null);
  for (const cut of [10, 44, 60, bytes.length - 3]) assert.equal(parseTzif(bytes.subarray(0, cut)), null, `cut at ${cut}`);
  const v1 = Buffer.from(bytes);
  v1[4] = 0;
  assert.equal(parseTzif(v1), null);
});

test('zones without DST come from tzdata and agree with Intl at every instant tried; DST zones use Intl', () => {
  const zones = ['Asia/Jakarta', 'Asia/Pontianak', 'Asia/Makassar', 'Asia/Jayapura', 'Asia/Singapore', 'Asia/Kolkata', 'Asia/Kathmandu', 'UTC', 'Etc/GMT-7'];
  let seed = 7;
  const random = (): number => { seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0; return seed / 2 ** 32; };
  const from = Date.UTC(1970, 0, 1);
  const to = Date.UTC(2100, 0, 1);
  for (const name of zones) {
    const system = new TimeZone(name);
    const intl = new TimeZone(name, { system: false });
    assert.equal(system.source, 'tzdata', name);
    assert.equal(intl.source, 'intl', name);
    const zone = readSystemZone(name)!;
    const instants = [from, to, Date.parse('2026-12-02T07:00:00+07:00')];
    for (const t of zone.transitions) if (t >= from && t <= to) instants.push(t - 1, t, t + 1);
    for (let i = 0; i < 2_000; i++) instants.push(Math.floor(from + random() * (to - from)));
    for (const ms of instants) assert.equal(system.offsetAt(ms), intl.offsetAt(ms), `${name} at ${new Date(ms).toISOString()}`);
    assert.equal(system.formatIso(Date.parse('2026-12-02T00:30:00Z')), intl.formatIso(Date.parse('2026-12-02T00:30:00Z')));
  }
  assert.equal(new TimeZone('Asia/Jakarta').offsetAt(Date.parse('2026-12-02T00:00:00Z')), 7 * H);
  for (const name of ['America/New_York', 'Europe/Berlin', 'Australia/Sydney']) assert.equal(new TimeZone(name).source, 'intl', name);
});
