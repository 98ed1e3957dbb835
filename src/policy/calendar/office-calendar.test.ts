import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { parseConfigText } from '../../config/index.js';
import { decide } from '../index.js';
import { CALENDAR_YEARS, calendarHolidays, ramadanSpans } from './index.js';
import { configProblems, type ConfigProblem } from '../../../test/kit/config-problems.js';

const at = (iso: string): number => Date.parse(iso);
const LOADED_AT = at('2026-01-02T09:00:00+07:00');

/** The Ramadan hours of the KemenPAN-RB circulars for a five-day week. */
const OFFICE = (extra: string) => `
timezone: Asia/Jakarta
holidays: [indonesia, { date: "2026-07-02", name: "Hari jadi kota" }]
${extra}
schedules:
  jam-kerja:
    weekly:
      - { days: [mon, tue, wed, thu, fri], from: "07:00", to: "16:00" }
    periods:
      - span: ramadan
        ranges:
          - { days: [mon, tue, wed, thu], from: "08:00", to: "15:00" }
          - { days: [fri], from: "08:00", to: "15:30" }
rules:
  - name: blokir-streaming
    block: [youtube]
    during: jam-kerja
  - name: uji-tiktok
    block: [tiktok]
    during: jam-kerja
    startsOn: "2026-04-07"
  - name: uji-netflix
    block: [netflix]
    mode: monitor
`;
const policy = parseConfigText(OFFICE(''), 'office.yaml', { baseDir: tmpdir(), now: LOADED_AT }).policy;
const moved = parseConfigText(OFFICE('workdays: ["2026-03-24"]'), 'office.yaml', { baseDir: tmpdir(), now: LOADED_AT }).policy;

type Row = [what: string, name: string, instant: string, action: 'block' | 'allow', until: string | null, monitor?: string];

// 2026: Ramadan 19 February (Thursday) to 20 March; Nyepi 19 March with cuti bersama 18 March;
// Idulfitri 21-22 March with cuti bersama 20, 23 and 24 March.
const YEAR_2026: Row[] = [
  ['the last day before Ramadan keeps the weekly hours', 'youtube.com', '2026-02-18T15:59:59+07:00', 'block', '2026-02-18T16:00:00+07:00'],
  ['after work the day before Ramadan, the next block is 08:00, not 07:00', 'youtube.com', '2026-02-18T16:00:00+07:00', 'allow', '2026-02-19T08:00:00+07:00'],
  ['first day of Ramadan 07:00 is still free', 'youtube.com', '2026-02-19T07:00:00+07:00', 'allow', '2026-02-19T08:00:00+07:00'],
  ['first day of Ramadan 07:58 lives until 08:00', 'youtube.com', '2026-02-19T07:58:00+07:00', 'allow', '2026-02-19T08:00:00+07:00'],
  ['first day of Ramadan 07:59:59', 'youtube.com', '2026-02-19T07:59:59+07:00', 'allow', '2026-02-19T08:00:00+07:00'],
  ['first day of Ramadan 08:00', 'youtube.com', '2026-02-19T08:00:00+07:00', 'block', '2026-02-19T15:00:00+07:00'],
  ['first day of Ramadan 14:59:59', 'youtube.com', '2026-02-19T14:59:59+07:00', 'block', '2026-02-19T15:00:00+07:00'],
  ['first day of Ramadan 15:00', 'youtube.com', '2026-02-19T15:00:00+07:00', 'allow', '2026-02-20T08:00:00+07:00'],
  ['Friday in Ramadan ends 15:30', 'youtube.com', '2026-02-20T15:29:59+07:00', 'block', '2026-02-20T15:30:00+07:00'],
  ['Friday in Ramadan 15:30, next block Monday 08:00', 'youtube.com', '2026-02-20T15:30:00+07:00', 'allow', '2026-02-23T08:00:00+07:00'],
  ['last working day of Ramadan (before the cuti bersama) 07:59', 'youtube.com', '2026-03-17T07:59:00+07:00', 'allow', '2026-03-17T08:00:00+07:00'],
  ['last working day of Ramadan 08:00', 'youtube.com', '2026-03-17T08:00:00+07:00', 'block', '2026-03-17T15:00:00+07:00'],
  ['last working day of Ramadan 14:59', 'youtube.com', '2026-03-17T14:59:00+07:00', 'block', '2026-03-17T15:00:00+07:00'],
  ['last working day of Ramadan 15:00: free until after Idulfitri and its cuti bersama', 'youtube.com', '2026-03-17T15:00:00+07:00', 'allow', '2026-03-25T07:00:00+07:00'],
  ['cuti bersama Nyepi', 'youtube.com', '2026-03-18T10:00:00+07:00', 'allow', '2026-03-25T07:00:00+07:00'],
  ['the last day of Ramadan is cuti bersama Idulfitri', 'youtube.com', '2026-03-20T10:00:00+07:00', 'allow', '2026-03-25T07:00:00+07:00'],
  ['Idulfitri', 'youtube.com', '2026-03-21T10:00:00+07:00', 'allow', '2026-03-25T07:00:00+07:00'],
  ['the last cuti bersama day', 'youtube.com', '2026-03-24T10:00:00+07:00', 'allow', '2026-03-25T07:00:00+07:00'],
  ['the first day after, weekly hours again', 'youtube.com', '2026-03-25T07:00:00+07:00', 'block', '2026-03-25T16:00:00+07:00'],
  ['a local holiday from the file', 'youtube.com', '2026-07-02T10:00:00+07:00', 'allow', '2026-07-03T07:00:00+07:00'],
  ['Isra Mikraj 16 January', 'youtube.com', '2026-01-16T10:00:00+07:00', 'allow', '2026-01-19T07:00:00+07:00'],
  // A rule on trial: the day before startsOn it monitors, on it it blocks.
  ['the day before startsOn: would block', 'www.tiktok.com', '2026-04-06T10:00:00+07:00', 'allow', '2026-04-06T16:00:00+07:00', 'uji-tiktok'],
  ['the evening before startsOn: free until the first block', 'www.tiktok.com', '2026-04-06T23:59:59+07:00', 'allow', '2026-04-07T07:00:00+07:00'],
  ['startsOn at 07:00: enforced', 'www.tiktok.com', '2026-04-07T07:00:00+07:00', 'block', '2026-04-07T16:00:00+07:00'],
  ['a rule in monitor mode without a date never blocks', 'www.netflix.com', '2026-04-07T10:00:00+07:00', 'allow', null, 'uji-netflix'],
];

// 2025: Ramadan 1 March (Saturday) to 30 March; cuti bersama Nyepi 28 March, Nyepi 29 March,
// Idulfitri 31 March-1 April with cuti bersama 2, 3, 4 and 7 April.
const YEAR_2025: Row[] = [
  ['the Friday before Ramadan keeps the weekly hours', 'youtube.com', '2025-02-28T15:59:59+07:00', 'block', '2025-02-28T16:00:00+07:00'],
  ['after it, the next block is Monday 08:00 in Ramadan', 'youtube.com', '2025-02-28T16:00:00+07:00', 'allow', '2025-03-03T08:00:00+07:00'],
  ['first working day of Ramadan 07:59', 'youtube.com', '2025-03-03T07:59:00+07:00', 'allow', '2025-03-03T08:00:00+07:00'],
  ['first working day of Ramadan 08:00', 'youtube.com', '2025-03-03T08:00:00+07:00', 'block', '2025-03-03T15:00:00+07:00'],
  ['first working day of Ramadan 14:59', 'youtube.com', '2025-03-03T14:59:00+07:00', 'block', '2025-03-03T15:00:00+07:00'],
  ['first working day of Ramadan 15:00', 'youtube.com', '2025-03-03T15:00:00+07:00', 'allow', '2025-03-04T08:00:00+07:00'],
  ['last working day of Ramadan 07:59', 'youtube.com', '2025-03-27T07:59:00+07:00', 'allow', '2025-03-27T08:00:00+07:00'],
  ['last working day of Ramadan 14:59', 'youtube.com', '2025-03-27T14:59:00+07:00', 'block', '2025-03-27T15:00:00+07:00'],
  ['last working day of Ramadan 15:00: free through Nyepi, Idulfitri and the cuti bersama', 'youtube.com', '2025-03-27T15:00:00+07:00', 'allow', '2025-04-08T07:00:00+07:00'],
  ['the last cuti bersama day of Idulfitri', 'youtube.com', '2025-04-07T10:00:00+07:00', 'allow', '2025-04-08T07:00:00+07:00'],
  ['the first working day after, weekly hours again', 'youtube.com', '2025-04-08T07:00:00+07:00', 'block', '2025-04-08T16:00:00+07:00'],
];

const MOVED_2026: Row[] = [
  ['a cuti bersama day worked (workdays) blocks as any Tuesday', 'youtube.com', '2026-03-24T10:00:00+07:00', 'block', '2026-03-24T16:00:00+07:00'],
  ['so the holiday run ends a day earlier', 'youtube.com', '2026-03-17T15:00:00+07:00', 'allow', '2026-03-24T07:00:00+07:00'],
  ['the day before it is still cuti bersama', 'youtube.com', '2026-03-23T10:00:00+07:00', 'allow', '2026-03-24T07:00:00+07:00'],
];

function check(p: typeof policy, rows: Row[]): void {
  for (const [what, name, instant, action, until, monitor] of rows) {
    const d = decide(p, '10.1.1.1', name, at(instant));
    assert.equal(d.action, action, what);
    assert.equal(d.until, until === null ? null : at(until), `${what}: until ${d.until === null ? null : new Date(d.until).toISOString()}`);
    assert.equal(d.monitor === true, monitor !== undefined, `${what}: monitor`);
    if (monitor !== undefined) assert.equal(d.rule, monitor, `${what}: rule`);
  }
}

test('2026 with the indonesia calendar and Ramadan hours: every boundary', () => check(policy, YEAR_2026));
test('2025 with the indonesia calendar and Ramadan hours: every boundary', () => check(policy, YEAR_2025));
test('2026 with a cuti bersama day cancelled by workdays', () => check(moved, MOVED_2026));

test('a monitored decision names its rule and service; the key is absent otherwise', () => {
  assert.deepEqual(decide(policy, '10.1.1.1', 'www.tiktok.com', at('2026-04-06T10:00:00+07:00')),
    { action: 'allow', service: 'tiktok', rule: 'uji-tiktok', exemption: null, until: at('2026-04-06T16:00:00+07:00'), monitor: true });
  assert.equal('monitor' in decide(policy, '10.1.1.1', 'www.tiktok.com', at('2026-04-07T10:00:00+07:00')), false);
});

test('a rule on trial does not lift a later rule that blocks', () => {
  const p = parseConfigText(`
rules:
  - name: uji
    block: [youtube]
    mode: monitor
  - name: tetap
    block: [youtube]
`, 't.yaml', { baseDir: tmpdir() }).policy;
  const d = decide(p, '10.0.0.1', 'youtube.com', at('2026-04-06T10:00:00+07:00'));
  assert.equal(d.action, 'block');
  assert.equal(d.rule, 'tetap');
});

test('holiday names come from the calendar; indonesia-libur-nasional leaves out cuti bersama', () => {
  assert.equal(policy.holidayNames['2026-03-21'], 'Idulfitri 1447 H');
  assert.equal(policy.holidayNames['2026-07-02'], 'Hari jadi kota');
  assert.deepEqual(policy.calendars, ['indonesia']);
  const national = parseConfigText('holidays: [indonesia-libur-nasional, "2026-12-24"]\n', 'n.yaml', { baseDir: tmpdir() }).policy;
  assert.ok(national.holidays.includes('2026-03-21'));
  assert.ok(!national.holidays.includes('2026-03-23'), 'cuti bersama is a working day');
  assert.ok(national.holidays.includes('2026-12-24'), 'a date from the file');
  assert.equal(national.calendarDataEnd, '2026-12-31');
});

test('the data: every year has its decree, 17 national holidays, its cuti bersama, dates in its year', () => {
  const cuti: Record<number, number> = { 2025: 10, 2026: 8 };
  for (const y of CALENDAR_YEARS) {
    assert.match(y.decree.numbers, /Nomor/);
    assert.ok(y.sources.length > 0);
    assert.equal(y.holidays.filter((h) => h.kind === 'libur').length, 17, `${y.year} national holidays`);
    assert.equal(y.holidays.filter((h) => h.kind === 'cuti').length, cuti[y.year], `${y.year} cuti bersama`);
    for (const h of y.holidays) assert.ok(h.date.startsWith(`${y.year}-`), h.date);
  }
  assert.equal(calendarHolidays('indonesia').length, 27 + 25);
  assert.deepEqual(ramadanSpans().map((r) => [r.from, r.to]), [['2025-03-01', '2025-03-30'], ['2026-02-19', '2026-03-20']]);
});

const problems = (text: string): ConfigProblem[] => configProblems(text);

const WEEKLY = '    weekly: [{ days: [mon], from: "07:00", to: "16:00" }]\n';
const BAD: [what: string, yaml: string, line: number, key: string, pattern: RegExp][] = [
  ['unknown calendar with a suggestion', 'holidays:\n  - "2026-12-25"\n  - indonesa\n', 3, 'holidays.1', /unknown calendar "indonesa": did you mean "indonesia"\?/],
  ['a bad date among holidays', 'holidays: [indonesia, "2026-13-01"]\n', 1, 'holidays.1', /invalid date "2026-13-01"/],
  ['reversed period', `schedules:\n  s:\n${WEEKLY}    periods:\n      - from: "2027-02-27"\n        to: "2027-02-20"\n        ranges: []\n`, 6, 'schedules.s.periods.0.to', /ends on 2027-02-20, before it starts on 2027-02-27/],
  ['overlapping periods', `schedules:\n  s:\n${WEEKLY}    periods:\n      - { from: "2026-03-01", to: "2026-03-10", ranges: [] }\n      - { name: pekan-kota, from: "2026-03-10", to: "2026-03-12", ranges: [] }\n`, 6, 'schedules.s.periods.1', /"pekan-kota" .* overlaps/],
  ['a period overlapping Ramadan', `schedules:\n  s:\n${WEEKLY}    periods:\n      - { span: ramadan, ranges: [] }\n      - { from: "2026-03-10", to: "2026-03-30", ranges: [] }\n`, 6, 'schedules.s.periods.1', /overlaps period "ramadan"/],
  ['unknown span', `schedules:\n  s:\n${WEEKLY}    periods:\n      - { span: ramadhan, ranges: [] }\n`, 5, 'schedules.s.periods.0.span', /unknown span "ramadhan": did you mean "ramadan"/],
  ['startsOn not YYYY-MM-DD', 'rules:\n  - name: r\n    block: [youtube]\n    startsOn: "07/04/2027"\n', 4, 'rules.0.startsOn', /invalid date "07\/04\/2027": expected YYYY-MM-DD/],
  ['mode not monitor or enforce', 'rules:\n  - name: r\n    block: [youtube]\n    mode: trial\n', 4, 'rules.0.mode', /expected one of enforce, monitor/],
  ['a workday that is no holiday', 'holidays: [indonesia]\nworkdays:\n  - "2026-03-26"\n', 3, 'workdays.0', /"2026-03-26" is not a holiday of "indonesia"/],
  ['a workday without a calendar', 'workdays: ["2026-03-24"]\n', 1, 'workdays.0', /no built-in calendar is in use/],
];

test('bad calendar input is refused with file, line and key', () => {
  for (const [what, yaml, line, key, pattern] of BAD) {
    const found = problems(yaml);
    const p = found.find((x) => x.key === key);
    assert.ok(p !== undefined, `${what}: no problem at ${key}: ${JSON.stringify(found)}`);
    assert.equal(p.line, line, `${what}: line`);
    assert.match(p.message, pattern, what);
  }
});
