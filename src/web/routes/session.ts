import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../api-error.js';
import { SESSION_COOKIE, authOf, checkCsrf } from '../auth.js';
import { ERROR_RESPONSES, SessionBody } from '../schemas.js';
import type { WebContext } from '../web-context.js';

const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
}, { additionalProperties: false });

/** `POST/GET/DELETE /api/session`: log in, who am I, log out. */
export async function sessionRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const clearCookie = (reply: FastifyReply): void => {
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: ctx.secureCookies });
  };

  app.post<{ Body: Static<typeof LoginBody> }>('/api/session', {
    schema: { body: LoginBody, response: { 200: SessionBody, ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    const { username, password } = request.body;
    const now = ctx.now();
    const wait = ctx.throttle.retryAfter(request.ip, username, now);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new ApiError('RATE_LIMITED', `too many failed logins: try again in ${seconds} s`, { retryAfter: seconds });
    }
    const user = await ctx.store.users.verify(username, password);
    if (user === null) {
      ctx.throttle.failed(request.ip, username, now);
      request.log.info({ username }, 'login failed');
      throw new ApiError('INVALID_CREDENTIALS', 'wrong username or password');
    }
    // A login replaces whatever session the browser had.
    const previous = request.cookies[SESSION_COOKIE];
    if (previous !== undefined && previous !== '') await ctx.store.sessions.delete(previous);
    const expiresAt = now + ctx.sessionHours * 3_600_000;
    const { id, session } = await ctx.store.sessions.create(user.username, expiresAt);
    reply.setCookie(SESSION_COOKIE, id, {
      path: '/', httpOnly: true, sameSite: 'strict', secure: ctx.secureCookies, expires: new Date(expiresAt),
    });
    request.log.info({ username: user.username }, 'login');
    return { user: { username: user.username, role: user.role }, csrfToken: session.csrfToken };
  });

  app.get('/api/session', {
    schema: { response: { 200: SessionBody, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async (request) => {
    const a = await authOf(ctx.auth, request);
    return { user: { username: a.user.username, role: a.user.role }, csrfToken: a.session.csrfToken };
  });

  app.delete('/api/session', {
    schema: { response: { 204: Type.Null(), ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    const a = await ctx.auth.current(request);
    if (a !== null) {
      checkCsrf(request, a);
      await ctx.store.sessions.delete(a.sessionId);
      ctx.auth.forget(request);
    }
    clearCookie(reply);
    return reply.code(204).send();
  });
}
