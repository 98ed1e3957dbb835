import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ERROR_RESPONSES, IsoString, Nullable, iso } from '../schemas.js';
import type { WebContext } from '../web-context.js';

const AuditQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
}, { additionalProperties: false });

const AuditPage = Type.Object({
  items: Type.Array(Type.Object({
    id: Type.Integer(),
    time: IsoString,
    user: Type.String(),
    action: Type.String(),
    target: Type.String(),
    before: Type.Unknown(),
    after: Type.Unknown(),
  })),
  nextCursor: Nullable(Type.String()),
});

/** `GET /api/audit`: who changed what, newest first. */
export async function auditRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get<{ Querystring: Static<typeof AuditQuery> }>('/api/audit', {
    schema: { querystring: AuditQuery, response: { 200: AuditPage, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async (request) => {
    const { limit, cursor, user, action } = request.query;
    const page = await ctx.store.audit.list({
      limit: limit ?? 50,
      ...(cursor === undefined ? {} : { cursor }),
      ...(user === undefined ? {} : { user }),
      ...(action === undefined ? {} : { action }),
    });
    return { items: page.entries.map((e) => ({ ...e, time: iso(e.time) })), nextCursor: page.nextCursor };
  });
}
