/** /metrics for a gateway on the shared store: whether it hears the store, and every gateway's last check-in. */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { PostgresStore } from '../store/index.js';

/** Register the shared store's gauges in `registry`. */
export function registerSharedMetrics(shared: PostgresStore, registry: Registry, logger: Logger): void {
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
}
