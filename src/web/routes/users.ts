import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, StoreError, USERNAME_PATTERN } from '../../store/index.js';
import type { User } from '../../store/index.js';
import { ApiError } from '../api-error.js';
import { authOf } from '../auth.js';
import { ERROR_RESPONSES, RoleSchema, UserBody, iso } from '../schemas.js';
import type { WebContext } from '../web-context.js';

const Password = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH });

const CreateBody = Type.Object({
  username: Type.String({ pattern: USERNAME_PATTERN }),
  role: RoleSchema,
  password: Password,
}, { additionalProperties: false });

const PatchBody = Type.Object({
  role: Type.Optional(RoleSchema),
  password: Type.Optional(Password),
  disabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false, minProperties: 1 });

const NameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) });

const userJson = (u: User) => ({ username: u.username, role: u.role, disabled: u.disabled, createdAt: iso(u.createdAt), updatedAt: iso(u.updatedAt) });
const auditView = (u: User) => ({ username: u.username, role: u.role, disabled: u.disabled });
const isActiveAdmin = (u: User): boolean => u.role === 'admin' && !u.disabled;

/** `GET/POST /api/users`, `PATCH/DELETE /api/users/:username`: admins only. */
export async function userRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const admin = ctx.auth.require('admin');

  app.get('/api/users', {
    schema: { response: { 200: Type.Object({ users: Type.Array(UserBody) }), ...ERROR_RESPONSES } },
    onRequest: admin,
  }, async () => ({ users: (await ctx.store.users.list()).map(userJson) }));

  app.post<{ Body: Static<typeof CreateBody> }>('/api/users', {
    schema: { body: CreateBody, response: { 201: Type.Object({ user: UserBody }), ...ERROR_RESPONSES } },
    onRequest: admin,
  }, async (request, reply) => {
    const me = await authOf(ctx.auth, request);
    let user: User;
    try {
      user = await ctx.store.users.create(request.body);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'USER_EXISTS') throw new ApiError('USER_EXISTS', err.message);
      throw err;
    }
    await ctx.store.audit.record({
      time: ctx.now(), user: me.user.username, action: 'user.create', target: `user:${user.username}`, before: null, after: auditView(user),
    });
    return reply.code(201).send({ user: userJson(user) });
  });

  app.patch<{ Params: Static<typeof NameParams>; Body: Static<typeof PatchBody> }>('/api/users/:username', {
    schema: { params: NameParams, body: PatchBody, response: { 200: Type.Object({ user: UserBody }), ...ERROR_RESPONSES } },
    onRequest: admin,
  }, async (request) => {
    const me = await authOf(ctx.auth, request);
    const { username } = request.params;
    const change = request.body;
    const before = await ctx.store.users.get(username);
    if (before === null) throw new ApiError('NOT_FOUND', `no user "${username}"`);
    const losesAdmin = isActiveAdmin(before) && ((change.role !== undefined && change.role !== 'admin') || change.disabled === true);
    if (losesAdmin && (await ctx.store.users.countAdmins()) <= 1) {
      throw new ApiError('LAST_ADMIN', `"${username}" is the last enabled admin`);
    }
    const after = await ctx.store.users.update(username, {
      ...(change.role === undefined ? {} : { role: change.role }),
      ...(change.password === undefined ? {} : { password: change.password }),
      ...(change.disabled === undefined ? {} : { disabled: change.disabled }),
    });
    if (after === null) throw new ApiError('NOT_FOUND', `no user "${username}"`);
    if (change.password !== undefined || change.disabled === true) {
      // A new password or a disabled account ends the other sessions (keep the admin's own).
      await ctx.store.sessions.deleteForUser(username, username === me.user.username ? me.sessionId : undefined);
    }
    await ctx.store.audit.record({
      time: ctx.now(), user: me.user.username, action: 'user.update', target: `user:${username}`,
      before: auditView(before), after: { ...auditView(after), ...(change.password === undefined ? {} : { passwordChanged: true }) },
    });
    return { user: userJson(after) };
  });

  app.delete<{ Params: Static<typeof NameParams> }>('/api/users/:username', {
    schema: { params: NameParams, response: { 204: Type.Null(), ...ERROR_RESPONSES } },
    onRequest: admin,
  }, async (request, reply) => {
    const me = await authOf(ctx.auth, request);
    const { username } = request.params;
    const before = await ctx.store.users.get(username);
    if (before === null) throw new ApiError('NOT_FOUND', `no user "${username}"`);
    if (isActiveAdmin(before) && (await ctx.store.users.countAdmins()) <= 1) {
      throw new ApiError('LAST_ADMIN', `"${username}" is the last enabled admin`);
    }
    await ctx.store.sessions.deleteForUser(username);
    await ctx.store.users.delete(username);
    await ctx.store.audit.record({
      time: ctx.now(), user: me.user.username, action: 'user.delete', target: `user:${username}`, before: auditView(before), after: null,
    });
    return reply.code(204).send();
  });
}
