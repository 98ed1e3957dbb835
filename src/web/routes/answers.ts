import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AnswerEntry, AnswerIndex } from '../../answers/index.js';
import { ApiError } from '../api-error.js';
import { ERROR_RESPONSES, IsoString, Nullable, iso } from '../schemas.js';
import type { WebContext } from '../web-context.js';

const AnswersQuery = Type.Object({
  client: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  address: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, default: 100 })),
}, { additionalProperties: false });

const AnswersPage = Type.Object({
  items: Type.Array(Type.Object({
    client: Nullable(Type.String()),
    address: Type.String(),
    name: Type.String(),
    service: Nullable(Type.String()),
    expires: IsoString,
  })),
  entries: Type.Integer(),
});

type Item = Static<typeof AnswersPage>['items'][number];

function item(e: AnswerEntry | (Omit<AnswerEntry, 'client'> & { client: null })): Item {
  return { client: e.client, address: e.address, name: e.name, service: e.service, expires: iso(e.expires) };
}

/**
 * `GET /api/answers`: what the answer index holds, read-only, for admins. `client` and `address`:
 * the answer that client was given for that address; `client` alone: its live answers, the
 * longest-lived first; `address` alone: the newest live answer any client was given for it.
 */
export async function answerRoutes(app: FastifyInstance, ctx: WebContext, answers: AnswerIndex): Promise<void> {
  app.get<{ Querystring: Static<typeof AnswersQuery> }>('/api/answers', {
    schema: { querystring: AnswersQuery, response: { 200: AnswersPage, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('admin'),
  }, async (request) => {
    const { client, address, limit } = request.query;
    const now = ctx.now();
    let items: Item[];
    if (client !== undefined && address !== undefined) {
      const hit = answers.lookup(client, address, now);
      items = hit === null ? [] : [item({ client, address, ...hit })];
    } else if (client !== undefined) {
      items = answers.clientEntries(client, now).slice(0, limit ?? 100).map(item);
    } else if (address !== undefined) {
      const hit = answers.lookupAny(address, now);
      items = hit === null ? [] : [item({ client: null, address, ...hit })];
    } else {
      throw new ApiError('VALIDATION_FAILED', 'give client, address or both');
    }
    return { items, entries: answers.size };
  });
}
