import { STORE_ERROR_CODES, StoreError } from './store-error.js';

/**
 * Keyset cursors: the sort key of the last row of a page, opaque to clients. Encoded as base64url of
 * decimal integers joined by `.` so that a tampered cursor fails to decode rather than reaching SQL.
 */
export function encodeCursor(parts: readonly number[]): string {
  return Buffer.from(parts.map((p) => String(Math.trunc(p))).join('.'), 'utf8').toString('base64url');
}

/** Decode a cursor of exactly `count` integers; throws StoreError `INVALID_CURSOR`. */
export function decodeCursor(cursor: string, count: number): number[] {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const parts = text.split('.');
  if (parts.length !== count || !parts.every((p) => /^-?\d{1,16}$/.test(p))) {
    throw new StoreError(STORE_ERROR_CODES.INVALID_CURSOR, `invalid cursor "${cursor.slice(0, 40)}"`);
  }
  return parts.map(Number);
}
