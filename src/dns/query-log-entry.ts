/** What the gateway did with one query, handed to `onQuery` (the query log, the console). */
export type QueryAction = 'block' | 'allow' | 'refused' | 'ratelimited' | 'error';

export interface QueryLogEntry {
  /** Epoch ms the query arrived, on the injected clock. */
  time: number;
  /** Client address (IPv4-mapped IPv6 shown as IPv4). */
  client: string;
  /** Question name, lowercase, no trailing dot; `''` for the root or a query without a question. */
  name: string;
  /** Question type mnemonic, e.g. `AAAA`, or `TYPE<n>`. */
  type: string;
  action: QueryAction;
  service: string | null;
  rule: string | null;
  exemption: string | null;
  /** Response code sent, e.g. `NXDOMAIN`; `NONE` when the query was dropped. */
  rcode: string;
  /** Time from receiving the query to having the answer, ms (wall clock). */
  latencyMs: number;
  /** Label of the upstream that answered, or null (cache, block, local answer). */
  upstream: string | null;
  /** Whether the answer came from the cache. */
  cached: boolean;
}
