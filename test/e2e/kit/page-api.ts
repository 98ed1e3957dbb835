/**
 * Calls the API from inside a logged-in page, with the browser's own session cookie and, like the
 * console, the session's CSRF token in `x-csrf-token`: what a user could do by hand from the devtools.
 */
import type { Page } from 'playwright-core';

export interface PageApiAnswer {
  status: number;
  /** `error.code` of an error answer, else null. */
  code: string | null;
  body: unknown;
}

export interface PageApiOptions {
  /** A JSON body. */
  body?: unknown;
  /** Send the session's CSRF token (read from `GET /api/session`). @default true */
  csrf?: boolean;
}

export function pageApi(page: Page, method: string, path: string, options: PageApiOptions = {}): Promise<PageApiAnswer> {
  const args = { method, path, body: options.body === undefined ? null : JSON.stringify(options.body), csrf: options.csrf ?? true };
  return page.evaluate(async ({ method, path, body, csrf }) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (csrf) {
      const session = await fetch('/api/session', { headers: { accept: 'application/json' } });
      if (session.ok) headers['x-csrf-token'] = ((await session.json()) as { csrfToken: string }).csrfToken;
    }
    if (body !== null) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, ...(body === null ? {} : { body }) });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    const error = typeof json === 'object' && json !== null ? (json as { error?: { code?: unknown } }).error : undefined;
    return { status: res.status, code: typeof error?.code === 'string' ? error.code : null, body: json };
  }, args);
}
