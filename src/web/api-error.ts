/**
 * The console API's error catalogue: every error response is `{ error: { code, message, details? } }`
 * with one of these stable codes. docs/api.md lists them; tests assert on codes, never on messages.
 */
export const API_ERRORS = {
  VALIDATION_FAILED: 400,
  INVALID_CURSOR: 400,
  UNKNOWN_SERVICE: 400,
  UNKNOWN_GROUP: 400,
  INVALID_CREDENTIALS: 401,
  UNAUTHENTICATED: 401,
  CSRF_INVALID: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  POLICY_EDITOR_UNAVAILABLE: 404,
  USER_EXISTS: 409,
  LAST_ADMIN: 409,
  ALREADY_REVOKED: 409,
  EXEMPTION_NAME_TAKEN: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  POLICY_INVALID: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  STORE_UNAVAILABLE: 503,
  STORE_SCHEMA_NEWER: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** An error the API answers on purpose; the error handler turns it into its status and JSON body. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly statusCode: number;
  readonly details: readonly unknown[] | undefined;
  /** Seconds, for 429. */
  readonly retryAfter: number | undefined;

  constructor(code: ApiErrorCode, message: string, extra: { details?: readonly unknown[]; retryAfter?: number } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = API_ERRORS[code];
    this.details = extra.details;
    this.retryAfter = extra.retryAfter;
  }
}
