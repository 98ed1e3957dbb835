import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { FlowStore, ProbeStore, TrafficRange } from '../../store/index.js';
import { ApiError } from '../api-error.js';
import { ERROR_RESPONSES, IsoString, Nullable, iso } from '../schemas.js';
import { STREAMING_SERVICES } from '../streaming.js';
import type { WebContext } from '../web-context.js';
import { workWindows, type WorkWindow } from '../work-windows.js';

const Range = {
  from: Type.Optional(IsoString),
  to: Type.Optional(IsoString),
};
/** One gateway's sums (`storage.gatewayName`), on the shared store; absent: every gateway's. */
const Gateway = Type.Optional(Type.String({ minLength: 1, maxLength: 128 }));
const TrafficQuery = Type.Object({
  by: Type.Union([Type.Literal('service'), Type.Literal('group'), Type.Literal('client')]),
  ...Range,
  gateway: Gateway,
}, { additionalProperties: false });
const SeriesQuery = Type.Object({
  by: Type.Union([Type.Literal('service'), Type.Literal('group'), Type.Literal('client')]),
  bucket: Type.Optional(Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], { default: 'hour' })),
  ...Range,
  gateway: Gateway,
}, { additionalProperties: false });
const RangeQuery = Type.Object(Range, { additionalProperties: false });
const CompareQuery = Type.Object({
  date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'Local date the comparison turns on (the day the policy started), YYYY-MM-DD' }),
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, default: 5, description: 'Working days on each side' })),
}, { additionalProperties: false });

const TrafficRows = Type.Object({
  rows: Type.Array(Type.Object({ key: Type.String(), bytes: Type.Number(), packets: Type.Number(), flows: Type.Number() })),
  /** Bytes of the built-in streaming services in the range, for the overview's streaming share. */
  streamingBytes: Type.Number(),
});
const SeriesBody = Type.Object({ points: Type.Array(Type.Object({ time: IsoString, key: Type.String(), bytes: Type.Number() })) });
const ProbeRows = Type.Object({
  rows: Type.Array(Type.Object({
    key: Type.String(), probes: Type.Integer(), available: Type.Integer(), availability: Type.Number(), p50Ms: Nullable(Type.Number()), p95Ms: Nullable(Type.Number()),
  })),
});

const ProbeRow = Type.Object({
  key: Type.String(), probes: Type.Integer(), available: Type.Integer(), availability: Type.Number(), p50Ms: Nullable(Type.Number()), p95Ms: Nullable(Type.Number()),
});
const CompareSide = Type.Object({
  /** The working days (local dates) whose 07:00-16:00 the side sums. */
  dates: Type.Array(Type.String()),
  bytes: Type.Number(),
  streamingBytes: Type.Number(),
  /** streamingBytes / bytes, 0..1; null without traffic. */
  streamingShare: Nullable(Type.Number()),
  probes: Type.Array(ProbeRow),
});
const CompareBody = Type.Object({
  date: Type.String(), days: Type.Integer(), timezone: Type.String(),
  workHours: Type.Object({ from: Type.String(), to: Type.String() }),
  before: CompareSide,
  after: CompareSide,
});

const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

function range(q: { from?: string | undefined; to?: string | undefined; gateway?: string | undefined }): TrafficRange {
  const out: TrafficRange = {};
  if (q.gateway !== undefined && q.gateway.trim() !== '') out.gateway = q.gateway.trim();
  for (const key of ['from', 'to'] as const) {
    const text = q[key];
    if (text === undefined) continue;
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new ApiError('VALIDATION_FAILED', `invalid ${key} "${text}": expected an ISO 8601 instant`);
    out[key] = ms;
  }
  return out;
}

/**
 * `GET /api/traffic` (totals, the JSON of `rambu report traffic`), `GET /api/traffic/series` (bytes
 * per minute, hour or day for charts) and `GET /api/probes` (the JSON of `rambu report probes`),
 * for every signed-in role.
 */
export async function trafficRoutes(app: FastifyInstance, ctx: WebContext, stores: { flows: FlowStore; probes: ProbeStore }): Promise<void> {
  app.get<{ Querystring: Static<typeof TrafficQuery> }>('/api/traffic', {
    schema: { querystring: TrafficQuery, response: { 200: TrafficRows, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async (request) => {
    const r = range(request.query);
    const rows = await stores.flows.traffic(request.query.by, r);
    const services = request.query.by === 'service' ? rows : await stores.flows.traffic('service', r);
    return { rows, streamingBytes: services.filter((x) => STREAMING_SERVICES.has(x.key)).reduce((n, x) => n + x.bytes, 0) };
  });

  app.get<{ Querystring: Static<typeof SeriesQuery> }>('/api/traffic/series', {
    schema: { querystring: SeriesQuery, response: { 200: SeriesBody, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async (request) => {
    // Buckets start at local midnight and on local hours of the policy's time zone.
    const r = range(request.query);
    const offset = ctx.getPolicy().zone.offsetAt(r.from ?? ctx.now());
    const points = await stores.flows.series(request.query.by, BUCKET_MS[request.query.bucket ?? 'hour'], r, offset);
    return { points: points.map((p) => ({ time: iso(p.time), key: p.key, bytes: p.bytes })) };
  });

  app.get<{ Querystring: Static<typeof CompareQuery> }>('/api/traffic/compare', {
    schema: { querystring: CompareQuery, response: { 200: CompareBody, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async (request) => {
    const { date } = request.query;
    const days = request.query.days ?? 5;
    if (Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw new ApiError('VALIDATION_FAILED', `invalid date "${date}": expected YYYY-MM-DD`);
    const policy = ctx.getPolicy();
    const windows = workWindows(policy, date, days, ctx.now());
    const side = async (list: WorkWindow[]): Promise<Static<typeof CompareSide>> => {
      let bytes = 0;
      let streamingBytes = 0;
      for (const w of list) {
        for (const row of await stores.flows.traffic('service', w)) {
          bytes += row.bytes;
          if (STREAMING_SERVICES.has(row.key)) streamingBytes += row.bytes;
        }
      }
      return {
        dates: list.map((w) => w.date), bytes, streamingBytes, streamingShare: bytes === 0 ? null : streamingBytes / bytes,
        probes: list.length === 0 ? [] : await stores.probes.summary(list),
      };
    };
    return {
      date, days, timezone: policy.timezone, workHours: { from: '07:00', to: '16:00' },
      before: await side(windows.before), after: await side(windows.after),
    };
  });

  app.get<{ Querystring: Static<typeof RangeQuery> }>('/api/probes', {
    schema: { querystring: RangeQuery, response: { 200: ProbeRows, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async (request) => ({ rows: await stores.probes.summary(range(request.query)) }));
}
