import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseCidr, parseInstant } from '../../policy/index.js';
import { EXEMPTION_STATUSES } from '../../store/index.js';
import type { ExemptionStatus } from '../../store/index.js';
import { ApiError } from '../api-error.js';
import { authOf } from '../auth.js';
import { coversEveryClient, hostBitsFix } from '../exemption-checks.js';
import { exemptionJson } from '../exemption-json.js';
import { localDay } from '../local-day.js';
import { ERROR_RESPONSES, ExemptionBody, Nullable } from '../schemas.js';
import type { WebContext } from '../web-context.js';

const ListQuery = Type.Object({
  status: Type.Optional(Type.Union([...EXEMPTION_STATUSES.map((s) => Type.Literal(s)), Type.Literal('all')])),
}, { additionalProperties: false });

const CreateBody = Type.Object({
  name: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' })),
  groups: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 200 })),
  clients: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 })),
  allow: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 200 }),
  from: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  until: Type.String({ maxLength: 64 }),
  reason: Type.String({ minLength: 1, maxLength: 500 }),
  /** An admin's confirmation that the exemption covers every client. */
  confirmAllClients: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

const DAY_MS = 86_400_000;

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** `GET/POST /api/exemptions`, `DELETE /api/exemptions/:id`. */
export async function exemptionRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/exemptions', {
    schema: { querystring: ListQuery, response: { 200: Type.Object({ exemptions: Type.Array(ExemptionBody) }), ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async (request) => {
    const now = ctx.now();
    const status = request.query.status;
    const list = await ctx.store.exemptions.list(status === undefined || status === 'all' ? { now } : { now, status: status as ExemptionStatus });
    return { exemptions: list.map((e) => exemptionJson(e, now)) };
  });

  app.post<{ Body: Static<typeof CreateBody> }>('/api/exemptions', {
    schema: { body: CreateBody, response: { 201: Type.Object({ exemption: ExemptionBody }), ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('operator'),
  }, async (request, reply) => {
    const { user } = await authOf(ctx.auth, request);
    const body = request.body;
    const now = ctx.now();
    const policy = ctx.getPolicy();
    const groups = [...new Set(body.groups ?? [])];
    const clients = [...new Set((body.clients ?? []).map((c) => c.trim()))];
    const allow = [...new Set(body.allow)];
    const problems: { path: string; message: string }[] = [];
    if (groups.length + clients.length === 0) problems.push({ path: 'groups', message: 'name at least one group or client' });
    for (const c of clients) {
      const fix = parseCidr(c) === null ? null : hostBitsFix(c);
      if (parseCidr(c) === null) problems.push({ path: 'clients', message: `"${c}" is not an IP address or CIDR` });
      else if (fix !== null) problems.push({ path: 'clients', message: `"${c}" has host bits set: did you mean ${fix}?` });
    }
    const isAdmin = user.role === 'admin';
    const until = parseInstant(body.until);
    if (until === null) problems.push({ path: 'until', message: `"${body.until}" is not an ISO 8601 instant with an offset` });
    else if (until <= now) problems.push({ path: 'until', message: `"${body.until}" is not in the future` });
    const from = body.from === undefined || body.from === null ? null : parseInstant(body.from);
    if (body.from !== undefined && body.from !== null && from === null) {
      problems.push({ path: 'from', message: `"${body.from}" is not an ISO 8601 instant with an offset` });
    } else if (from !== null && until !== null && from >= until) problems.push({ path: 'from', message: 'must be before until' });
    if (!isAdmin && until !== null && until - Math.max(from ?? now, now) > ctx.maxExemptionDays * DAY_MS) {
      problems.push({ path: 'until', message: `an operator's exemption lasts at most ${ctx.maxExemptionDays} days (web.maxExemptionDays): ask an admin for a longer one` });
    }
    const reason = body.reason.trim();
    if (reason === '') problems.push({ path: 'reason', message: 'give a reason' });
    if (problems.length > 0 || until === null) {
      throw new ApiError('VALIDATION_FAILED', problems.map((p) => `${p.path}: ${p.message}`).join('; '), { details: problems });
    }
    const groupNames = new Set(policy.groups.map((g) => g.name));
    const unknownGroups = groups.filter((g) => !groupNames.has(g));
    if (unknownGroups.length > 0) throw new ApiError('UNKNOWN_GROUP', `no such group: ${unknownGroups.join(', ')}`);
    // Every client exempt is the policy switched off for these services: admins only, confirmed.
    const networks = [...clients, ...policy.groups.filter((g) => groups.includes(g.name)).flatMap((g) => g.networks)];
    if (coversEveryClient(networks)) {
      if (!isAdmin) throw new ApiError('FORBIDDEN', 'this exemption covers every client, which switches the policy off: only an admin may create it');
      if (body.confirmAllClients !== true) {
        const detail = { path: 'confirmAllClients', message: 'this exemption covers every client: confirm with confirmAllClients: true' };
        throw new ApiError('VALIDATION_FAILED', `${detail.path}: ${detail.message}`, { details: [detail] });
      }
    }
    const serviceNames = new Set(policy.services.map((s) => s.name));
    const unknownServices = allow.filter((s) => !serviceNames.has(s));
    if (unknownServices.length > 0) throw new ApiError('UNKNOWN_SERVICE', `no such service: ${unknownServices.join(', ')}`);

    const name = body.name ?? `exemption-${localDay(policy, now).date.replaceAll('-', '')}-${randomBytes(2).toString('hex')}`;
    const current = await ctx.store.exemptions.effective(now);
    const configNames = policy.exemptions.filter((e) => e.source === 'config' && e.until > now).map((e) => e.name);
    if (current.some((e) => e.name === name) || configNames.includes(name)) {
      throw new ApiError('EXEMPTION_NAME_TAKEN', `an exemption named "${name}" is in force or pending`);
    }
    const created = await ctx.store.exemptions.create({ name, groups, clients, allow, from, until, reason, createdBy: user.username });
    const json = exemptionJson(created, now);
    await ctx.store.audit.record({ time: now, user: user.username, action: 'exemption.create', target: `exemption:${created.id}`, before: null, after: json });
    ctx.onExemptionsChanged();
    request.log.info({ exemption: created.id, name }, 'exemption created');
    return reply.code(201).send({ exemption: json });
  });

  app.delete<{ Params: Static<typeof IdParams> }>('/api/exemptions/:id', {
    schema: { params: IdParams, response: { 200: Type.Object({ exemption: ExemptionBody }), ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('operator'),
  }, async (request) => {
    const { user } = await authOf(ctx.auth, request);
    const now = ctx.now();
    const before = await ctx.store.exemptions.get(request.params.id);
    if (before === null) throw new ApiError('NOT_FOUND', `no exemption ${request.params.id}`);
    if (before.revokedAt !== null) throw new ApiError('ALREADY_REVOKED', `exemption ${before.id} was revoked before`);
    const after = await ctx.store.exemptions.revoke(before.id, user.username, now);
    if (after === null) throw new ApiError('NOT_FOUND', `no exemption ${request.params.id}`);
    const json = exemptionJson(after, now);
    await ctx.store.audit.record({
      time: now, user: user.username, action: 'exemption.revoke', target: `exemption:${before.id}`, before: exemptionJson(before, now), after: json,
    });
    ctx.onExemptionsChanged();
    request.log.info({ exemption: before.id }, 'exemption revoked');
    return { exemption: json };
  });
}
