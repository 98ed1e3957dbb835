/** What `GET /api/gateways` lists: the gateways of the shared store, or this gateway alone on SQLite. */
import { queryRate, type GatewayStore } from '../store/index.js';
import type { GatewaySource } from '../web/index.js';

/** The gateway list for this gateway's console. */
export function gatewaySource(store: GatewayStore, self: { name: string; address: string; version: string }): GatewaySource {
  const startedAt = Date.now();
  const shared = store.shared;
  if (shared === null) {
    const rate = queryRate(() => store.queryLog.stats());
    return {
      self: self.name, backend: 'sqlite',
      list: async () => [{ ...self, startedAt, lastSeen: Date.now(), queriesPerSecond: rate(), storeLagMs: null }],
    };
  }
  return { self: self.name, backend: 'postgres', list: () => shared.gateways.list() };
}
