/**
 * Weekly schedules in a policy's time zone. A range runs from `from` (inclusive) to `to`
 * (exclusive) local time on each of its days; `to` at or before `from` crosses midnight and the range
 * belongs to the day it starts on, so a holiday cancels the ranges that start on it, and an overnight
 * range that starts the evening before a holiday still runs into the holiday's early hours. On the days
 * of a dated period (Ramadan hours), the period's ranges replace the weekly ones.
 */
import { addDays, dateKey, type LocalDate, TimeZone } from './time-zone.js';

const DAY_MS = 86_400_000;
/** How far ahead a schedule looks for its next change before saying it never changes. */
const HORIZON_DAYS = 800;

export interface CompiledRange {
  /** Weekdays the range starts on, 0 = Monday. */
  days: ReadonlySet<number>;
  /** Minutes after local midnight. */
  from: number;
  /** Minutes after local midnight of the start day; may exceed 1440 for overnight ranges. */
  to: number;
}

/** Active state at an instant and the span it holds for. */
export interface ScheduleState {
  active: boolean;
  /** Epoch ms at which the state began (or the lookback limit). */
  since: number;
  /** Epoch ms of the next change, or null when none within the horizon. */
  until: number | null;
}

/** Parse `HH:MM` (00:00..24:00) into minutes, or return null. */
export function parseClock(text: string): number | null {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (m === null) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes > 1440 ? null : minutes;
}

/** Ranges that replace the weekly ones from `from` to `to` (local dates, inclusive). */
export interface SchedulePeriod {
  name: string;
  from: string;
  to: string;
  ranges: readonly CompiledRange[];
}

/** What a schedule does on one local date. */
export interface DayPlan {
  holiday: boolean;
  /** The period whose ranges apply, or null for the weekly ranges. */
  period: string | null;
  /** Ranges starting that day (none on a holiday). */
  ranges: readonly CompiledRange[];
}

export class Schedule {
  readonly name: string;
  readonly ranges: readonly CompiledRange[];
  readonly periods: readonly SchedulePeriod[];
  readonly #zone: TimeZone;
  readonly #holidays: ReadonlySet<string>;
  #cache: ScheduleState | null = null;

  constructor(name: string, ranges: readonly CompiledRange[], zone: TimeZone, holidays: ReadonlySet<string>, periods: readonly SchedulePeriod[] = []) {
    this.name = name;
    this.ranges = ranges;
    this.periods = periods;
    this.#zone = zone;
    this.#holidays = holidays;
  }

  /** The ranges that start on `date` and why: a holiday, a period or the weekly pattern. */
  dayPlan(date: LocalDate): DayPlan {
    const key = dateKey(date);
    if (this.#holidays.has(key)) return { holiday: true, period: null, ranges: [] };
    const period = this.#periodOn(key);
    const ranges = (period?.ranges ?? this.ranges).filter((r) => r.days.has(date.weekday));
    return { holiday: false, period: period?.name ?? null, ranges };
  }

  #periodOn(key: string): SchedulePeriod | undefined {
    for (const p of this.periods) if (key >= p.from && key <= p.to) return p;
    return undefined;
  }

  /** Whether the schedule is active at `at` and until when. Memoised for the span it holds. */
  stateAt(at: number): ScheduleState {
    const c = this.#cache;
    if (c !== null && at >= c.since && (c.until === null || at < c.until)) return c;
    const state = this.#compute(at);
    this.#cache = state;
    return state;
  }

  /** The next `count` changes after `at`. */
  transitions(at: number, count: number): { at: number; active: boolean }[] {
    const out: { at: number; active: boolean }[] = [];
    let t = at;
    while (out.length < count) {
      const s = this.stateAt(t);
      if (s.until === null) break;
      out.push({ at: s.until, active: !s.active });
      t = s.until;
    }
    return out;
  }

  /** Intervals [start, end) in epoch ms of the ranges starting on local date `date`. */
  #intervalsOn(date: LocalDate, out: [number, number][]): void {
    const key = dateKey(date);
    if (this.#holidays.has(key)) return;
    const ranges = this.periods.length === 0 ? this.ranges : (this.#periodOn(key)?.ranges ?? this.ranges);
    for (const r of ranges) {
      if (!r.days.has(date.weekday)) continue;
      const start = this.#zone.toInstant(date.year, date.month, date.day, r.from);
      const end = this.#zone.toInstant(date.year, date.month, date.day, r.to);
      if (end > start) out.push([start, end]);
    }
  }

  #compute(at: number): ScheduleState {
    const today = this.#zone.localDate(at);
    // Collect intervals from two days back, extending forward until one starts after `at` and the
    // interval containing `at` (if any) is closed by a gap.
    const intervals: [number, number][] = [];
    for (let d = -2; d <= 1; d++) this.#intervalsOn(addDays(today, d), intervals);
    let ahead = 1;
    const merged = (): [number, number][] => mergeIntervals(intervals);
    let list = merged();
    while (ahead < HORIZON_DAYS && !settled(list, at)) {
      for (let i = 0; i < 7 && ahead < HORIZON_DAYS; i++) this.#intervalsOn(addDays(today, ++ahead), intervals);
      list = merged();
    }
    const lookback = at - 2 * DAY_MS;
    const open = !settled(list, at);
    let prevEnd = lookback;
    for (let i = 0; i < list.length; i++) {
      const [s, e] = list[i]!;
      if (at < s) return { active: false, since: Math.max(prevEnd, lookback), until: s };
      // Active through the whole horizon: treat as never ending.
      if (at < e) return { active: true, since: s, until: open && i === list.length - 1 ? null : e };
      prevEnd = e;
    }
    return { active: false, since: Math.max(prevEnd, lookback), until: null };
  }
}

/** Whether `list` already determines the state and next change at `at`. */
function settled(list: readonly [number, number][], at: number): boolean {
  for (let i = 0; i < list.length; i++) {
    const [s, e] = list[i]!;
    if (at < s) return true;
    // Inside an interval: settled when a later interval exists (the gap is known).
    if (at < e) return i + 1 < list.length;
  }
  return false;
}

function mergeIntervals(intervals: [number, number][]): [number, number][] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}
