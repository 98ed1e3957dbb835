/**
 * The answer index across gateways: every gateway writes the answers it gave (new ones, another
 * name, a longer life; never every repeat) into the shared `answers` table, a batch every half
 * second, and takes in the rows the other gateways wrote, by id above its mark, into its own index
 * as if it had given them. A client that asks gateway B while its flows reach gateway A is thus
 * attributed and enforced on A too. The local index stays the fail-static copy: while PostgreSQL is
 * away each gateway goes on with what it knows, keeps what it gave meanwhile (bounded), and trades
 * both ways once the store is back. Runs on the main thread, off the DNS path: one connection of its
 * own, a statement a batch.
 */
import type { Logger } from 'pino';
import pg from 'pg';
import { Gauge, type Registry } from 'prom-client';

/** One answer as the table holds it (the answer index's entry, expiry in epoch ms). */
export interface SharedAnswer {
  client: string;
  address: string;
  name: string;
  service: string | null;
  expires: number;
}

/** What sharing needs of the answer keeper. */
export interface AnswerSource {
  takeShared(max: number): SharedAnswer[];
  applyShared(entries: readonly SharedAnswer[]): number;
  /** Changed answers the keeper could not keep for sharing (too many waiting there). */
  notShared?(): number;
}

export interface AnswerSharingOptions {
  /** How to reach the shared store (password included: it stays in this process). */
  config: pg.ClientConfig;
  gateway: string;
  keeper: AnswerSource;
  logger: Logger;
  registry?: Registry;
  /** @default Date.now */
  now?: () => number;
  /** Pause between rounds. @default 500 */
  intervalMs?: number;
  /** Answers waiting for the store while it is away; more are dropped (counted). @default 200000 */
  maxHeld?: number;
}

export interface AnswerSharingStats {
  /** Rows written to the shared table since the start. */
  shipped: number;
  /** Rows of other gateways taken in. */
  received: number;
  /** Answers not shared: too many waited while the store was away. */
  dropped: number;
  /** Since when this gateway has not heard the others' answers (0 while a round completes every interval), ms. */
  lagMs: number;
  connected: boolean;
}

export interface AnswerSharing {
  stats(): AnswerSharingStats;
  close(): Promise<void>;
}

/** Rows a statement writes, and a read takes in. */
export const SHARE_BATCH = 2_000;
const PRUNE_MS = 60_000;
/** Advisory lock key that orders the writers of `answers`, so that ids become visible in order: "rambu-an". */
const ANSWERS_LOCK = '8241989062704849262';

const SHIP = `INSERT INTO answers AS a (gateway, client, address, name, service, expires, updated_at)
  SELECT $1, u.client, u.address, u.name, u.service, u.expires, $2
  FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS u(client, address, name, service, expires)
  ON CONFLICT (gateway, client, address) DO UPDATE SET id = nextval('answers_seq'), name = EXCLUDED.name, service = EXCLUDED.service,
    expires = EXCLUDED.expires, updated_at = EXCLUDED.updated_at
  WHERE a.expires < EXCLUDED.expires OR a.name <> EXCLUDED.name OR a.service IS DISTINCT FROM EXCLUDED.service`;

const READ = `SELECT id, client, address, name, service, expires FROM answers
  WHERE id > $1 AND gateway <> $2 AND expires > $3 ORDER BY id LIMIT $4`;

/** Write `rows` as `gateway`'s, in one transaction that holds the writers' lock. */
export async function shipAnswers(client: pg.Client, gateway: string, rows: readonly SharedAnswer[], now: number): Promise<void> {
  if (rows.length === 0) return;
  await client.query('BEGIN');
  try {
    // Ids are taken under the lock and committed before it is released: a reader that saw id n has
    // seen every id below it, so its mark never skips a row committed later.
    await client.query(`SELECT pg_advisory_xact_lock(${ANSWERS_LOCK}::bigint)`);
    await client.query(SHIP, [gateway, now, rows.map((r) => r.client), rows.map((r) => r.address), rows.map((r) => r.name),
      rows.map((r) => r.service), rows.map((r) => r.expires)]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The other gateways' live rows after `mark`, oldest id first. */
export async function readAnswers(client: pg.Client, gateway: string, mark: number, now: number, limit = SHARE_BATCH): Promise<{ rows: SharedAnswer[]; mark: number }> {
  const r = await client.query<{ id: string; client: string; address: string; name: string; service: string | null; expires: string }>(READ, [mark, gateway, now, limit]);
  const rows = r.rows.map((x) => ({ client: x.client, address: x.address, name: x.name, service: x.service, expires: Number(x.expires) }));
  const last = r.rows[r.rows.length - 1];
  return { rows, mark: last === undefined ? mark : Number(last.id) };
}

/** Start sharing the answers of `options.keeper` with the other gateways on the shared store. */
export function startAnswerSharing(options: AnswerSharingOptions): AnswerSharing {
  const now = options.now ?? Date.now;
  const log = options.logger.child({ subsystem: 'answer-sharing' });
  const interval = options.intervalMs ?? 500;
  const maxHeld = options.maxHeld ?? 200_000;
  const stats: AnswerSharingStats = { shipped: 0, received: 0, dropped: 0, lagMs: 0, connected: false };
  // Taken from the keeper, not yet written: kept across an outage, newest last.
  let held: SharedAnswer[] = [];
  let mark = 0;
  let heardAt = now();
  let prunedAt = -Infinity;
  let closing = false;
  let wake: (() => void) | null = null;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    const t = setTimeout(() => { wake = null; resolve(); }, ms);
    t.unref();
    wake = () => { clearTimeout(t); wake = null; resolve(); };
  });

  const hold = (): void => {
    const room = maxHeld - held.length;
    const taken = options.keeper.takeShared(Math.max(room, 0) + SHARE_BATCH);
    if (taken.length > room) {
      stats.dropped += taken.length - Math.max(room, 0);
      taken.length = Math.max(room, 0);
    }
    if (taken.length > 0) held = held.concat(taken);
  };

  const round = async (client: pg.Client): Promise<void> => {
    hold();
    // A backlog goes out SHARE_BATCH rows a statement; what is written leaves `held` once, at the end
    // or when a statement fails.
    let sent = 0;
    try {
      while (sent < held.length && !closing) {
        const batch = held.slice(sent, sent + SHARE_BATCH);
        await shipAnswers(client, options.gateway, batch, now());
        sent += batch.length;
        stats.shipped += batch.length;
      }
    } finally {
      if (sent > 0) held = held.slice(sent);
    }
    for (;;) {
      const got = await readAnswers(client, options.gateway, mark, now());
      mark = got.mark;
      if (got.rows.length > 0) {
        options.keeper.applyShared(got.rows);
        stats.received += got.rows.length;
      }
      if (got.rows.length < SHARE_BATCH || closing) break;
      // A large backlog after an outage: a turn of the event loop between pages, so DNS answers.
      await new Promise((r) => setImmediate(r));
    }
    heardAt = now();
    stats.lagMs = 0;
    if (now() - prunedAt >= PRUNE_MS) {
      prunedAt = now();
      const gone = await client.query('DELETE FROM answers WHERE expires <= $1', [prunedAt]);
      if ((gone.rowCount ?? 0) > 0) log.debug({ rows: gone.rowCount }, 'expired shared answers pruned');
    }
  };

  const done = (async () => {
    let client: pg.Client | null = null;
    let delay = 500;
    let lost = false;
    while (!closing) {
      try {
        if (client === null) {
          const c = new pg.Client(options.config);
          c.on('error', () => undefined);
          await c.connect();
          client = c;
          if (lost) log.info({ waiting: held.length }, 'shared answers reachable again: trading what waited');
          stats.connected = true;
          lost = false;
        }
        await round(client);
        delay = 500;
        await sleep(interval);
      } catch (err) {
        if (stats.connected) log.warn({ err: (err as Error).message }, 'shared answers unreachable: this gateway goes on with its own index');
        stats.connected = false;
        lost = true;
        stats.lagMs = Math.max(0, now() - heardAt);
        await client?.end().catch(() => undefined);
        client = null;
        // What was given meanwhile waits here, bounded, for the store to come back.
        hold();
        await sleep(delay);
        delay = Math.min(delay * 2, 5_000);
      }
    }
    // The last answers given before the stop, once, if the store is there.
    if (client !== null) {
      try {
        hold();
        if (held.length > 0) await shipAnswers(client, options.gateway, held.slice(0, SHARE_BATCH), now());
      } catch {
        // Stopping: they are in the local index, and their clients ask again.
      }
      await client.end().catch(() => undefined);
    }
  })();

  if (options.registry !== undefined) {
    new Gauge({
      name: 'rambu_answer_index_shared_rows', help: 'Answers traded through the shared store since start: shipped (given here), received (given by other gateways), dropped (too many waited while the store was away)',
      labelNames: ['state'], registers: [options.registry],
      collect() {
        this.set({ state: 'shipped' }, stats.shipped);
        this.set({ state: 'received' }, stats.received);
        this.set({ state: 'dropped' }, stats.dropped + (options.keeper.notShared?.() ?? 0));
      },
    });
    new Gauge({
      name: 'rambu_answer_index_shared_lag_seconds', help: 'How long this gateway has not heard the other gateways\' answers (0 while the shared store answers)',
      registers: [options.registry],
      collect() { this.set(stats.connected ? stats.lagMs / 1000 : Math.max(0, now() - heardAt) / 1000); },
    });
  }

  return {
    stats: () => ({ ...stats, lagMs: stats.connected ? stats.lagMs : Math.max(0, now() - heardAt) }),
    async close() {
      closing = true;
      wake?.();
      await done;
    },
  };
}
