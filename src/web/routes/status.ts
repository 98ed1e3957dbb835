import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { calendar, ruleStatus } from '../../policy/index.js';
import { localDay } from '../local-day.js';
import { ERROR_RESPONSES, IsoString, Nullable, iso, isoOrNull } from '../schemas.js';
import { STREAMING_SERVICES } from '../streaming.js';
import type { WebContext } from '../web-context.js';

const RangeSchema = Type.Object({ days: Type.Array(Type.String()), from: Type.String(), to: Type.String() });

export const ScheduleSchema = Type.Object({
  name: Type.String(),
  ranges: Type.Array(RangeSchema),
  /** Dated periods whose ranges replace the weekly ones (Ramadan hours, an event week). */
  periods: Type.Array(Type.Object({ name: Type.String(), from: Type.String(), to: Type.String(), ranges: Type.Array(RangeSchema) })),
});

/** One day of the calendar strip: holiday or not, and each used schedule's ranges that day. */
const CalendarDaySchema = Type.Object({
  date: Type.String(),
  weekday: Type.String(),
  holiday: Type.Boolean(),
  holidayName: Nullable(Type.String()),
  schedules: Type.Array(Type.Object({
    name: Type.String(),
    period: Nullable(Type.String()),
    ranges: Type.Array(Type.Object({ from: Type.String(), to: Type.String() })),
  })),
});

/** Days in the calendar strip of the status page. */
const STRIP_DAYS = 14;

const RuleStatusSchema = Type.Object({
  name: Type.String(),
  action: Type.String(),
  services: Type.Array(Type.String()),
  groups: Type.Array(Type.String()),
  during: Nullable(Type.String()),
  mode: Type.String(),
  startsOn: Nullable(Type.String()),
  /** The rule only logs what it would block (mode monitor, or before startsOn). */
  monitoring: Type.Boolean(),
  active: Type.Boolean(),
  until: Nullable(IsoString),
});

/** Firewall enforcement (`enforce:`): whether it runs, and why not when it does not. */
const EnforcementSchema = Type.Object({
  backend: Type.String(),
  running: Type.Boolean(),
  /** Addresses under standing rejects, per blocked service. */
  addresses: Type.Record(Type.String(), Type.Integer()),
  /** Addresses of blocked services that got only the cut (shared with allowed names). */
  sharedAddresses: Type.Integer(),
  lastBoundary: Nullable(IsoString),
  /** Milliseconds from that boundary to the end of its cut. */
  lastCutMs: Nullable(Type.Integer()),
  connectionsCut: Type.Integer(),
  nextBoundary: Nullable(IsoString),
  lastError: Nullable(Type.String()),
});

const StatusSchema = Type.Object({
  timezone: Type.String(),
  now: IsoString,
  today: Type.Object({ date: Type.String(), weekday: Type.String(), holiday: Type.Boolean(), holidayName: Type.Union([Type.String(), Type.Null()]) }),
  holidaysToday: Type.Boolean(),
  streamingBlocked: Type.Boolean(),
  nextChange: Nullable(IsoString),
  rules: Type.Array(RuleStatusSchema),
  schedules: Type.Array(ScheduleSchema),
  /** Today and the next 13 days, for the schedules the rules use. */
  days: Type.Array(CalendarDaySchema),
  /** Null when the config has no `enforce` section. */
  enforcement: Nullable(EnforcementSchema),
});

/** `GET /api/status`: public; what the public status page shows. */
export async function statusRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get('/api/status', { schema: { response: { 200: StatusSchema, ...ERROR_RESPONSES } } }, async () => {
    const at = ctx.now();
    const policy = ctx.getPolicy();
    const rules = ruleStatus(policy, at);
    const day = localDay(policy, at);
    const changes = rules.map((r) => r.until).filter((u): u is number => u !== null);
    const used = [...new Set(policy.rules.map((r) => r.during).filter((d): d is string => d !== null))];
    return {
      timezone: policy.timezone,
      now: iso(at),
      today: { date: day.date, weekday: day.weekday, holiday: day.holiday, holidayName: day.holiday ? (policy.holidayNames[day.date] ?? null) : null },
      holidaysToday: day.holiday,
      streamingBlocked: rules.some((r) => r.active && !r.monitoring && r.action === 'block' && r.services.some((s) => STREAMING_SERVICES.has(s))),
      nextChange: changes.length === 0 ? null : iso(Math.min(...changes)),
      rules: rules.map((r) => ({ ...r, until: isoOrNull(r.until) })),
      schedules: policy.schedules,
      days: calendar.calendarDays(policy, at, STRIP_DAYS, used),
      enforcement: enforcementView(ctx),
    };
  });
}

function enforcementView(ctx: WebContext): Static<typeof EnforcementSchema> | null {
  const s = ctx.enforcement();
  if (s === null) return null;
  return {
    backend: s.backend, running: s.running, addresses: s.addresses, sharedAddresses: s.sharedAddresses,
    lastBoundary: isoOrNull(s.lastBoundary), lastCutMs: s.lastCutMs === null ? null : Math.round(s.lastCutMs),
    connectionsCut: s.connectionsCut, nextBoundary: isoOrNull(s.nextBoundary), lastError: s.lastError,
  };
}
