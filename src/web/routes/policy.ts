import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseInstant, parseIp } from '../../policy/index.js';
import { ApiError } from '../api-error.js';
import { authOf } from '../auth.js';
import { ERROR_RESPONSES, IsoString, Nullable, iso, isoOrNull } from '../schemas.js';
import type { WebContext } from '../web-context.js';
import { ScheduleSchema } from './status.js';

const TRANSITIONS = 14;

const PolicySchema = Type.Object({
  timezone: Type.String(),
  holidays: Type.Array(Type.String()),
  /** Names of holidays by date, from the built-in calendars and the file. */
  holidayNames: Type.Record(Type.String(), Type.String()),
  /** Built-in calendars in use and the last date their data covers. */
  calendars: Type.Array(Type.String()),
  calendarDataEnd: Nullable(Type.String()),
  editable: Type.Boolean(),
  schedules: Type.Array(Type.Composite([ScheduleSchema, Type.Object({
    active: Type.Boolean(),
    transitions: Type.Array(Type.Object({ at: IsoString, active: Type.Boolean() })),
  })])),
  groups: Type.Array(Type.Object({ name: Type.String(), networks: Type.Array(Type.String()) })),
  services: Type.Array(Type.Object({
    name: Type.String(), title: Type.String(), builtin: Type.Boolean(), kind: Type.String(), domains: Type.Integer(),
    sample: Type.Array(Type.String()), source: Type.String(),
  })),
  rules: Type.Array(Type.Object({
    name: Type.String(), action: Type.String(), services: Type.Array(Type.String()), groups: Type.Array(Type.String()),
    during: Nullable(Type.String()), mode: Type.String(), startsOn: Nullable(Type.String()),
  })),
  exemptions: Type.Array(Type.Object({
    name: Type.String(), groups: Type.Array(Type.String()), clients: Type.Array(Type.String()), allow: Type.Array(Type.String()),
    from: Nullable(IsoString), until: IsoString, reason: Type.String(), source: Type.String(), id: Nullable(Type.Integer()),
    createdBy: Nullable(Type.String()),
  })),
});

const ExplainQuery = Type.Object({
  client: Type.String({ minLength: 1, maxLength: 64 }),
  name: Type.String({ minLength: 1, maxLength: 255 }),
  at: Type.Optional(Type.String({ maxLength: 64 })),
}, { additionalProperties: false });

const ExplainSchema = Type.Object({
  client: Type.String(), name: Type.String(), at: IsoString, action: Type.String(), service: Nullable(Type.String()),
  rule: Nullable(Type.String()), exemption: Nullable(Type.String()), until: Nullable(IsoString),
  /** Present (true) when `rule` is on trial and would have blocked the name. */
  monitor: Type.Optional(Type.Boolean()),
});

const YamlBody = Type.Object({ text: Type.String({ maxLength: 1_000_000 }) }, { additionalProperties: false });

/** `GET /api/policy`, `GET /api/explain`, `GET/PUT /api/policy/yaml`. */
export async function policyRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get('/api/policy', {
    schema: { response: { 200: PolicySchema, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async (request) => {
    const admin = (await authOf(ctx.auth, request)).user.role === 'admin';
    const at = ctx.now();
    const p = ctx.getPolicy();
    const now = ctx.now();
    return {
      timezone: p.timezone,
      holidays: p.holidays,
      holidayNames: p.holidayNames,
      calendars: p.calendars,
      calendarDataEnd: p.calendarDataEnd,
      editable: ctx.policyEditor !== undefined,
      schedules: p.schedules.map((s) => ({
        ...s,
        active: p.scheduleState(s.name, at)?.active ?? false,
        transitions: p.scheduleTransitions(s.name, at, TRANSITIONS).map((t) => ({ at: iso(t.at), active: t.active })),
      })),
      groups: p.groups,
      // A blocklist's source is its path on the server: for admins only.
      services: admin ? p.services : p.services.map((s) => (s.kind === 'blocklist' ? { ...s, source: 'blocklist file' } : s)),
      rules: p.rules,
      exemptions: p.exemptions.filter((e) => e.until > now).map((e) => ({
        name: e.name, groups: e.groups, clients: e.clients, allow: e.allow, from: isoOrNull(e.from), until: iso(e.until),
        reason: e.reason, source: e.source, id: e.id ?? null, createdBy: e.createdBy ?? null,
      })),
    };
  });

  app.get<{ Querystring: Static<typeof ExplainQuery> }>('/api/explain', {
    schema: { querystring: ExplainQuery, response: { 200: ExplainSchema, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async (request) => {
    const { client, at: atText } = request.query;
    const name = request.query.name.trim().toLowerCase().replace(/\.$/, '');
    const problems: { path: string; message: string }[] = [];
    if (parseIp(client) === null) problems.push({ path: 'client', message: `"${client}" is not an IP address` });
    if (name === '' || name.length > 253 || /\s/.test(name)) problems.push({ path: 'name', message: `"${name}" is not a domain name` });
    const at = atText === undefined ? ctx.now() : parseInstant(atText);
    if (at === null) problems.push({ path: 'at', message: `"${atText ?? ''}" is not an ISO 8601 instant with an offset` });
    if (problems.length > 0 || at === null) {
      throw new ApiError('VALIDATION_FAILED', problems.map((p) => `${p.path}: ${p.message}`).join('; '), { details: problems });
    }
    const d = ctx.getPolicy().decide(client, name, at);
    return { client, name, at: iso(at), ...d, until: isoOrNull(d.until) };
  });

  const editor = () => {
    if (ctx.policyEditor === undefined) throw new ApiError('POLICY_EDITOR_UNAVAILABLE', 'this server has no policy file to edit');
    return ctx.policyEditor;
  };

  app.get('/api/policy/yaml', {
    schema: { response: { 200: Type.Object({ text: Type.String(), file: Type.String() }), ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('admin'),
  }, async () => editor().read());

  app.put<{ Body: Static<typeof YamlBody> }>('/api/policy/yaml', {
    schema: { body: YamlBody, response: { 200: Type.Object({ ok: Type.Literal(true) }), ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('admin'),
  }, async (request) => {
    const { user } = await authOf(ctx.auth, request);
    const ed = editor();
    const before = ed.read();
    const result = await ed.write(request.body.text, user.username);
    if (!result.ok) {
      throw new ApiError('POLICY_INVALID', `the policy has ${result.errors.length} problem(s)`, { details: result.errors });
    }
    await ctx.store.audit.record({
      time: ctx.now(), user: user.username, action: 'policy.update', target: `policy:${before.file}`, before: before.text, after: request.body.text,
    });
    request.log.info({ file: before.file }, 'policy updated from the console');
    return { ok: true as const };
  });
}
