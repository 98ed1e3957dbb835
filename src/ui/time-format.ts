/**
 * Instants shown in the policy's time zone, the way Indonesian offices write them:
 * "Senin, 30 November 2026 07.00 WIB" (English: "Monday, 30 November 2026 07:00 WIB").
 */
import type { Instant } from './api-types.js';
import type { Lang } from './i18n.js';

/** Epoch milliseconds of an instant given as epoch ms, epoch seconds or ISO-8601 text; NaN if unreadable. */
export function toMs(value: Instant | null | undefined): number {
  if (value === null || value === undefined) return NaN;
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  if (/^\d+$/.test(value)) return toMs(Number(value));
  return Date.parse(value);
}

/** Indonesia's three zones by their common names; other zones fall back to the browser's short name. */
const ZONE_NAMES: Record<string, string> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Ujung_Pandang': 'WITA',
  'Asia/Jayapura': 'WIT',
};

export function zoneName(timezone: string, at: number = Date.now()): string {
  const known = ZONE_NAMES[timezone];
  if (known !== undefined) return known;
  try {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, timeZoneName: 'short' }).formatToParts(at);
    return parts.find((p) => p.type === 'timeZoneName')?.value ?? timezone;
  } catch {
    return timezone;
  }
}

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Monday ... 6 = Sunday, the order of the policy's `days`. */
  weekday: number;
}

const WEEKDAY_INDEX: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
const partsFormatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of `at` in `timezone`. */
export function zonedParts(at: number, timezone: string): ZonedParts {
  let fmt = partsFormatters.get(timezone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23', weekday: 'short',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    partsFormatters.set(timezone, fmt);
  }
  const out: Record<string, string> = {};
  for (const p of fmt.formatToParts(at)) out[p.type] = p.value;
  return {
    year: Number(out['year']), month: Number(out['month']), day: Number(out['day']),
    hour: Number(out['hour']) % 24, minute: Number(out['minute']), second: Number(out['second']),
    weekday: WEEKDAY_INDEX[out['weekday'] ?? ''] ?? 0,
  };
}

/** Offset of `timezone` from UTC at `at`, in minutes (Jakarta: +420). */
export function zoneOffsetMinutes(at: number, timezone: string): number {
  const p = zonedParts(at, timezone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(at / 1000) * 1000) / 60000);
}

/** The instant at which the wall clock in `timezone` reads the given fields. */
export function fromZoned(fields: { year: number; month: number; day: number; hour: number; minute: number }, timezone: string): number {
  const guess = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute);
  const first = guess - zoneOffsetMinutes(guess, timezone) * 60000;
  // A second pass settles instants near an offset change.
  return guess - zoneOffsetMinutes(first, timezone) * 60000;
}

/** ISO-8601 with the zone's offset, e.g. "2026-11-30T16:00:00+07:00". */
export function toZonedIso(at: number, timezone: string): string {
  const p = zonedParts(at, timezone);
  const off = zoneOffsetMinutes(at, timezone);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

const LOCALE: Record<Lang, string> = { id: 'id-ID', en: 'en-GB' };

function names(at: number, timezone: string, lang: Lang): { weekday: string; month: string } {
  const fmt = new Intl.DateTimeFormat(LOCALE[lang], { timeZone: timezone, weekday: 'long', month: 'long' });
  const out: Record<string, string> = {};
  for (const p of fmt.formatToParts(at)) out[p.type] = p.value;
  return { weekday: out['weekday'] ?? '', month: out['month'] ?? '' };
}

/** "Sen, 16 Feb" / "Mon, 16 Feb" of a calendar date YYYY-MM-DD (no time zone involved). */
export function formatDayLabel(date: string, lang: Lang): string {
  const at = Date.parse(`${date}T12:00:00Z`);
  if (Number.isNaN(at)) return date;
  return new Intl.DateTimeFormat(LOCALE[lang], { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' }).format(at);
}

/** "08:00" from the API as "08.00" in Indonesian. */
export function localClock(text: string, lang: Lang): string {
  return lang === 'id' ? text.replace(':', '.') : text;
}

/** "07.00" in Indonesian, "07:00" in English. */
export function clock(hour: number, minute: number, lang: Lang): string {
  return `${pad(hour)}${lang === 'id' ? '.' : ':'}${pad(minute)}`;
}

/** "16.00 WIB". */
export function formatTime(value: Instant | number, timezone: string, lang: Lang): string {
  const at = toMs(value);
  if (Number.isNaN(at)) return '—';
  const p = zonedParts(at, timezone);
  return `${clock(p.hour, p.minute, lang)} ${zoneName(timezone, at)}`;
}

/** "Senin, 30 November 2026". */
export function formatDate(value: Instant | number, timezone: string, lang: Lang): string {
  const at = toMs(value);
  if (Number.isNaN(at)) return '—';
  const p = zonedParts(at, timezone);
  const n = names(at, timezone, lang);
  return `${n.weekday}, ${p.day} ${n.month} ${p.year}`;
}

/** "Senin, 30 November 2026 07.00 WIB". */
export function formatDateTime(value: Instant | number, timezone: string, lang: Lang): string {
  const at = toMs(value);
  if (Number.isNaN(at)) return '—';
  return `${formatDate(at, timezone, lang)} ${formatTime(at, timezone, lang)}`;
}

/** A compact form for tables: "30/11 07.00.12" today or this year, with the year otherwise. */
export function formatShort(value: Instant | number, timezone: string, lang: Lang, now: number = Date.now()): string {
  const at = toMs(value);
  if (Number.isNaN(at)) return '—';
  const p = zonedParts(at, timezone);
  const sep = lang === 'id' ? '.' : ':';
  const time = `${pad(p.hour)}${sep}${pad(p.minute)}${sep}${pad(p.second)}`;
  const n = zonedParts(now, timezone);
  const date = p.year === n.year ? `${pad(p.day)}/${pad(p.month)}` : `${pad(p.day)}/${pad(p.month)}/${p.year}`;
  return `${date} ${time}`;
}

/** Whether two instants fall on the same calendar day in `timezone`. */
export function sameDay(a: number, b: number, timezone: string): boolean {
  const x = zonedParts(a, timezone);
  const y = zonedParts(b, timezone);
  return x.year === y.year && x.month === y.month && x.day === y.day;
}

/** "16.00 WIB" when `at` is today, else the whole date and time. */
export function formatWhen(value: Instant | number, timezone: string, lang: Lang, now: number): string {
  const at = toMs(value);
  if (Number.isNaN(at)) return '—';
  return sameDay(at, now, timezone) ? formatTime(at, timezone, lang) : formatDateTime(at, timezone, lang);
}

/** "YYYY-MM-DDTHH:MM" of `at` in `timezone`, the value format of an `<input type="datetime-local">`. */
export function toLocalInput(at: number, timezone: string): string {
  const p = zonedParts(at, timezone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** The instant a datetime-local value means when read in `timezone`; NaN if malformed. */
export function fromLocalInput(value: string, timezone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (m === null) return NaN;
  return fromZoned({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]) }, timezone);
}

const numberFormats: Partial<Record<Lang, Intl.NumberFormat>> = {};

/** 12345 → "12.345" (id) or "12,345" (en). */
export function formatNumber(n: number, lang: Lang): string {
  let fmt = numberFormats[lang];
  if (fmt === undefined) {
    fmt = new Intl.NumberFormat(LOCALE[lang]);
    numberFormats[lang] = fmt;
  }
  return fmt.format(n);
}
