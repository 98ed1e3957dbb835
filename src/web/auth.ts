import { timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role, Session, Store, User } from '../store/index.js';
import { ApiError } from './api-error.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'rambu_session';
export const CSRF_HEADER = 'x-csrf-token';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Auth {
  user: User;
  session: Session;
  sessionId: string;
}

/** Looks up and caches the logged-in user of a request. */
export class Authenticator {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #cache = new WeakMap<FastifyRequest, Auth | null>();

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /** The request's session and user, or null when there is no valid one (or the user is disabled). */
  async current(request: FastifyRequest): Promise<Auth | null> {
    if (this.#cache.has(request)) return this.#cache.get(request) ?? null;
    let auth: Auth | null = null;
    const sessionId = request.cookies[SESSION_COOKIE];
    if (sessionId !== undefined && sessionId !== '') {
      const session = await this.#store.sessions.get(sessionId, this.#now());
      const user = session === null ? null : await this.#store.users.get(session.username);
      if (session !== null && user !== null && !user.disabled) auth = { user, session, sessionId };
    }
    this.#cache.set(request, auth);
    return auth;
  }

  /** Forget the cached lookup (after logging in or out within the same request). */
  forget(request: FastifyRequest): void {
    this.#cache.delete(request);
  }

  /**
   * A hook that admits logged-in users of at least `role`. Checks, in order: a session (401), the CSRF
   * token on state-changing methods (403 CSRF_INVALID), the role (403 FORBIDDEN).
   */
  require(role: Role) {
    return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      const auth = await this.current(request);
      if (auth === null) throw new ApiError('UNAUTHENTICATED', 'log in first');
      checkCsrf(request, auth);
      // A role this build does not know (a database written by a newer one) ranks below every role.
      if (!((RANK[auth.user.role] ?? -1) >= RANK[role])) {
        // Refusals change nothing, so the audit log does not hold them; the service log names who tried.
        request.log.warn({ user: auth.user.username, role: auth.user.role, needs: role, method: request.method, url: request.url }, 'request refused: role too low');
        throw new ApiError('FORBIDDEN', `role "${auth.user.role}" may not do this: needs "${role}"`);
      }
    };
  }
}

/** Throw CSRF_INVALID unless a state-changing request carries the session's token. */
export function checkCsrf(request: FastifyRequest, auth: Auth): void {
  if (SAFE_METHODS.has(request.method)) return;
  const header = request.headers[CSRF_HEADER];
  const given = Buffer.from(typeof header === 'string' ? header : '', 'utf8');
  const expected = Buffer.from(auth.session.csrfToken, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiError('CSRF_INVALID', `missing or wrong ${CSRF_HEADER} header`);
  }
}

/** The auth of a request that passed {@link Authenticator.require}. */
export async function authOf(auth: Authenticator, request: FastifyRequest): Promise<Auth> {
  const a = await auth.current(request);
  if (a === null) throw new ApiError('UNAUTHENTICATED', 'log in first');
  return a;
}
