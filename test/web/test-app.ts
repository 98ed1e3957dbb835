/** Shared kit for the web tests: a real SQLite store in a temp dir, the app, a clock, and users. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Policy } from '../../src/policy/index.js';
import { openStore } from '../../src/store/index.js';
import type { Role, SqliteStore } from '../../src/store/index.js';
import { buildApp } from '../../src/web/index.js';
import type { BuildAppOptions } from '../../src/web/index.js';
import { FakePolicy } from './fake-policy.js';

/** Monday 2026-05-04 08:00 in Jakarta: inside work hours. */
export const MONDAY_0800 = Date.parse('2026-05-04T08:00:00+07:00');
export const PASSWORDS: Record<Role, string> = { admin: 'admin-password-1', operator: 'operator-password-1', viewer: 'viewer-password-1' };

export interface TestApp {
  app: FastifyInstance;
  store: SqliteStore;
  clock: { now: number };
  policy: { current: Policy };
  /** Everything the app logged, one JSON line each. */
  logs: string[];
  exemptionChanges: { count: number };
  /** Log in; returns the cookie header value and the CSRF token. */
  login(username: string, password?: string): Promise<{ cookie: string; csrf: string }>;
  close(): Promise<void>;
}

export async function createTestApp(options: Partial<BuildAppOptions> & { users?: boolean; withTraffic?: boolean } = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-web-'));
  const clock = { now: MONDAY_0800 };
  const store = openStore({ dir, now: () => clock.now, pruneIntervalMs: 0 });
  const logs: string[] = [];
  const logger = pino({ level: 'trace' }, new Writable({ write(chunk: Buffer, _enc, cb) { logs.push(chunk.toString()); cb(); } }));
  const policy: { current: Policy } = { current: new FakePolicy() };
  const exemptionChanges = { count: 0 };
  if (options.users !== false) {
    for (const role of ['admin', 'operator', 'viewer'] as const) {
      await store.users.create({ username: role, role, password: PASSWORDS[role] });
    }
  }
  const { users: _users, withTraffic, ...rest } = options;
  const app = buildApp({
    store,
    getPolicy: () => policy.current,
    now: () => clock.now,
    onExemptionsChanged: () => { exemptionChanges.count++; },
    logger,
    ...(withTraffic === true ? { traffic: { flows: store.flows, probes: store.probes } } : {}),
    ...rest,
  });
  await app.ready();
  return {
    app, store, clock, policy, logs, exemptionChanges,
    async login(username, password) {
      const res = await app.inject({
        method: 'POST', url: '/api/session',
        payload: { username, password: password ?? PASSWORDS[username as Role] ?? '' },
      });
      if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
      const cookie = res.cookies.find((c) => c.name === 'rambu_session');
      if (cookie === undefined) throw new Error('no session cookie');
      return { cookie: `rambu_session=${cookie.value}`, csrf: (res.json() as { csrfToken: string }).csrfToken };
    },
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Headers of a logged-in, state-changing request. */
export function authed(s: { cookie: string; csrf: string }): Record<string, string> {
  return { cookie: s.cookie, 'x-csrf-token': s.csrf };
}
