import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { runCheck } from './check-command.js';
import type { CliIo } from './cli-io.js';
import { runExplain } from './explain-command.js';
import { testClock } from './test-clock.js';

const dir = mkdtempSync(join(tmpdir(), 'rambu-calendar-cli-'));
const CONFIG = join(dir, 'rambu.yaml');
writeFileSync(CONFIG, `
holidays: [indonesia, { date: "2026-11-09", name: "Hari jadi kota" }]
schedules:
  jam-kerja:
    weekly: [{ days: [mon, tue, wed, thu, fri], from: "07:00", to: "16:00" }]
    periods:
      - span: ramadan
        ranges: [{ days: [mon, tue, wed, thu, fri], from: "08:00", to: "15:00" }]
rules:
  - name: uji-tiktok
    block: [tiktok]
    during: jam-kerja
    startsOn: "2026-12-01"
`);

function io(nowIso: string): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return { stdout, stderr, stdin: new PassThrough(), now: () => Date.parse(nowIso), out: () => out, err: () => err };
}

test('explain: a rule on trial would block; --json says allow, the rule, the service and monitor', async () => {
  const words = io('2026-11-30T10:00:00+07:00');
  assert.equal(await runExplain({ config: CONFIG, client: '10.1.1.1', name: 'www.tiktok.com', at: '2026-11-30T10:00:00+07:00', json: false }, words), 0);
  assert.match(words.out(), /^ALLOW www\.tiktok\.com/);
  assert.match(words.out(), /would be blocked by uji-tiktok \(monitor until 2026-12-01\)/);
  const json = io('2026-11-30T10:00:00+07:00');
  await runExplain({ config: CONFIG, client: '10.1.1.1', name: 'www.tiktok.com', at: '2026-11-30T10:00:00+07:00', json: true }, json);
  assert.deepEqual(JSON.parse(json.out()), { action: 'allow', service: 'tiktok', rule: 'uji-tiktok', exemption: null, until: '2026-11-30T16:00:00+07:00', monitor: true });
  const enforced = io('2026-12-01T10:00:00+07:00');
  await runExplain({ config: CONFIG, client: '10.1.1.1', name: 'www.tiktok.com', at: '2026-12-01T10:00:00+07:00', json: true }, enforced);
  const d = JSON.parse(enforced.out()) as Record<string, unknown>;
  assert.equal(d['action'], 'block');
  assert.equal('monitor' in d, false);
});

test('check: the next holidays with names; a warning when the calendar data ends within 60 days', async () => {
  const early = io('2026-09-01T09:00:00+07:00');
  assert.equal(await runCheck({ config: CONFIG, json: false }, early), 0);
  assert.match(early.out(), /holidays: calendar indonesia \(data until 2026-12-31\)/);
  assert.match(early.out(), /2026-11-09 Mon {2}Hari jadi kota\n {4}2026-12-24 Thu {2}Cuti bersama Kelahiran Yesus Kristus\n {4}2026-12-25 Fri {2}Kelahiran Yesus Kristus/);
  assert.match(early.out(), /ramadan 2026-02-19 to 2026-03-20/);
  assert.match(early.out(), /\[monitor until 2026-12-01\]/);
  assert.doesNotMatch(early.out(), /no holidays or Ramadan dates after/);
  const late = io('2026-11-15T09:00:00+07:00');
  await runCheck({ config: CONFIG, json: true }, late);
  const j = JSON.parse(late.out()) as { warnings: string[]; nextHolidays: { date: string; name: string }[] };
  assert.ok(j.warnings.some((w) => /"indonesia" end on 2026-12-31: no holidays or Ramadan dates after that day/.test(w)), JSON.stringify(j.warnings));
  assert.deepEqual(j.nextHolidays[0], { date: '2026-12-24', name: 'Cuti bersama Kelahiran Yesus Kristus' });
});

test('the console test clock starts at RAMBU_TEST_NOW and runs on; a bad value is refused', () => {
  let wall = 1_000;
  const clock = testClock({ RAMBU_TEST_NOW: '2026-01-16T10:00:00+07:00' }, () => wall);
  assert.equal(clock?.(), Date.parse('2026-01-16T10:00:00+07:00'));
  wall += 5_000;
  assert.equal(clock?.(), Date.parse('2026-01-16T10:00:05+07:00'));
  assert.equal(testClock({}), null);
  assert.throws(() => testClock({ RAMBU_TEST_NOW: 'tomorrow' }), RangeError);
});
