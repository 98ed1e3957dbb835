import type { Policy } from '../policy/index.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** The local calendar day of `at` in the policy's time zone: its date, weekday and start instant. */
export function localDay(policy: Policy, at: number): { date: string; weekday: string; start: number; holiday: boolean } {
  const d = policy.zone.localDate(at);
  const date = `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
  return {
    date,
    weekday: WEEKDAYS[d.weekday] ?? 'mon',
    start: policy.zone.toInstant(d.year, d.month, d.day, 0),
    holiday: policy.holidays.includes(date),
  };
}
