/**
 * The RouterOS back-end: rambu beside a MikroTik router drives it through the RouterOS v7 REST API.
 * `hold` keeps the address lists of address-list-plan.ts in sync (entries with a timeout and the
 * comment `rambu`, diffed against what the router holds, so a second hold sends only the
 * difference); `cut` removes the tracked TCP and UDP connections of the pairs; `clear` removes every
 * entry rambu made. The firewall rules that use the lists are pasted once (routeros-script.ts).
 *
 * Entries carry a timeout so that a router whose rambu is gone lets the block lapse by itself; while
 * rambu runs it re-applies the last hold every `refreshMs`, giving entries with less than half their
 * timeout left a fresh one.
 */
import type { Logger } from 'pino';
import { FILE_LIMITS, readNamedFileSync } from '../../config/index.js';
import { ERROR_CODES, RambuError } from '../../errors.js';
import type { BlockPair, EnforceBackend } from '../index.js';
import { isOwned, listChanges, ROUTEROS_COMMENT, wantedEntries, type Family, type ListEntry, type RouterEntry } from './address-list-plan.js';
import { connectionsToCut, type RouterConnection } from './connection-match.js';
import { createRestClient, RouterOsError, type RestClient } from './rest-client.js';
import { formatRouterOsTime, parseRouterOsTime } from './routeros-time.js';

export interface RouterOsBackendOptions {
  /** The router's REST API: `https://192.168.88.1` (`/rest` is added). */
  url: string;
  username: string;
  /** Read from the file `enforce.routeros.passwordFile` names; never logged. */
  password: string;
  /** A PEM file of the certificate(s) to trust for the router's www-ssl service. */
  caFile?: string;
  logger: Logger;
  /** Wall clock, epoch ms (durations in the log). @default Date.now */
  now?: () => number;
  /** Lifetime of each address-list entry on the router. @default 3600000 (1h) */
  entryTimeoutMs?: number;
  /** Re-apply the last hold this often, so entries never lapse while rambu runs; 0: never. @default entryTimeoutMs / 4 */
  refreshMs?: number;
  /** Deadline of one API request. @default 10000 */
  requestTimeoutMs?: number;
  /** Attempts per API request. @default 4 */
  attempts?: number;
  /** First backoff between attempts (doubled each time, jittered). @default 250 */
  backoffMs?: number;
  /** API requests in flight at once. @default 4 */
  concurrency?: number;
}

const LIST_PATH: Record<Family, string> = { 4: '/ip/firewall/address-list', 6: '/ipv6/firewall/address-list' };
const CONNECTION_PATH: Record<Family, string> = { 4: '/ip/firewall/connection', 6: '/ipv6/firewall/connection' };
const FAMILIES: readonly Family[] = [4, 6];

function garbage(client: RestClient, path: string, why: string): RouterOsError {
  return new RouterOsError(`RouterOS API GET ${path} at ${client.base} answered with something other than a list of records: ${why}`, 200, '', false);
}

/** The records of a GET reply: an array of objects whose values are strings. */
function records(client: RestClient, path: string, value: unknown): Record<string, string>[] {
  if (!Array.isArray(value)) throw garbage(client, path, `got ${value === null ? 'null' : typeof value}`);
  return value.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw garbage(client, path, `item ${i} is not an object`);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
    if (out['.id'] === undefined) throw garbage(client, path, `item ${i} has no .id`);
    return out;
  });
}

/** A reply saying the menu does not exist: the router has no IPv6 (package disabled on an old build). */
function noSuchMenu(err: unknown): boolean {
  return err instanceof RouterOsError && (err.status === 404 || (err.status === 400 && /no such (command|directory)/i.test(err.detail)));
}

/** Run `fn` over `items`, at most `limit` at a time; resolves with the errors, in item order. */
async function inPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try { await fn(item); } catch (err) { errors.push(err); }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return errors;
}

function firstFailure(errors: readonly unknown[], of: number, what: string): unknown {
  const first = errors[0];
  if (errors.length === 1 || !(first instanceof RambuError)) return first;
  return new RambuError(ERROR_CODES.ENFORCE_FAILED, `${errors.length} of ${of} ${what} failed; the first: ${first.message}`, { cause: first });
}

/**
 * The back-end for the router at `options.url`. Nothing is sent until the first call. Throws
 * RangeError for a URL that is not http(s) or carries a user or password, RambuError CONFIG_INVALID
 * for a CA file that cannot be read; every failure of a call is RambuError ENFORCE_FAILED.
 */
export function createRouterOsBackend(options: RouterOsBackendOptions): EnforceBackend {
  const log = options.logger.child({ backend: 'routeros' });
  const now = options.now ?? Date.now;
  const timeoutMs = options.entryTimeoutMs ?? 3_600_000;
  const refreshMs = options.refreshMs ?? timeoutMs / 4;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let ca: Buffer | undefined;
  if (options.caFile !== undefined) {
    try {
      ca = readNamedFileSync(options.caFile, FILE_LIMITS.caFile);
    } catch (err) {
      throw new RambuError(ERROR_CODES.CONFIG_INVALID, `cannot read the RouterOS CA file "${options.caFile}": ${(err as Error).message}`);
    }
  }
  const client = createRestClient({
    url: options.url, username: options.username, password: options.password, logger: log,
    ...(ca === undefined ? {} : { ca }),
    ...(options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs }),
    ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
    ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
  });
  const timeout = formatRouterOsTime(timeoutMs);

  async function entries(f: Family): Promise<RouterEntry[] | null> {
    const path = LIST_PATH[f];
    let reply: unknown;
    try {
      reply = await client.request('GET', path, undefined, { comment: ROUTEROS_COMMENT, '.proplist': '.id,list,address,comment,timeout' });
    } catch (err) {
      if (f === 6 && noSuchMenu(err)) return null;
      throw err;
    }
    return records(client, path, reply).map((r) => ({
      id: r['.id']!, list: r['list'] ?? '', address: r['address'] ?? '', comment: r['comment'] ?? '',
      remainingMs: r['timeout'] === undefined || r['timeout'] === '' ? null : parseRouterOsTime(r['timeout']),
    }));
  }

  /** `/*1A` of an item (an id of another shape is escaped, never spliced into the path). */
  const id = (e: { id: string }): string => `/${encodeURIComponent(e.id)}`;

  async function syncFamily(f: Family, wanted: readonly ListEntry[]): Promise<{ added: number; removed: number; refreshed: number }> {
    const held = await entries(f);
    if (held === null) {
      if (wanted.length > 0) throw new RambuError(ERROR_CODES.ENFORCE_FAILED, `RouterOS at ${client.base} has no ${LIST_PATH[f]}: is IPv6 enabled on the router?`);
      return { added: 0, removed: 0, refreshed: 0 };
    }
    const plan = listChanges(held, wanted, timeoutMs);
    const path = LIST_PATH[f];
    const tally = { added: 0, removed: 0, refreshed: 0 };
    type Job = () => Promise<void>;
    const jobs: Job[] = [
      ...plan.remove.map((e): Job => async () => {
        try { await client.request('DELETE', `${path}${id(e)}`); tally.removed++; } catch (err) {
          if (!(err instanceof RouterOsError && err.status === 404)) throw err; // gone already (expired)
        }
      }),
      ...plan.add.map((e): Job => async () => {
        try {
          await client.request('PUT', path, { list: e.list, address: e.address, timeout, comment: ROUTEROS_COMMENT });
          tally.added++;
        } catch (err) {
          // A retried PUT whose first attempt did land, or someone else's entry: the address is listed.
          if (!(err instanceof RouterOsError && err.status === 400 && /already have/i.test(err.detail))) throw err;
        }
      }),
      ...plan.refresh.map((e): Job => async () => {
        try { await client.request('PATCH', `${path}${id(e)}`, { timeout }); tally.refreshed++; } catch (err) {
          if (!(err instanceof RouterOsError && err.status === 404)) throw err;
          await client.request('PUT', path, { list: e.list, address: e.address, timeout, comment: ROUTEROS_COMMENT });
          tally.added++;
        }
      }),
    ];
    const errors = await inPool(jobs, concurrency, (job) => job());
    if (errors.length > 0) throw firstFailure(errors, jobs.length, `changes to ${path}`);
    return tally;
  }

  let last: readonly BlockPair[] | null = null;
  let timer: NodeJS.Timeout | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  /** One sync at a time: a refresh and a hold of the scheduler never interleave. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  function schedule(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (refreshMs <= 0 || last === null) return;
    timer = setTimeout(() => {
      timer = null;
      const pairs = last;
      if (pairs === null) return;
      serial(() => sync(pairs)).catch((err: unknown) => log.error({ err: (err as Error).message }, 'refreshing the RouterOS address lists failed'));
    }, refreshMs);
    timer.unref();
  }

  async function sync(pairs: readonly BlockPair[]): Promise<void> {
    const started = now();
    const wanted = wantedEntries(pairs);
    try {
      const total = { added: 0, removed: 0, refreshed: 0 };
      for (const f of FAMILIES) {
        const t = await syncFamily(f, wanted[f]);
        total.added += t.added; total.removed += t.removed; total.refreshed += t.refreshed;
      }
      const fields = { ...total, entries: wanted[4].length + wanted[6].length, ms: now() - started };
      if (total.added + total.removed > 0) log.info(fields, 'RouterOS address lists updated');
      else log.debug(fields, 'RouterOS address lists in sync');
    } finally {
      schedule();
    }
  }

  return {
    name: 'routeros',
    hold(pairs) {
      const held = [...pairs];
      last = held;
      return serial(() => sync(held));
    },
    async cut(pairs) {
      let cut = 0;
      let tried = 0;
      const errors: unknown[] = [];
      for (const f of FAMILIES) {
        const mine = pairs.filter((p) => (f === 4) === !p.address.includes(':'));
        if (mine.length === 0) continue;
        const path = CONNECTION_PATH[f];
        let reply: unknown;
        try {
          reply = await client.request('GET', path, undefined, { '.proplist': '.id,src-address,dst-address,protocol' });
        } catch (err) {
          if (f === 6 && noSuchMenu(err)) continue; // no IPv6 on the router: nothing of it to cut
          throw err;
        }
        const table: RouterConnection[] = records(client, path, reply).map((r) => ({ id: r['.id']!, srcAddress: r['src-address'] ?? '', dstAddress: r['dst-address'] ?? '', protocol: r['protocol'] ?? '' }));
        const doomed = connectionsToCut(table, mine);
        tried += doomed.length;
        errors.push(...await inPool(doomed, concurrency, async (c) => {
          try {
            await client.request('DELETE', `${path}${id(c)}`);
            cut++;
          } catch (err) {
            if (!(err instanceof RouterOsError && err.status === 404)) throw err; // closed meanwhile
          }
        }));
      }
      if (errors.length > 0) throw firstFailure(errors, tried, 'connection removals');
      if (cut > 0) log.info({ connections: cut, pairs: pairs.length }, 'RouterOS connections cut');
      return cut;
    },
    clear() {
      last = null;
      schedule();
      return serial(async () => {
        let removed = 0;
        for (const f of FAMILIES) {
          const held = await entries(f);
          if (held === null) continue;
          const path = LIST_PATH[f];
          const mine = held.filter(isOwned);
          const errors = await inPool(mine, concurrency, async (e) => {
            try { await client.request('DELETE', `${path}${id(e)}`); removed++; } catch (err) {
              if (!(err instanceof RouterOsError && err.status === 404)) throw err;
            }
          });
          if (errors.length > 0) throw firstFailure(errors, mine.length, `removals from ${path}`);
        }
        log.info({ removed }, 'RouterOS address lists cleared');
      });
    },
  };
}
