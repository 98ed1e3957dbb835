import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ERROR_RESPONSES, IsoString, Nullable, iso } from '../schemas.js';
import { authOf } from '../auth.js';
import type { WebContext } from '../web-context.js';

/**
 * What only admins may read in an audit entry: policy texts (and the file's server path in the
 * target) and user records. Others see that the change happened, who made it and when.
 */
function redact<E extends { action: string; target: string; before: unknown; after: unknown }>(e: E): E & { redacted?: true } {
  if (e.action.startsWith('policy.')) return { ...e, target: 'policy', before: null, after: null, redacted: true };
  if (e.action.startsWith('user.')) return { ...e, before: null, after: null, redacted: true };
  return e;
}

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
    redacted: Type.Optional(Type.Boolean()),
  })),
  nextCursor: Nullable(Type.String()),
});

/** `GET /api/audit`: who changed what, newest first. */
export async function auditRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get<{ Querystring: Static<typeof AuditQuery> }>('/api/audit', {
    schema: { querystring: AuditQuery, response: { 200: AuditPage, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async (request) => {
    const me = await authOf(ctx.auth, request);
    const { limit, cursor, user, action } = request.query;
    const page = await ctx.store.audit.list({
      limit: limit ?? 50,
      ...(cursor === undefined ? {} : { cursor }),
      ...(user === undefined ? {} : { user }),
      ...(action === undefined ? {} : { action }),
    });
    const admin = me.user.role === 'admin';
    return { items: page.entries.map((e) => ({ ...(admin ? e : redact(e)), time: iso(e.time) })), nextCursor: page.nextCursor };
  });
}
