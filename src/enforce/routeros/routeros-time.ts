/**
 * RouterOS time values, as address-list `timeout` takes and returns them: `1d2h3m4s` (weeks `w`
 * too, milliseconds `ms`), or clock form `02:03:04` with an optional day part (`1d02:03:04`), which
 * older builds print.
 */

const UNITS: Readonly<Record<string, number>> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** `ms` (rounded up to whole seconds, at least 1 s) as RouterOS writes it: `1d2h`, `45m`, `1h0m30s` reads `1h30s`. */
export function formatRouterOsTime(ms: number): string {
  let s = Math.max(1, Math.ceil(ms / 1000));
  let out = '';
  for (const [unit, size] of [['w', 604_800], ['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(s / size);
    if (n > 0) out += `${n}${unit}`;
    s -= n * size;
  }
  return out;
}

/** Milliseconds of a RouterOS time value, or null when the text is not one. */
export function parseRouterOsTime(text: string): number | null {
  const t = text.trim();
  const clock = /^(?:(\d+)w)?(?:(\d+)d)?\s*(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(t);
  if (clock !== null) {
    const [, w = '0', d = '0', h = '0', m = '0', s = '0', frac = ''] = clock;
    return Number(w) * UNITS['w']! + Number(d) * UNITS['d']! + Number(h) * 3_600_000 + Number(m) * 60_000 + Number(s) * 1000 + (frac === '' ? 0 : Number(frac.padEnd(3, '0')));
  }
  if (!/^(?:\d+(?:ms|w|d|h|m|s))+$/.test(t)) return null;
  let total = 0;
  for (const part of t.matchAll(/(\d+)(ms|w|d|h|m|s)/g)) total += Number(part[1]) * UNITS[part[2]!]!;
  return total;
}
