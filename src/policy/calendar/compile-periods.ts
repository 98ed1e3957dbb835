/**
 * Dated periods of a schedule: spans of days on which other ranges replace the weekly ones (Ramadan
 * working hours, a city event week). A period gives `from` and `to` dates (both inclusive) or
 * `span: ramadan`, which stands for every Ramadan the built-in calendar knows. Periods of one
 * schedule must not overlap, so a day never has two answers.
 */
import { isCalendarDate } from '../parse-instant.js';
import { closestName, RAMADAN, ramadanSpans } from './builtin-calendars.js';

type Fail = (path: (string | number)[], message: string) => void;

export interface PeriodConfig<R> {
  name?: string;
  span?: string;
  from?: string;
  to?: string;
  ranges: readonly R[];
}

/** One period with its dates, both inclusive, YYYY-MM-DD. */
export interface DatedPeriod<C> {
  name: string;
  from: string;
  to: string;
  ranges: readonly C[];
}

/**
 * Expand and check the periods of schedule `schedule`; `compileRanges` compiles one period's ranges
 * (reporting its own problems under the path it is given).
 */
export function compilePeriods<R, C>(schedule: string, periods: readonly PeriodConfig<R>[], compileRanges: (ranges: readonly R[], path: (string | number)[]) => C[], fail: Fail): DatedPeriod<C>[] {
  const out: (DatedPeriod<C> & { index: number })[] = [];
  periods.forEach((p, i) => {
    const path = ['schedules', schedule, 'periods', i];
    const ranges = compileRanges(p.ranges, [...path, 'ranges']);
    if (p.span !== undefined) {
      if (p.from !== undefined || p.to !== undefined) { fail([...path, 'span'], `period gives both span and dates: use span: ${RAMADAN}, or from and to`); return; }
      if (p.span !== RAMADAN) {
        const close = closestName(p.span, [RAMADAN]);
        fail([...path, 'span'], `unknown span "${p.span}"${close !== null ? `: did you mean "${close}"?` : `: the built-in span is "${RAMADAN}"; for other days give from and to`}`);
        return;
      }
      for (const r of ramadanSpans()) out.push({ name: p.name ?? RAMADAN, from: r.from, to: r.to, ranges, index: i });
      return;
    }
    if (p.from === undefined || p.to === undefined) { fail(path, `period needs from and to dates (YYYY-MM-DD), or span: ${RAMADAN}`); return; }
    let ok = true;
    for (const key of ['from', 'to'] as const) {
      if (!isCalendarDate(p[key]!)) { fail([...path, key], `invalid date "${p[key]}": expected YYYY-MM-DD`); ok = false; }
    }
    if (!ok) return;
    if (p.to < p.from) { fail([...path, 'to'], `period ends on ${p.to}, before it starts on ${p.from}`); return; }
    out.push({ name: p.name ?? `${p.from}..${p.to}`, from: p.from, to: p.to, ranges, index: i });
  });
  const sorted = [...out].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.index - b.index));
  for (let k = 1; k < sorted.length; k++) {
    const a = sorted[k - 1]!;
    const b = sorted[k]!;
    if (b.from <= a.to) {
      const later = a.index > b.index ? a : b;
      const other = later === a ? b : a;
      fail(['schedules', schedule, 'periods', later.index], `period "${later.name}" (${later.from} to ${later.to}) overlaps period "${other.name}" (${other.from} to ${other.to}) of schedule "${schedule}"`);
    }
  }
  return sorted.map(({ name, from, to, ranges }) => ({ name, from, to, ranges }));
}
