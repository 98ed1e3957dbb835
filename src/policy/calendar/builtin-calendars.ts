/**
 * The built-in calendars: `indonesia` (national holidays and cuti bersama) and
 * `indonesia-libur-nasional` (national holidays only, for offices that work on cuti bersama days),
 * for every year whose decree rambu carries. The 2027 decree was not found in the sources checked
 * when this data was last updated (December 2026), so 2027 has no data: `rambu check` says so when
 * the end of the data comes within 60 days.
 */
import type { CalendarHoliday, CalendarYear } from './calendar-year.js';
import { INDONESIA_2025 } from './indonesia-2025.js';
import { INDONESIA_2026 } from './indonesia-2026.js';

/** Every year of data, oldest first. */
export const CALENDAR_YEARS: readonly CalendarYear[] = [INDONESIA_2025, INDONESIA_2026];

export const CALENDAR_NAMES = ['indonesia', 'indonesia-libur-nasional'] as const;
export type CalendarName = (typeof CALENDAR_NAMES)[number];

/** The name of the built-in dated span a schedule period can use instead of dates. */
export const RAMADAN = 'ramadan';

export function isCalendarName(name: string): name is CalendarName {
  return (CALENDAR_NAMES as readonly string[]).includes(name);
}

/** The holidays of calendar `name`, in date order. */
export function calendarHolidays(name: CalendarName): CalendarHoliday[] {
  const all = CALENDAR_YEARS.flatMap((y) => y.holidays);
  return name === 'indonesia' ? all : all.filter((h) => h.kind === 'libur');
}

/** The last date (YYYY-MM-DD) the built-in data covers: the end of its last year. */
export function calendarDataEnd(): string {
  const last = CALENDAR_YEARS[CALENDAR_YEARS.length - 1]!;
  return `${last.year}-12-31`;
}

/** The Ramadan spans the data knows, oldest first. */
export function ramadanSpans(): { year: number; from: string; to: string }[] {
  return CALENDAR_YEARS.flatMap((y) => (y.ramadan === null ? [] : [{ year: y.year, from: y.ramadan.from, to: y.ramadan.to }]));
}

/** The closest of `known` to `name` within two edits, for "did you mean" hints. */
export function closestName(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}
