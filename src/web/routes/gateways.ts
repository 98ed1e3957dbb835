import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ERROR_RESPONSES, IsoString, Nullable, iso } from '../schemas.js';
import type { GatewayRecord } from '../../store/index.js';
import type { WebContext } from '../web-context.js';

/** One gateway as the console lists it: as the shared store records it (on SQLite, this gateway alone,
 *  lastSeen now and storeLagMs null). */
export type GatewayStatus = GatewayRecord;

/** The gateways this console knows: every one on the shared store, or this one alone on SQLite. */
export interface GatewaySource {
  /** This gateway's name. */
  self: string;
  backend: 'sqlite' | 'postgres';
  list(): Promise<GatewayStatus[]>;
}

const GatewaysBody = Type.Object({
  backend: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
  self: Type.String(),
  gateways: Type.Array(Type.Object({
    name: Type.String(),
    address: Type.String(),
    version: Type.String(),
    startedAt: IsoString,
    lastSeen: IsoString,
    queriesPerSecond: Type.Number(),
    storeLagSeconds: Nullable(Type.Number()),
    self: Type.Boolean(),
  })),
});

/** `GET /api/gateways`: the gateways sharing this console's store, with their rate and log lag. */
export async function gatewayRoutes(app: FastifyInstance, ctx: WebContext, source: GatewaySource): Promise<void> {
  app.get('/api/gateways', {
    schema: { response: { 200: GatewaysBody, ...ERROR_RESPONSES } },
    onRequest: ctx.auth.require('viewer'),
  }, async () => ({
    backend: source.backend,
    self: source.self,
    gateways: (await source.list()).map((g) => ({
      name: g.name, address: g.address, version: g.version, startedAt: iso(g.startedAt), lastSeen: iso(g.lastSeen),
      queriesPerSecond: g.queriesPerSecond, storeLagSeconds: g.storeLagMs === null ? null : Math.round(g.storeLagMs / 100) / 10,
      self: g.name === source.self,
    })),
  }));
}
