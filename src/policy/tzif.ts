/**
 * A reader of the system's time zone database (TZif files, RFC 8536, as in /usr/share/zoneinfo),
 * for zones whose rules end in a fixed offset (no daylight saving time after the last transition):
 * every zone of Indonesia, and most of Asia. Such a zone is a sorted list of transitions, and an
 * offset lookup is a binary search. Reading the host's files rather than the runtime's ICU copy
 * keeps the ICU data pages out of memory and follows the host's tzdata updates. Zones with DST
 * rules in their footer are left to Intl (`null`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Offsets of one zone: `offsets[i]` holds from `transitions[i]` (epoch ms) on; `initial` before. */
export interface FixedRuleZone {
  initial: number;
  transitions: readonly number[];
  offsets: readonly number[];
}

const MAGIC = 0x545a6966; // "TZif"
const HEADER = 44;
const ZONE_NAME = /^[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*$/;

/** Parse a POSIX TZ string without DST (`WIB-7`, `<+0545>-5:45`, `UTC0`): the offset in ms, or null. */
export function fixedFooterOffset(footer: string): number | null {
  const m = /^(?:<[A-Za-z0-9+-]+>|[A-Za-z]{3,})([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?$/.exec(footer);
  if (m === null) return null;
  const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  // POSIX counts west of Greenwich as positive: "WIB-7" is UTC+7.
  return seconds === 0 ? 0 : (m[1] === '-' ? seconds : -seconds) * 1000;
}

/** Parse TZif bytes (version 2 or later); null when malformed or when the footer has DST rules. */
export function parseTzif(bytes: Uint8Array): FixedRuleZone | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = (at: number): { isutcnt: number; isstdcnt: number; leapcnt: number; timecnt: number; typecnt: number; charcnt: number; version: number } | null => {
    if (at + HEADER > bytes.length || view.getUint32(at) !== MAGIC) return null;
    return {
      version: bytes[at + 4]!,
      isutcnt: view.getUint32(at + 20), isstdcnt: view.getUint32(at + 24), leapcnt: view.getUint32(at + 28),
      timecnt: view.getUint32(at + 32), typecnt: view.getUint32(at + 36), charcnt: view.getUint32(at + 40),
    };
  };
  const v1 = header(0);
  if (v1 === null || v1.version < 0x32) return null;
  // Skip the 32-bit block: the 64-bit one follows with its own header.
  const v1Size = v1.timecnt * 5 + v1.typecnt * 6 + v1.charcnt + v1.leapcnt * 8 + v1.isstdcnt + v1.isutcnt;
  const at = HEADER + v1Size;
  const h = header(at);
  if (h === null || h.typecnt === 0) return null;
  let p = at + HEADER;
  const blockEnd = p + h.timecnt * 9 + h.typecnt * 6 + h.charcnt + h.leapcnt * 12 + h.isstdcnt + h.isutcnt;
  if (blockEnd > bytes.length) return null;
  const times: number[] = [];
  for (let i = 0; i < h.timecnt; i++, p += 8) times.push(Number(view.getBigInt64(p)) * 1000);
  const typeOf: number[] = [];
  for (let i = 0; i < h.timecnt; i++, p++) typeOf.push(bytes[p]!);
  const typeOffsets: number[] = [];
  for (let i = 0; i < h.typecnt; i++, p += 6) typeOffsets.push(view.getInt32(p) * 1000);
  // The footer: "\n<POSIX TZ>\n" after the 64-bit block.
  if (bytes[blockEnd] !== 0x0a) return null;
  const close = bytes.indexOf(0x0a, blockEnd + 1);
  if (close < 0) return null;
  const footer = Buffer.from(bytes.subarray(blockEnd + 1, close)).toString('latin1');
  const last = footer === '' ? null : fixedFooterOffset(footer);
  if (last === null) return null;
  const offsets: number[] = [];
  for (const t of typeOf) {
    const o = typeOffsets[t];
    if (o === undefined) return null;
    offsets.push(o);
  }
  for (let i = 1; i < times.length; i++) if (times[i]! <= times[i - 1]!) return null;
  if (times.length === 0) return { initial: last, transitions: [], offsets: [] };
  // RFC 8536 §3.3: the footer must agree with the last transition; if not, leave the zone to Intl.
  if (offsets[offsets.length - 1] !== last) return null;
  // Before the first transition, local time type 0 applies (RFC 8536 §3.2).
  return { initial: typeOffsets[0]!, transitions: times, offsets };
}

/** The zone `name` from the host's database (`$TZDIR` or /usr/share/zoneinfo); null when unusable. */
export function readSystemZone(name: string): FixedRuleZone | null {
  if (!ZONE_NAME.test(name) || name.split('/').some((part) => part === '.' || part === '..')) return null;
  try {
    return parseTzif(readFileSync(join(process.env['TZDIR'] || '/usr/share/zoneinfo', name)));
  } catch {
    return null;
  }
}

/** Offset in ms of `zone` at instant `ms`. */
export function fixedRuleOffset(zone: FixedRuleZone, ms: number): number {
  const t = zone.transitions;
  if (t.length === 0 || ms < t[0]!) return zone.initial;
  let lo = 0;
  let hi = t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (t[mid]! <= ms) lo = mid;
    else hi = mid - 1;
  }
  return zone.offsets[lo]!;
}
