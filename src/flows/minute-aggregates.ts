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
  #traffic = new Map<string, TrafficAggregate>();
  #remotes = new Map<string, RemoteAggregate>();
  /** Rows folded into {@link OVERFLOW_CLIENT} since start. */
  folded = 0;

  /** @param maxKeys distinct rows held between drains, per table. */
  constructor(readonly maxKeys = 100_000) {}

  add(at: number, a: Attribution, bytes: number, packets: number): void {
    const minute = at - (at % 60_000);
    let key = `${minute}\u0000${a.client}\u0000${a.group}\u0000${a.service}`;
    let row = this.#traffic.get(key);
    if (row === undefined) {
      let client = a.client;
      if (this.#traffic.size >= this.maxKeys) {
        this.folded++;
        client = OVERFLOW_CLIENT;
        key = `${minute}\u0000${client}\u0000${a.group}\u0000${a.service}`;
        row = this.#traffic.get(key);
      }
      if (row === undefined) {
        row = { minute, client, group: a.group, service: a.service, bytes: 0, packets: 0, flows: 0 };
        this.#traffic.set(key, row);
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

  /** Whether anything waits to be written. */
  get size(): number { return this.#traffic.size; }

  /** Take every row summed since the last drain. */
  drain(): { traffic: TrafficAggregate[]; remotes: RemoteAggregate[] } {
    const out = { traffic: [...this.#traffic.values()], remotes: [...this.#remotes.values()] };
    this.#traffic = new Map();
    this.#remotes = new Map();
    return out;
  }
}
