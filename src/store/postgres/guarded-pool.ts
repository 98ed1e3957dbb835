import type pg from 'pg';
import { STORE_ERROR_CODES, StoreError } from '../store-error.js';

/** What the repositories need of a pool: parameterised queries. */
export interface Db {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** Socket errors, and the SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Whether `err` says the server could not be reached or went away, as opposed to a query it refused. */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08') || code.startsWith('57P'))) return true;
  const message = err instanceof Error ? err.message : '';
  // pg's own wording for a connect timeout and a connection that ended under a query.
  return /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/i.test(message);
}

/** Statements that change the store. */
const WRITE = /^\s*(INSERT|UPDATE|DELETE)\b/i;

/**
 * The pool as the repositories see it: while `refuseWrites` gives a reason (a newer rambu upgraded the
 * schema under this gateway), changes fail with StoreError `STORE_SCHEMA_NEWER` and reads go on; a
 * query that fails because the server is unreachable throws
 * StoreError `STORE_UNAVAILABLE` naming the store (never the password), so the console can refuse the
 * change with that reason instead of an internal error; other failures pass through unchanged.
 */
export function guardPool(pool: pg.Pool, where: string, refuseWrites: () => string | null = () => null): Db {
  return {
    async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]) {
      const refusal = WRITE.test(text) ? refuseWrites() : null;
      if (refusal !== null) throw new StoreError(STORE_ERROR_CODES.STORE_SCHEMA_NEWER, refusal);
      try {
        return await pool.query<R>(text, values);
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        throw new StoreError(STORE_ERROR_CODES.STORE_UNAVAILABLE, `the shared store ${where} is unreachable: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
