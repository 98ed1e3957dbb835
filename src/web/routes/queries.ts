import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseInstant } from '../../policy/index.js';
import { QUERY_ACTIONS } from '../../store/index.js';
import type { QueryLogFilter } from '../../store/index.js';
import { ApiError } from '../api-error.js';
import { ERROR_RESPONSES, IsoString, Nullable, iso } from '../schemas.js';
import type { WebContext } from '../web-context.js';

const ActionSchema = Type.Union(QUERY_ACTIONS.map((a) => Type.Literal(a)));

const QueriesQuery = Type.Object({
  gateway: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  client: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  name: Type.Optional(Type.String({ maxLength: 255 })),
  service: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  action: Type.Optional(ActionSchema),
  since: Type.Optional(Type.String({ maxLength: 64 })),
  until: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
}, { additionalProperties: false });

const QueryRow = Type.Object({
  id: Type.Integer(),
  time: IsoString,
  client: Type.String(),
  name: Type.String(),
  type: Type.String(),
  action: Type.String(),
  service: Nullable(Type.String()),
  rule: Nullable(Type.String()),
  exemption: Nullable(Type.String()),
  rcode: Type.String(),
  latencyMs: Type.Number(),
  upstream: Nullable(Type.String()),
  cached: Type.Boolean(),
  /** The gateway that answered (`storage.gatewayName`). */
  gateway: Type.String(),
});

const QueriesPage = Type.Object({
  items: Type.Array(QueryRow), nextCursor: Nullable(Type.String()), partial: Type.Boolean(),
  /** The stored log's schema is being upgraded in the background (after an update): no rows until it is done. */
  migrating: Type.Boolean(),
});

function instantParam(text: string | undefined, key: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = parseInstant(text);
  if (ms === null) {
    throw new ApiError('VALIDATION_FAILED', `${key}: "${text}" is not an ISO 8601 instant with an offset`, {
      details: [{ path: key, message: 'not an ISO 8601 instant with an offset' }],
    });
  }
  return ms;
}

/** `GET /api/queries`: the query log, newest first, keyset-paginated. */
export async function queryRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get<{ Querystring: Static<typeof QueriesQuery> }>('/api/queries', {
    schema: { querystring: QueriesQuery, response: { 200: QueriesPage, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async (request) => {
    const q = request.query;
    const filter: QueryLogFilter = {};
    if (q.gateway !== undefined) filter.gateway = q.gateway.trim();
    if (q.client !== undefined) filter.client = q.client.trim();
    if (q.name !== undefined && q.name.trim() !== '') filter.name = q.name.trim();
    if (q.service !== undefined) filter.service = q.service;
    if (q.action !== undefined) filter.action = q.action;
    const since = instantParam(q.since, 'since');
    const until = instantParam(q.until, 'until');
    if (since !== undefined) filter.since = since;
    if (until !== undefined) filter.until = until;
    const page = await ctx.store.queryLog.query(filter, { limit: q.limit ?? 100, ...(q.cursor === undefined ? {} : { cursor: q.cursor }) });
    return { items: page.rows.map((r) => ({ ...r, time: iso(r.time), gateway: r.gateway ?? '' })), nextCursor: page.nextCursor, partial: page.partial, migrating: page.migrating === true };
  });
}
