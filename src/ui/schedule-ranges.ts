/**
 * Weekly ranges of a schedule cut into per-day segments for drawing: a range that ends before it
 * starts crosses midnight and continues on the next day; "24:00" is the end of the day.
 */
import type { TimeRange } from './api-types.js';

export const DAY_KEYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** Minutes since midnight of "HH:MM", or NaN. */
export function minutesOf(hhmm: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm.trim());
  if (m === null) return NaN;
  return Number(m[1]) * 60 + Number(m[2]);
}

export interface Segment {
  /** 0 = Monday ... 6 = Sunday. */
  day: number;
  /** Minutes since midnight, start inclusive, end exclusive (1440 = midnight at the end). */
  start: number;
  end: number;
}

export function segmentsOf(ranges: readonly TimeRange[]): Segment[] {
  const out: Segment[] = [];
  for (const r of ranges) {
    const from = minutesOf(r.from);
    const to = minutesOf(r.to);
    if (Number.isNaN(from) || Number.isNaN(to)) continue;
    for (const d of r.days) {
      const day = (DAY_KEYS as readonly string[]).indexOf(d.toLowerCase().slice(0, 3));
      if (day < 0) continue;
      if (to > from) out.push({ day, start: from, end: to });
      else if (to < from || (to === from && from !== 0)) {
        out.push({ day, start: from, end: 1440 });
        if (to > 0) out.push({ day: (day + 1) % 7, start: 0, end: to });
      } else {
        out.push({ day, start: 0, end: 1440 });
      }
    }
  }
  return mergeSegments(out);
}

/** Overlapping or touching segments of one day joined, sorted by day then start. */
export function mergeSegments(segments: readonly Segment[]): Segment[] {
  const sorted = [...segments].sort((a, b) => a.day - b.day || a.start - b.start);
  const out: Segment[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.day === s.day && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

const DAY_SHORT = {
  id: ['Sen', 'Sel', 'Rab', 'Kam', 'Jum', 'Sab', 'Min'],
  en: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
} as const;

export function dayShort(day: number, lang: 'id' | 'en'): string {
  return DAY_SHORT[lang][day] ?? '';
}

/** "Sen–Jum 07.00–16.00" for a range; runs of three or more consecutive days are joined with a dash. */
export function describeRange(range: TimeRange, lang: 'id' | 'en'): string {
  const days = [...new Set(range.days.map((d) => (DAY_KEYS as readonly string[]).indexOf(d.toLowerCase().slice(0, 3))).filter((d) => d >= 0))].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < days.length;) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === (days[j] ?? 0) + 1) j++;
    const first = days[i] ?? 0;
    const last = days[j] ?? 0;
    if (j - i >= 2) parts.push(`${dayShort(first, lang)}–${dayShort(last, lang)}`);
    else for (let k = i; k <= j; k++) parts.push(dayShort(days[k] ?? 0, lang));
    i = j + 1;
  }
  const time = (hhmm: string) => lang === 'id' ? hhmm.replace(':', '.') : hhmm;
  return `${parts.join(', ')} ${time(range.from)}–${time(range.to)}`;
}
