/**
 * Per-minute sums of attributed flows, by (client, group, service) and, for traffic no answer
 * accounts for, by remote /24 or /48. The collector drains them to the store every second, so a flow
 * shows in reports within seconds; between drains memory holds one row per distinct key, bounded.
 */
import type { Attribution } from './attributor.js';

export interface TrafficAggregate {
  /** Epoch ms of the minute's start. */
  minute: number;
  client: string;
  group: string;
  service: string;
  bytes: number;
  packets: number;
  flows: number;
}

export interface RemoteAggregate {
  minute: number;
  /** `a.b.c.0/24` or `x:y:z::/48`. */
  prefix: string;
  bytes: number;
  packets: number;
  flows: number;
}

/** The client key rows fold into once a drain interval holds the most distinct keys it may. */
export const OVERFLOW_CLIENT = '(overflow)';

export class MinuteAggregates {
  // minute -> client -> service -> row: nested maps, so the hot path builds no key strings.
  #traffic = new Map<number, Map<string, Map<string, TrafficAggregate>>>();
  #rows = 0;
  #remotes = new Map<string, RemoteAggregate>();
  /** Rows folded into {@link OVERFLOW_CLIENT} since start. */
  folded = 0;

  /** @param maxKeys distinct rows held between drains, per table. */
  constructor(readonly maxKeys = 100_000) {}

  add(at: number, a: Attribution, bytes: number, packets: number): void {
    const minute = at - (at % 60_000);
    let clients = this.#traffic.get(minute);
    if (clients === undefined) { clients = new Map(); this.#traffic.set(minute, clients); }
    let row = clients.get(a.client)?.get(a.service);
    if (row === undefined) {
      let client = a.client;
      if (this.#rows >= this.maxKeys) {
        this.folded++;
        client = OVERFLOW_CLIENT;
        row = clients.get(client)?.get(a.service);
      }
      if (row === undefined) {
        row = { minute, client, group: a.group, service: a.service, bytes: 0, packets: 0, flows: 0 };
        let services = clients.get(client);
        if (services === undefined) { services = new Map(); clients.set(client, services); }
        services.set(a.service, row);
        this.#rows++;
      }
    }
    row.bytes += bytes;
    row.packets += packets;
    row.flows++;
    if (a.unresolvedPrefix !== null) {
      const rkey = `${minute}\u0000${a.unresolvedPrefix}`;
      let r = this.#remotes.get(rkey);
      if (r === undefined) {
        if (this.#remotes.size >= this.maxKeys) return;
        r = { minute, prefix: a.unresolvedPrefix, bytes: 0, packets: 0, flows: 0 };
        this.#remotes.set(rkey, r);
      }
      r.bytes += bytes;
      r.packets += packets;
      r.flows++;
    }
  }

  /** Rows waiting to be written. */
  get size(): number { return this.#rows; }

  /** Take every row summed since the last drain. */
  drain(): { traffic: TrafficAggregate[]; remotes: RemoteAggregate[] } {
    const traffic: TrafficAggregate[] = [];
    for (const clients of this.#traffic.values()) for (const services of clients.values()) for (const row of services.values()) traffic.push(row);
    const out = { traffic, remotes: [...this.#remotes.values()] };
    this.#traffic = new Map();
    this.#remotes = new Map();
    this.#rows = 0;
    return out;
  }
}
