import type { TimeZone } from '../policy/index.js';

const ZONE_ABBREVIATIONS: Record<string, string> = { 'Asia/Jakarta': 'WIB', 'Asia/Pontianak': 'WIB', 'Asia/Makassar': 'WITA', 'Asia/Jayapura': 'WIT' };
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** `Mon 2026-11-30 07:00:00 WIB` for humans; the zone's abbreviation where Indonesia has one. */
export function formatLocal(zone: TimeZone, ms: number): string {
  const iso = zone.formatIso(ms);
  const day = DAYS[zone.localDate(ms).weekday] ?? '';
  const abbr = ZONE_ABBREVIATIONS[zone.name] ?? iso.slice(19);
  return `${day} ${iso.slice(0, 10)} ${iso.slice(11, 19)} ${abbr}`;
}
