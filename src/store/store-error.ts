/** Errors the store raises on purpose; callers branch on `code`. */
export const STORE_ERROR_CODES = {
  /** A pagination cursor that this store did not hand out. */
  INVALID_CURSOR: 'INVALID_CURSOR',
  /** A user with that name exists. */
  USER_EXISTS: 'USER_EXISTS',
  /** A query-log batch whose words cannot be decoded: refused whole, its rows counted as failed. */
  QUERY_LOG_BATCH: 'QUERY_LOG_BATCH',
  /** The shared (PostgreSQL) store cannot be reached; nothing was read or changed. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** A newer rambu upgraded the shared schema while this gateway runs: it refuses changes it may not understand. */
  STORE_SCHEMA_NEWER: 'STORE_SCHEMA_NEWER',
} as const;

export type StoreErrorCode = (typeof STORE_ERROR_CODES)[keyof typeof STORE_ERROR_CODES];

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}
