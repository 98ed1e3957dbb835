import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AnswerIndex } from '../answers/index.js';
import type { EnforcerStatus } from '../enforce/index.js';
import type { Policy } from '../policy/index.js';
import { StoreError } from '../store/index.js';
import type { FlowStore, ProbeStore, Store } from '../store/index.js';
import { ApiError } from './api-error.js';
import type { ApiErrorCode } from './api-error.js';
import { Authenticator } from './auth.js';
import { LoginThrottle } from './login-throttle.js';
import type { LoginThrottleOptions } from './login-throttle.js';
import { answerRoutes } from './routes/answers.js';
import { auditRoutes } from './routes/audit.js';
import { exemptionRoutes } from './routes/exemptions.js';
import { gatewayRoutes, type GatewaySource } from './routes/gateways.js';
import { healthRoutes } from './routes/health.js';
import { overviewRoutes } from './routes/overview.js';
import { policyRoutes } from './routes/policy.js';
import { queryRoutes } from './routes/queries.js';
import { sessionRoutes } from './routes/session.js';
import { statusRoutes } from './routes/status.js';
import { trafficRoutes } from './routes/traffic.js';
import { userRoutes } from './routes/users.js';
import { staticFiles } from './static-files.js';
import type { PolicyEditor, WebContext } from './web-context.js';

export interface BuildAppOptions {
  store: Store;
  /** The policy in force now; called on every request that needs it, so reloads show at once. */
  getPolicy: () => Policy;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
  /** Called after an exemption is created or revoked: rebuild the policy with the console's exemptions. */
  onExemptionsChanged?: () => void;
  /** Present when the server has a policy file that admins may edit. */
  policyEditor?: PolicyEditor;
  /** Served at /metrics. */
  metrics?: Registry;
  /** Built UI files; absent: only the API is served. */
  staticDir?: string;
  /** Secure cookies, HSTS and upgrade-insecure-requests, for consoles behind TLS. @default false */
  secureCookies?: boolean;
  /**
   * Addresses and CIDRs of reverse proxies whose X-Forwarded-For is believed: the client address (for
   * login throttling) is the first hop from the right that is not one of them. @default [] (none)
   */
  trustProxy?: readonly string[];
  /** Longest exemption an operator may create, in days; admins are not bound. @default 31 */
  maxExemptionDays?: number;
  /** Session lifetime. @default 12 */
  sessionHours?: number;
  logger?: Logger;
  loginThrottle?: LoginThrottleOptions;
  /** Flow aggregates and probe results, read by `GET /api/traffic` and `/api/probes`; absent, not served. */
  traffic?: { flows: FlowStore; probes: ProbeStore };
  /** The answer index, read by `GET /api/answers`; absent, the route is not served. */
  answers?: AnswerIndex;
  /** The gateways on this store, read by `GET /api/gateways`; absent, the route is not served. */
  gateways?: GatewaySource;
  /** Firewall enforcement's status for `GET /api/status`; null or absent: not configured. */
  enforcement?: () => EnforcerStatus | null;
}

/** Log paths that may hold secrets: passwords, cookies, tokens. Apply them to the root logger too. */
export const LOG_REDACT_PATHS = [
  'req.headers.cookie', 'req.headers.authorization', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]',
  'headers.cookie', 'headers["x-csrf-token"]', 'password', '*.password', 'body.password', 'csrfToken', '*.csrfToken',
];

/**
 * A request must arrive whole within 30 s and its headers within 20 s; the server checks every 2 s.
 * Node's defaults (300 s, 60 s, checked every 30 s) let a slow client hold a connection for minutes.
 */
export const REQUEST_TIMEOUT_MS = 30_000;
export const HEADERS_TIMEOUT_MS = 20_000;
const CONNECTIONS_CHECK_MS = 2_000;

/**
 * Whether a request URL is an API path, as the router sees it: `/%61pi/session` routes to
 * `/api/session`, so it gets the API's headers and JSON 404s too.
 */
export function isApiPath(url: string): boolean {
  const raw = url.split('?')[0] ?? '/';
  let path = raw;
  try {
    path = decodeURIComponent(raw);
  } catch {
    // Malformed escapes: the router answers 400 for those; judge the raw text.
  }
  return path === '/api' || path.startsWith('/api/');
}

const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Build the console (API plus UI files) without listening; the serve command listens, tests inject. */
export function buildApp(options: BuildAppOptions): FastifyInstance {
  const secureCookies = options.secureCookies ?? false;
  const now = options.now ?? Date.now;
  const logger = options.logger?.child({ subsystem: 'web' }, { redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } });
  const trustProxy = options.trustProxy === undefined || options.trustProxy.length === 0 ? false : [...options.trustProxy];
  const serverOptions = {
    trustProxy, bodyLimit: 1_048_576, requestTimeout: REQUEST_TIMEOUT_MS,
    http: { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: CONNECTIONS_CHECK_MS },
  };
  const app = (logger === undefined
    ? Fastify({ logger: false, ...serverOptions })
    : Fastify({ loggerInstance: logger, ...serverOptions })) as unknown as FastifyInstance;

  const ctx: WebContext = {
    store: options.store,
    getPolicy: options.getPolicy,
    now,
    onExemptionsChanged: options.onExemptionsChanged ?? (() => {}),
    policyEditor: options.policyEditor,
    auth: new Authenticator(options.store, now),
    throttle: new LoginThrottle(options.loginThrottle),
    secureCookies,
    sessionHours: options.sessionHours ?? 12,
    maxExemptionDays: options.maxExemptionDays ?? 31,
    enforcement: options.enforcement ?? (() => null),
  };

  app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: secureCookies ? { ...CSP_DIRECTIVES, upgradeInsecureRequests: [] } : CSP_DIRECTIVES,
    },
    hsts: secureCookies ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  });
  app.register(cookie);

  app.addHook('onSend', async (request, reply, payload) => {
    if (isApiPath(request.url) && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((error: FastifyError | ApiError | StoreError, request, reply) => {
    let code: ApiErrorCode;
    let status: number;
    let details: readonly unknown[] | undefined;
    if (error instanceof ApiError) {
      ({ code, statusCode: status, details } = error);
      if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
    } else if (error instanceof StoreError && error.code === 'INVALID_CURSOR') {
      code = 'INVALID_CURSOR';
      status = 400;
    } else if (error instanceof StoreError && (error.code === 'STORE_UNAVAILABLE' || error.code === 'STORE_SCHEMA_NEWER')) {
      // Fail static: DNS keeps the last policy it knew; the console refuses changes rather than lose them.
      code = error.code;
      status = 503;
      request.log.warn({ err: error.message }, 'shared store unreachable');
    } else if ('validation' in error && error.validation !== undefined) {
      code = 'VALIDATION_FAILED';
      status = 400;
      details = error.validation.map((v) => ({
        path: `${error.validationContext ?? ''}${v.instancePath}`,
        message: v.message ?? 'invalid',
      }));
    } else {
      const sc = (error as FastifyError).statusCode ?? 500;
      status = sc;
      // 403 comes from the static files' refusals (a path outside the UI folder, a dot file).
      code = sc === 413 ? 'PAYLOAD_TOO_LARGE' : sc === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : sc === 404 ? 'NOT_FOUND' : sc === 403 ? 'FORBIDDEN'
        : sc >= 400 && sc < 500 ? 'VALIDATION_FAILED' : 'INTERNAL';
      if (code === 'VALIDATION_FAILED') status = 400;
      if (code === 'INTERNAL') {
        status = 500;
        request.log.error({ err: error }, 'request failed');
      }
    }
    const message = code === 'INTERNAL' ? 'internal error; the server log has the detail' : error.message;
    return reply.code(status).send({ error: { code, message, ...(details === undefined ? {} : { details: [...details] }) } });
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (options.staticDir !== undefined && (request.method === 'GET' || request.method === 'HEAD') && !isApiPath(request.url)) {
      // Client-side routes (/status, /queries, ...) load the app shell.
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    throw new ApiError('NOT_FOUND', `no route ${request.method} ${path}`);
  });

  app.register(healthRoutes, { metrics: options.metrics });
  for (const routes of [statusRoutes, sessionRoutes, overviewRoutes, policyRoutes, queryRoutes, auditRoutes, exemptionRoutes, userRoutes]) {
    app.register(async (instance) => routes(instance, ctx));
  }
  const answers = options.answers;
  if (answers !== undefined) app.register(async (instance) => answerRoutes(instance, ctx, answers));
  const gateways = options.gateways;
  if (gateways !== undefined) app.register(async (instance) => gatewayRoutes(instance, ctx, gateways));
  const traffic = options.traffic;
  if (traffic !== undefined) app.register(async (instance) => trafficRoutes(instance, ctx, traffic));
  if (options.staticDir !== undefined) app.register(staticFiles, { root: options.staticDir });
  return app;
}
