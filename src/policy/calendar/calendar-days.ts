/**
 * The days ahead as the office sees them: for each local date, whether it is a holiday (and which),
 * and the ranges each schedule runs that day with the period that set them (Ramadan hours). The
 * public status page draws its 14-day strip from this.
 */
import type { Policy } from '../policy.js';
import { addDays, dateKey } from '../time-zone.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export interface CalendarDay {
  date: string;
  weekday: (typeof WEEKDAYS)[number];
  holiday: boolean;
  /** The holiday's name, when the calendar or the file gives one. */
  holidayName: string | null;
  schedules: { name: string; period: string | null; ranges: { from: string; to: string }[] }[];
}

function clock(minutes: number): string {
  const m = minutes % 1440 === 0 && minutes > 0 ? 1440 : minutes % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** `count` days from the local date of `now`, for the schedules named (default: every schedule). */
export function calendarDays(policy: Policy, now: number, count: number, schedules?: readonly string[]): CalendarDay[] {
  const names = schedules ?? policy.schedules.map((s) => s.name);
  const today = policy.zone.localDate(now);
  const holidays = new Set(policy.holidays);
  const out: CalendarDay[] = [];
  for (let i = 0; i < count; i++) {
    const d = addDays(today, i);
    const date = dateKey(d);
    const holiday = holidays.has(date);
    out.push({
      date,
      weekday: WEEKDAYS[d.weekday]!,
      holiday,
      holidayName: holiday ? (policy.holidayNames[date] ?? null) : null,
      schedules: names.map((name) => {
        const plan = policy.scheduleDay(name, date);
        return { name, period: plan?.period ?? null, ranges: (plan?.ranges ?? []).map((r) => ({ from: clock(r.from), to: clock(r.to) })) };
      }),
    });
  }
  return out;
}
