/**
 * The console's only door to the server: JSON over fetch, same origin, the session cookie sent by the
 * browser, and the CSRF token from `GET /api/session` on every state-changing request.
 */

/** An error answer of the API, `{ error: { code, message } }`, or a network failure (`status` 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The whole `error` object, for extra fields such as the issues of a refused policy. */
  readonly detail: Record<string, unknown>;

  constructor(status: number, code: string, message: string, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

let csrfToken: string | null = null;

/** Remember the token the server issued with the session (null after logout). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any request answers 401, so the app can fall back to the login page. */
let onUnauthorized: (() => void) | null = null;

export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  /** A JSON body, or a string sent as-is with `contentType`. */
  body?: unknown;
  contentType?: string;
  /** Query parameters; empty strings and undefined are left out. */
  query?: Record<string, string | number | undefined>;
  /** Do not call the 401 handler (the session probe and the login form expect 401). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

function withQuery(path: string, query: RequestOptions['query']): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === '') continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs === '' ? path : `${path}?${qs}`;
}

/** Send one request; resolves to the parsed JSON (or text), rejects with {@link ApiError}. */
export async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string' && options.contentType !== undefined) {
      body = options.body;
      headers['content-type'] = options.contentType;
    } else {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
  }
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;

  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) init.body = body;
  if (options.signal !== undefined) init.signal = options.signal;

  let res: Response;
  try {
    res = await fetch(withQuery(path, options.query), init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', err instanceof Error ? err.message : String(err));
  }

  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  let data: unknown = text;
  if (type.includes('json') && text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const error = typeof data === 'object' && data !== null && 'error' in data
      ? (data as { error: unknown }).error
      : null;
    const detail = typeof error === 'object' && error !== null ? error as Record<string, unknown> : {};
    const code = typeof detail['code'] === 'string' ? detail['code'] : `HTTP_${res.status}`;
    const message = typeof detail['message'] === 'string'
      ? detail['message']
      : typeof data === 'string' && data !== '' ? data.slice(0, 200) : res.statusText;
    if (res.status === 401 && options.quiet401 !== true) onUnauthorized?.();
    throw new ApiError(res.status, code, message, detail);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, { ...options, body }),
  put: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('PUT', path, { ...options, body }),
  patch: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('PATCH', path, { ...options, body }),
  del: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('DELETE', path, { ...options, body }),
};
