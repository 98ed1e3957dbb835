/**
 * The shared query log's daily partitions: one table per UTC day, `querylog_dYYYYMMDD`, made ahead by
 * whichever gateway needs one first and dropped whole once older than the retention, which costs a
 * catalogue change instead of a DELETE over millions of rows.
 */
import type { Db } from './guarded-pool.js';

export const DAY_MS = 86_400_000;
/** Days made ahead of today, so that midnight never waits on DDL. */
export const DAYS_AHEAD = 2;
/** Advisory lock key for partition changes: the bytes of "rambu-pt" as an int8. */
const PARTITION_LOCK = '8241989062704858228';

/** The partition name of the UTC day that holds `time`. */
export function partitionName(time: number): string {
  const d = new Date(Math.floor(time / DAY_MS) * DAY_MS);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `querylog_d${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
}

/** The day a partition name stands for, as its first epoch ms; null for a table that is no partition of ours. */
export function partitionDay(name: string): number | null {
  const m = /^querylog_d(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (m === null) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/** A client that can run a transaction: a pg.Client or a pool's client. */
export interface TxClient extends Db {}

/**
 * Make the partitions of the UTC days from `from` to `to` (epoch ms, inclusive) that do not exist.
 * Two gateways may do it at once: an advisory lock serialises them. Returns the days made.
 */
export async function ensurePartitions(db: TxClient, from: number, to: number): Promise<number> {
  const first = Math.floor(from / DAY_MS) * DAY_MS;
  const days: number[] = [];
  for (let d = first; d <= to; d += DAY_MS) days.push(d);
  const existing = await listPartitions(db);
  const missing = days.filter((d) => !existing.has(d));
  if (missing.length === 0) return 0;
  await db.query('BEGIN');
  try {
    await db.query(`SELECT pg_advisory_xact_lock(${PARTITION_LOCK}::bigint)`);
    for (const d of missing) {
      await db.query(`CREATE TABLE IF NOT EXISTS ${partitionName(d)} PARTITION OF querylog FOR VALUES FROM (${d}) TO (${d + DAY_MS})`);
    }
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return missing.length;
}

/** The first epoch ms of every day that has a partition. */
export async function listPartitions(db: Db): Promise<Set<number>> {
  const r = await db.query<{ name: string }>(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'querylog'::regclass`);
  const days = new Set<number>();
  for (const row of r.rows) {
    const d = partitionDay(row.name);
    if (d !== null) days.add(d);
  }
  return days;
}

/**
 * Drop the partitions whose whole day is before `cutoff`, and the aggregates of those minutes.
 * Returns the partitions dropped.
 */
export async function dropOldPartitions(db: TxClient, cutoff: number): Promise<string[]> {
  const old = [...await listPartitions(db)].filter((d) => d + DAY_MS <= cutoff).sort((a, b) => a - b);
  const dropped: string[] = [];
  await db.query('BEGIN');
  try {
    await db.query(`SELECT pg_advisory_xact_lock(${PARTITION_LOCK}::bigint)`);
    for (const d of old) {
      await db.query(`DROP TABLE IF EXISTS ${partitionName(d)}`);
      dropped.push(partitionName(d));
    }
    await db.query('DELETE FROM querylog_minute WHERE minute < $1', [cutoff]);
    await db.query('DELETE FROM querylog_blocked_minute WHERE minute < $1', [cutoff]);
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return dropped;
}
