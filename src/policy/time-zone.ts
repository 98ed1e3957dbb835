/**
 * Wall-clock arithmetic in an IANA time zone, independent of the host's zone. A zone without
 * daylight saving time in its current rules (all of Indonesia's) is read from the host's tzdata
 * (`tzif.ts`); any other zone's offsets come from Intl, memoised per 15-minute bucket (every zone's
 * transitions fall on such boundaries).
 */
import { type FixedRuleZone, fixedRuleOffset, readSystemZone } from './tzif.js';

const BUCKET_MS = 15 * 60_000;
const MAX_CACHED = 4096;

/** A local calendar date. `weekday` is 0 for Monday .. 6 for Sunday. */
export interface LocalDate { year: number; month: number; day: number; weekday: number }

/** Whether `name` is an IANA zone this runtime knows. */
export function isValidTimeZone(name: string): boolean {
  if (name.trim() === '' || name !== name.trim()) return false;
  if (readSystemZone(name) !== null) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export interface TimeZoneOptions {
  /**
   * Read the zone from the host's tzdata when its rules allow; false always uses Intl.
   * @default true
   */
  system?: boolean;
}

export class TimeZone {
  readonly name: string;
  /** The zone read from the host's tzdata, or the Intl formatter that computes its offsets. */
  readonly #zone: FixedRuleZone | Intl.DateTimeFormat;
  readonly #offsets = new Map<number, number>();

  constructor(name: string, options: TimeZoneOptions = {}) {
    this.name = name;
    this.#zone = (options.system === false ? null : readSystemZone(name)) ?? new Intl.DateTimeFormat('en-US', {
      timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  }

  /** Where the offsets come from: the host's tzdata or Intl. */
  get source(): 'tzdata' | 'intl' {
    return this.#zone instanceof Intl.DateTimeFormat ? 'intl' : 'tzdata';
  }

  /** Offset of local time from UTC at instant `ms`, in milliseconds (+7 h for Asia/Jakarta). */
  offsetAt(ms: number): number {
    const zone = this.#zone;
    if (!(zone instanceof Intl.DateTimeFormat)) return fixedRuleOffset(zone, ms);
    const bucket = Math.floor(ms / BUCKET_MS);
    const hit = this.#offsets.get(bucket);
    if (hit !== undefined) return hit;
    const start = bucket * BUCKET_MS;
    let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    for (const part of zone.formatToParts(start)) {
      const v = Number(part.value);
      switch (part.type) {
        case 'year': y = v; break;
        case 'month': mo = v; break;
        case 'day': d = v; break;
        case 'hour': h = v; break;
        case 'minute': mi = v; break;
        case 'second': s = v; break;
        default: break;
      }
    }
    const offset = Date.UTC(y, mo - 1, d, h, mi, s) - start;
    if (this.#offsets.size >= MAX_CACHED) this.#offsets.clear();
    this.#offsets.set(bucket, offset);
    return offset;
  }

  /** The local date at instant `ms`. */
  localDate(ms: number): LocalDate {
    const local = new Date(ms + this.offsetAt(ms));
    return {
      year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate(),
      weekday: (local.getUTCDay() + 6) % 7,
    };
  }

  /** Minutes since local midnight at instant `ms`. */
  localMinutes(ms: number): number {
    const local = new Date(ms + this.offsetAt(ms));
    return local.getUTCHours() * 60 + local.getUTCMinutes();
  }

  /**
   * The instant of local wall time `minutes` after midnight of the local date (y, m, d); minutes may
   * exceed 1440 (the next days). A wall time skipped by a forward DST jump maps to the instant the
   * clock jumps to; a repeated one maps to its first occurrence.
   */
  toInstant(year: number, month: number, day: number, minutes: number): number {
    const wall = Date.UTC(year, month - 1, day) + minutes * 60_000;
    const first = wall - this.offsetAt(wall - this.offsetAt(wall));
    if (first + this.offsetAt(first) === wall) {
      // Prefer the earlier of two valid instants in a repeated hour.
      const earlier = wall - this.offsetAt(first - 3_600_000);
      if (earlier < first && earlier + this.offsetAt(earlier) === wall) return earlier;
      return first;
    }
    // In a gap: the wall time does not exist; take the instant the clock jumps over it.
    const before = this.offsetAt(wall - this.offsetAt(wall) - 86_400_000);
    return wall - before;
  }

  /** Format an instant as local `YYYY-MM-DDTHH:MM:SS+HH:MM`. */
  formatIso(ms: number): string {
    const offset = this.offsetAt(ms);
    const local = new Date(ms + offset).toISOString().slice(0, 19);
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset) / 60_000;
    const hh = String(Math.floor(abs / 60)).padStart(2, '0');
    const mm = String(abs % 60).padStart(2, '0');
    return `${local}${sign}${hh}:${mm}`;
  }
}

/** Add `days` to a calendar date, returning the new date with its weekday (0 = Monday). */
export function addDays(date: { year: number; month: number; day: number }, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: (d.getUTCDay() + 6) % 7 };
}

/** `YYYY-MM-DD` of a date. */
export function dateKey(date: { year: number; month: number; day: number }): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}
