/**
 * Which days are holidays for one policy: the `holidays:` list (dates, `{date, name}` objects and
 * built-in calendar names, mixed) minus the `workdays:` dates (a built-in holiday moved after the
 * sighting, or worked anyway). Problems go to `fail` with their key path; nothing is thrown here.
 */
import { isCalendarDate } from '../parse-instant.js';
import { CALENDAR_NAMES, type CalendarName, calendarDataEnd, calendarHolidays, closestName, isCalendarName } from './builtin-calendars.js';

export type HolidayEntry = string | { date: string; name?: string };
type Fail = (path: (string | number)[], message: string) => void;

/** The office's holidays, resolved. */
export interface OfficeCalendar {
  /** Every holiday date, sorted. */
  holidays: string[];
  /** Names by date: the built-in calendars' and the file's (the file's win). */
  holidayNames: Record<string, string>;
  /** Built-in calendars the policy uses, in file order. */
  calendars: CalendarName[];
  /** Last date the built-in data covers, or null when no built-in calendar is used. */
  dataEnd: string | null;
}

/** Looks like a date someone meant to write (so "2026-1-5" is a bad date, not an unknown calendar). */
const DATE_LIKE = /^\d{2,4}[-/.]\d/;

export function resolveCalendar(entries: readonly HolidayEntry[], workdays: readonly string[], fail: Fail): OfficeCalendar {
  const dates = new Set<string>();
  const names: Record<string, string> = {};
  const localNames: Record<string, string> = {};
  const calendars: CalendarName[] = [];
  const builtin = new Set<string>();
  entries.forEach((h, i) => {
    if (typeof h === 'string' && !isCalendarDate(h) && !DATE_LIKE.test(h)) {
      if (!isCalendarName(h)) {
        const close = closestName(h, CALENDAR_NAMES);
        fail(['holidays', i], `unknown calendar "${h}"${close !== null ? `: did you mean "${close}"?` : `: known are ${CALENDAR_NAMES.join(', ')}, or give a date as YYYY-MM-DD`}`);
        return;
      }
      if (!calendars.includes(h)) calendars.push(h);
      for (const d of calendarHolidays(h)) {
        dates.add(d.date);
        builtin.add(d.date);
        // Two holidays on one day (none in the data today) would read "A; B".
        names[d.date] = names[d.date] === undefined || names[d.date] === d.name ? d.name : `${names[d.date]}; ${d.name}`;
      }
      return;
    }
    const date = typeof h === 'string' ? h : h.date;
    const path = typeof h === 'string' ? ['holidays', i] : ['holidays', i, 'date'];
    if (!isCalendarDate(date)) { fail(path, `invalid date "${date}": expected YYYY-MM-DD`); return; }
    dates.add(date);
    if (typeof h !== 'string' && h.name !== undefined && h.name.trim() !== '') localNames[date] = h.name.trim();
  });
  Object.assign(names, localNames);
  const seen = new Set<string>();
  workdays.forEach((w, i) => {
    if (!isCalendarDate(w)) { fail(['workdays', i], `invalid date "${w}": expected YYYY-MM-DD`); return; }
    if (seen.has(w)) { fail(['workdays', i], `workday "${w}" is listed twice`); return; }
    seen.add(w);
    if (!builtin.has(w)) {
      fail(['workdays', i], calendars.length === 0
        ? `workday "${w}" cancels nothing: no built-in calendar is in use (add "indonesia" to holidays, or remove the date from holidays)`
        : `workday "${w}" is not a holiday of ${calendars.map((c) => `"${c}"`).join(' or ')}`);
      return;
    }
    dates.delete(w);
    delete names[w];
  });
  const holidays = [...dates].sort();
  const holidayNames: Record<string, string> = {};
  for (const d of holidays) if (names[d] !== undefined) holidayNames[d] = names[d]!;
  return { holidays, holidayNames, calendars, dataEnd: calendars.length > 0 ? calendarDataEnd() : null };
}
