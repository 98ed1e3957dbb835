/**
 * The work-hour windows of a before/after comparison: the `days` working days before a chosen local
 * date and the `days` working days from it (those already begun), each 07:00-16:00 in the policy's
 * time zone. A working day is Monday to Friday and not a holiday of the policy's calendar (built-in
 * national holidays and collective leave, and the file's own dates).
 */
import { addDays, dateKey, type Policy } from '../policy/index.js';

export const WORK_FROM_MINUTES = 7 * 60;
export const WORK_TO_MINUTES = 16 * 60;
/** Calendar days searched on each side for the working days asked for. */
const SEARCH_DAYS = 400;

export interface WorkWindow {
  /** Local date, YYYY-MM-DD. */
  date: string;
  /** Epoch ms: 07:00 local, inclusive. */
  from: number;
  /** Epoch ms: 16:00 local (or `now` when earlier), exclusive. */
  to: number;
}

type CalendarView = Pick<Policy, 'zone' | 'holidays'>;

/** Whether `date` (local, with its weekday, 0 = Monday) is a working day of `policy`. */
function working(holidays: ReadonlySet<string>, d: { weekday: number }, key: string): boolean {
  return d.weekday < 5 && !holidays.has(key);
}

/**
 * The windows before `date` (newest last) and from `date` on (up to `now`; a day not yet begun is
 * left out, a day under way ends at `now`). `date` is `YYYY-MM-DD`.
 */
export function workWindows(policy: CalendarView, date: string, days: number, now: number): { before: WorkWindow[]; after: WorkWindow[] } {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const start = { year, month, day };
  const holidays = new Set(policy.holidays);
  const window = (d: { year: number; month: number; day: number }, key: string): WorkWindow => ({
    date: key, from: policy.zone.toInstant(d.year, d.month, d.day, WORK_FROM_MINUTES), to: policy.zone.toInstant(d.year, d.month, d.day, WORK_TO_MINUTES),
  });
  const before: WorkWindow[] = [];
  for (let i = 1; i <= SEARCH_DAYS && before.length < days; i++) {
    const d = addDays(start, -i);
    const key = dateKey(d);
    if (working(holidays, d, key)) before.unshift(window(d, key));
  }
  const after: WorkWindow[] = [];
  for (let i = 0; i <= SEARCH_DAYS && after.length < days; i++) {
    const d = addDays(start, i);
    const key = dateKey(d);
    if (!working(holidays, d, key)) continue;
    const w = window(d, key);
    if (w.from >= now) break;
    after.push({ ...w, to: Math.min(w.to, now) });
  }
  return { before, after };
}
