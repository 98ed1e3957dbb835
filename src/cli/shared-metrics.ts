/** /metrics for a gateway on the shared store: whether it hears the store, and every gateway's last check-in. */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { PostgresStore, ShipperStats } from '../store/index.js';

/** Register the shared store's gauges in `registry`; `shipping` says how this gateway's log reaches the shared one. */
export function registerSharedMetrics(shared: PostgresStore, registry: Registry, logger: Logger, shipping?: () => ShipperStats | null): void {
  new Gauge({
    name: 'rambu_shared_store_up', help: 'Whether this gateway is connected to the shared store and hears its changes (1) or runs on what it last knew (0)',
    registers: [registry],
    collect() { this.set(shared.connected() ? 1 : 0); },
  });
  new Gauge({
    name: 'rambu_gateway_last_seen_seconds', help: 'When each gateway on the shared store last checked in (every 10 s), Unix seconds',
    labelNames: ['gateway', 'address', 'version'], registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const g of await shared.gateways.list()) this.set({ gateway: g.name, address: g.address, version: g.version }, g.lastSeen / 1000);
      } catch (err) {
        // Unreachable: no series, and rambu_shared_store_up says why.
        logger.debug({ err: (err as Error).message }, 'gateway list unavailable for /metrics');
      }
    },
  });
  new Gauge({
    name: 'rambu_gateway_queries_per_second', help: 'Queries a second each gateway on the shared store answered, as it reported at its last check-in',
    labelNames: ['gateway'], registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const g of await shared.gateways.list()) this.set({ gateway: g.name }, g.queriesPerSecond);
      } catch (err) {
        logger.debug({ err: (err as Error).message }, 'gateway list unavailable for /metrics');
      }
    },
  });
  new Gauge({
    name: 'rambu_gateway_store_lag_seconds', help: 'Age of the oldest query-log row each gateway had not yet written to the shared store, at its last check-in',
    labelNames: ['gateway'], registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const g of await shared.gateways.list()) if (g.storeLagMs !== null) this.set({ gateway: g.name }, g.storeLagMs / 1000);
      } catch (err) {
        logger.debug({ err: (err as Error).message }, 'gateway list unavailable for /metrics');
      }
    },
  });
  if (shipping === undefined) return;
  new Gauge({
    name: 'rambu_query_log_shipped_rows', help: 'Rows of this gateway\'s query log since start: shipped to the shared store, or dropped (pruned locally before they could be)',
    labelNames: ['state'], registers: [registry],
    collect() {
      const s = shipping();
      if (s === null) return;
      this.set({ state: 'shipped' }, s.shipped);
      this.set({ state: 'dropped' }, s.dropped);
    },
  });
  new Gauge({
    name: 'rambu_query_log_ship_lag_seconds', help: 'Age of the oldest row of this gateway\'s query log not yet in the shared store (0: caught up)',
    registers: [registry],
    collect() { this.set((shipping()?.lagMs ?? 0) / 1000); },
  });
}
