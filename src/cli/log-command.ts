/**
 * `rambu log`: read the query log, as a table or as JSON lines: the data directory's, or with
 * `storage.backend: postgres` every gateway's from the shared store.
 */
import { QUERY_ACTIONS, openGatewayStore } from '../store/index.js';
import type { QueryAction, QueryLogFilter, QueryLogRow, StorageChoice } from '../store/index.js';

export interface LogCommandArgs {
  dataDir: string;
  /** The config's `storage`; absent: the data directory's log. */
  storage?: StorageChoice;
  /** Only the queries this gateway answered. */
  gateway?: string;
  client?: string;
  /** Substring of the name. */
  name?: string;
  action?: string;
  /** Epoch ms; only queries at or after it. */
  since?: number;
  /** Rows at most, the newest. @default 50 */
  limit?: number;
  /** One JSON object per line instead of a table. */
  json: boolean;
}

/** Format rows as a left-aligned text table with a header line. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const PAGE = 500;

/**
 * Print the newest `limit` queries matching the filters, oldest first so the newest ends at the
 * bottom of the terminal. Returns the exit code: 0, or 1 for an invalid argument.
 */
export async function runLogCommand(args: LogCommandArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream = out): Promise<number> {
  if (args.action !== undefined && !(QUERY_ACTIONS as readonly string[]).includes(args.action)) {
    err.write(`rambu log: invalid action "${args.action}": expected one of ${QUERY_ACTIONS.join(', ')}\n`);
    return 1;
  }
  const limit = args.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1) {
    err.write(`rambu log: invalid limit "${limit}": expected a positive integer\n`);
    return 1;
  }
  const filter: QueryLogFilter = {};
  if (args.gateway !== undefined) filter.gateway = args.gateway;
  if (args.client !== undefined) filter.client = args.client;
  if (args.name !== undefined && args.name !== '') filter.name = args.name;
  if (args.action !== undefined) filter.action = args.action as QueryAction;
  if (args.since !== undefined) filter.since = args.since;

  const storage: StorageChoice = args.storage ?? { backend: 'sqlite', path: args.dataDir, retentionDays: 30, url: null, passwordFile: null, gatewayName: 'cli' };
  const store = await openGatewayStore(storage, { pruneIntervalMs: 0, live: false });
  const shared = store.backend === 'postgres';
  const rows: QueryLogRow[] = [];
  try {
    let cursor: string | undefined;
    while (rows.length < limit) {
      const page = await store.queryLog.query(filter, { limit: Math.min(PAGE, limit - rows.length), ...(cursor === undefined ? {} : { cursor }) });
      rows.push(...page.rows);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
  } finally {
    await store.close();
  }
  rows.reverse();

  if (args.json) {
    for (const r of rows) out.write(`${JSON.stringify({ ...r, time: new Date(r.time).toISOString() })}\n`);
    return 0;
  }
  if (rows.length === 0) {
    out.write('no queries match\n');
    return 0;
  }
  out.write(formatTable(
    [...(shared ? ['GATEWAY'] : []), 'TIME', 'CLIENT', 'TYPE', 'NAME', 'ACTION', 'SERVICE', 'BY', 'RCODE', 'MS'],
    rows.map((r) => [
      ...(shared ? [r.gateway ?? ''] : []), new Date(r.time).toISOString(), r.client, r.type, r.name, r.action === 'monitor' ? 'would-block' : r.action, r.service ?? '-',
      r.exemption !== null ? `exemption:${r.exemption}` : r.rule ?? '-', r.rcode, r.cached ? 'cache' : r.latencyMs.toFixed(1),
    ]),
  ));
  return 0;
}
