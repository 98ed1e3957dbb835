import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GroupMatcher } from '../group-matcher.js';
import { localDay } from '../local-day.js';
import { ERROR_RESPONSES, IsoString, Nullable, iso } from '../schemas.js';
import type { WebContext } from '../web-context.js';

const DAY = 86_400_000;
const TOP_CLIENTS = 10;

const OverviewSchema = Type.Object({
  timezone: Type.String(),
  day: Type.Object({ from: IsoString, to: IsoString }),
  totals: Type.Object({ queries: Type.Integer(), blocked: Type.Integer(), wouldBlock: Type.Integer() }),
  /** Queries a rule on trial would have blocked (answered as allowed), per service. */
  wouldBlockByService: Type.Array(Type.Object({ service: Nullable(Type.String()), count: Type.Integer() })),
  blockedByService: Type.Array(Type.Object({ service: Nullable(Type.String()), count: Type.Integer() })),
  blockedByGroup: Type.Array(Type.Object({ group: Nullable(Type.String()), count: Type.Integer() })),
  topBlockedClients: Type.Array(Type.Object({ client: Type.String(), count: Type.Integer(), group: Nullable(Type.String()) })),
  queriesPerMinute: Type.Array(Type.Object({ minute: IsoString, total: Type.Integer(), blocked: Type.Integer() })),
});

/** `GET /api/overview`: blocked today by service, by group and by client; queries per minute, 24 h. */
export async function overviewRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get('/api/overview', {
    schema: { response: { 200: OverviewSchema, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async () => {
    const now = ctx.now();
    const policy = ctx.getPolicy();
    const { start } = localDay(policy, now);
    const until = now + 1;
    const log = ctx.store.queryLog;
    const [byService, byClient, perMinute, today, wouldBlock] = await Promise.all([
      log.blockedByService(start, until),
      log.blockedByClient(start, until),
      log.queriesPerMinute(now - DAY, until),
      log.queriesPerMinute(start, until),
      log.wouldBlockByService(start, until),
    ]);
    const matcher = new GroupMatcher(policy.groups);
    const byGroup = new Map<string | null, number>();
    for (const c of byClient) {
      const g = matcher.groupOf(c.client);
      byGroup.set(g, (byGroup.get(g) ?? 0) + c.count);
    }
    return {
      timezone: policy.timezone,
      day: { from: iso(start), to: iso(now) },
      totals: {
        queries: today.reduce((n, m) => n + m.total, 0),
        blocked: today.reduce((n, m) => n + m.blocked, 0),
        wouldBlock: wouldBlock.reduce((n, s) => n + s.count, 0),
      },
      wouldBlockByService: wouldBlock,
      blockedByService: byService,
      blockedByGroup: [...byGroup].map(([group, count]) => ({ group, count })).sort((a, b) => b.count - a.count),
      topBlockedClients: byClient.slice(0, TOP_CLIENTS).map((c) => ({ ...c, group: matcher.groupOf(c.client) })),
      queriesPerMinute: perMinute.map((m) => ({ minute: iso(m.minute), total: m.total, blocked: m.blocked })),
    };
  });
}
