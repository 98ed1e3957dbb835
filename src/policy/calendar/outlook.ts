/**
 * What `rambu check` and the console say about the calendar ahead: the next holidays with their
 * names, and whether the built-in data runs out soon (a new year's decree is published each autumn).
 */
import { addDays, dateKey, type TimeZone } from '../time-zone.js';

/** Days ahead the built-in data must cover before `rambu check` warns. */
export const COVERAGE_DAYS = 60;

export interface CalendarOutlook {
  /** The next holidays from today (inclusive). */
  next: { date: string; name: string | null }[];
  /** A warning when a built-in calendar is used and its data ends within {@link COVERAGE_DAYS}. */
  warning: string | null;
}

export interface OutlookSource {
  zone: TimeZone;
  holidays: readonly string[];
  holidayNames: Readonly<Record<string, string>>;
  calendars: readonly string[];
  calendarDataEnd: string | null;
}

export function calendarOutlook(policy: OutlookSource, now: number, count = 5): CalendarOutlook {
  const today = policy.zone.localDate(now);
  const todayKey = dateKey(today);
  const next = policy.holidays.filter((d) => d >= todayKey).slice(0, count).map((date) => ({ date, name: policy.holidayNames[date] ?? null }));
  const horizon = dateKey(addDays(today, COVERAGE_DAYS));
  const end = policy.calendarDataEnd;
  const warning = end !== null && end < horizon
    ? `the built-in calendar${policy.calendars.length > 1 ? 's' : ''} ${policy.calendars.map((c) => `"${c}"`).join(', ')} ${end < todayKey ? 'ended' : 'end'} on ${end}: no holidays or Ramadan dates after that day until rambu is updated with the next year's decree; list the days under holidays: meanwhile`
    : null;
  return { next, warning };
}
