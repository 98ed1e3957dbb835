/** ISO-8601 instants with an explicit offset or `Z`; anything that depends on the host's zone is refused. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;

/** Epoch ms of an ISO-8601 instant with an offset, or null. */
export function parseInstant(text: string): number | null {
  const m = ISO_INSTANT.exec(text.trim());
  if (m === null) return null;
  const [, y, mo, d, h, mi, s] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(h) > 24 || Number(mi) > 59 || Number(s ?? 0) > 60) return null;
  let normalized = text.trim().replace(' ', 'T');
  // Date.parse wants `+07:00`; accept `+0700` and `+07` as ISO-8601 allows.
  normalized = normalized.replace(/([+-]\d{2})(\d{2})$/, '$1:$2').replace(/([+-]\d{2})$/, '$1:00');
  const ms = Date.parse(normalized);
  if (Number.isNaN(ms)) return null;
  // Reject dates Date.parse rolled over (2026-02-30).
  const probe = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (probe.getUTCDate() !== Number(d)) return null;
  return ms;
}

/** Whether `text` is a real calendar date `YYYY-MM-DD`. */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() + 1 === Number(m[2]) && d.getUTCDate() === Number(m[3]);
}
