/**
 * A small client of the RouterOS v7 REST API (`https://ROUTER/rest/...`): HTTP Basic auth, a JSON
 * body, a deadline per request, and bounded retries with exponential backoff and full jitter for
 * what may pass (no answer, a timeout, a 5xx, a reply that is not JSON). A refusal (401, 403) or any
 * other 4xx is final. Every failure is a {@link RouterOsError} (RAMBU_ENFORCE_FAILED) saying which
 * request failed and why; the password never appears in a message or a log line.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import { ERROR_CODES, RambuError } from '../../errors.js';

/** A RouterOS API request that failed; `status` is the HTTP status, null when none came. */
export class RouterOsError extends RambuError {
  readonly status: number | null;
  /** RouterOS's own words (`detail`, else `message` of its error JSON), or '' */
  readonly detail: string;
  /** Whether trying again may help (no answer, timeout, 5xx, garbage). */
  readonly transient: boolean;

  constructor(message: string, status: number | null, detail: string, transient: boolean, options?: { cause?: unknown }) {
    super(ERROR_CODES.ENFORCE_FAILED, message, options);
    this.name = 'RouterOsError';
    this.status = status;
    this.detail = detail;
    this.transient = transient;
  }
}

export type HttpMethod = 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST';

export interface RestClientOptions {
  /** The router: `https://192.168.88.1` (the `/rest` prefix is added when missing). */
  url: string;
  username: string;
  password: string;
  /** PEM certificates to trust for the router's HTTPS (a self-signed www-ssl certificate). */
  ca?: string | Buffer;
  logger: Logger;
  /** Deadline of one attempt, connect to last byte. @default 10000 */
  timeoutMs?: number;
  /** Attempts per request, the first included. @default 4 */
  attempts?: number;
  /** Backoff before the 2nd attempt; doubles each time, up to `maxBackoffMs`, with full jitter. @default 250 */
  backoffMs?: number;
  /** @default 4000 */
  maxBackoffMs?: number;
  /** Uniform [0, 1) for the jitter. @default Math.random */
  random?: () => number;
}

export interface RestClient {
  /** The API root without credentials, e.g. `https://192.168.88.1/rest`, for messages. */
  readonly base: string;
  /** Send `method` to `path` (e.g. `/ip/firewall/address-list`); resolves with the parsed JSON, null for an empty body. */
  request(method: HttpMethod, path: string, body?: unknown, query?: Readonly<Record<string, string>>): Promise<unknown>;
}

/** Largest reply read (a connection table of ~100k entries with a few properties fits). */
const MAX_BODY = 64 * 1024 * 1024;

/** TLS failures that another attempt cannot fix. */
const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/i;

/** The REST root of `url`; throws RangeError when it is not http(s) or carries credentials. */
export function restBase(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(`invalid RouterOS URL "${url}": expected https://ROUTER`);
  }
  // Never quote a URL with credentials in it: the message would carry the password.
  if (u.username !== '' || u.password !== '') throw new RangeError('the RouterOS URL must not carry a user name or password: put them in enforce.routeros.username and the password file');
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new RangeError(`invalid RouterOS URL "${url}": expected https://ROUTER`);
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = path.endsWith('/rest') ? path : `${path}/rest`;
  u.search = '';
  u.hash = '';
  return u;
}

function errorJson(text: string): { message: string; detail: string } {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      return { message: typeof o['message'] === 'string' ? o['message'] : '', detail: typeof o['detail'] === 'string' ? o['detail'] : '' };
    }
  } catch { /* not JSON: described by the status alone */ }
  return { message: '', detail: '' };
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

export function createRestClient(options: RestClientOptions): RestClient {
  const root = restBase(options.url);
  const base = root.toString().replace(/\/$/, '');
  const secure = root.protocol === 'https:';
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: 8, ...(options.ca === undefined ? {} : { ca: options.ca }) })
    : new HttpAgent({ keepAlive: true, maxSockets: 8 });
  const auth = `Basic ${Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64')}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const attempts = Math.max(1, options.attempts ?? 4);
  const backoffMs = options.backoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 4000;
  const random = options.random ?? Math.random;
  const log = options.logger;

  function once(method: HttpMethod, path: string, payload: string | undefined, query: string): Promise<unknown> {
    const what = `${method} ${path}`;
    return new Promise((resolve, reject) => {
      const url = new URL(`${root.pathname}${path}${query}`, root);
      const headers: Record<string, string> = { authorization: auth, accept: 'application/json' };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(payload));
      }
      const send = secure ? httpsRequest : httpRequest;
      let settled = false;
      const fail = (err: RouterOsError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      const req = send(url, { method, headers, agent }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) fail(new RouterOsError(`RouterOS API ${what}: the reply is larger than ${MAX_BODY} bytes`, res.statusCode ?? null, '', false));
          else chunks.push(c);
        });
        res.on('error', (err) => fail(new RouterOsError(`RouterOS API ${what}: the reply broke off: ${err.message}`, null, '', true, { cause: err })));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (status === 401 || status === 403) {
            reject(new RouterOsError(`RouterOS API at ${base} refused user "${options.username}" (${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}): check the user, its password file and that its group has the policies read, write, api and rest-api`, status, errorJson(text).detail, false));
            return;
          }
          if (status < 200 || status >= 300) {
            const e = errorJson(text);
            const words = e.detail !== '' ? e.detail : e.message !== '' ? e.message : shorten(text);
            reject(new RouterOsError(`RouterOS API ${what} answered ${status}${words === '' ? '' : `: ${words}`}`, status, e.detail !== '' ? e.detail : e.message, status >= 500));
            return;
          }
          if (text.trim() === '') { resolve(null); return; }
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new RouterOsError(`RouterOS API ${what} answered ${status} with a body that is not JSON: "${shorten(text)}"`, status, '', true));
          }
        });
      });
      const timer = setTimeout(() => fail(new RouterOsError(`RouterOS API ${what} timed out after ${timeoutMs} ms`, null, '', true)), timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? '';
        const cert = CERT_ERROR.test(code) || CERT_ERROR.test(err.message);
        const hint = cert ? ' (give the router\'s certificate as enforce.routeros.caFile)' : '';
        fail(new RouterOsError(`RouterOS API ${what} at ${base} failed: ${err.message}${hint}`, null, '', !cert, { cause: err }));
      });
      req.end(payload);
    });
  }

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  return {
    base,
    async request(method, path, body, query) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const qs = query === undefined || Object.keys(query).length === 0 ? '' : `?${new URLSearchParams(query).toString()}`;
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(method, path, payload, qs);
        } catch (err) {
          if (!(err instanceof RouterOsError) || !err.transient || attempt >= attempts) {
            if (err instanceof RouterOsError && attempt > 1) {
              throw new RouterOsError(`${err.message} (after ${attempt} attempts)`, err.status, err.detail, err.transient, { cause: err });
            }
            throw err;
          }
          const ceiling = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
          const delay = Math.round(random() * ceiling);
          log.warn({ method, path, attempt, delayMs: delay, err: err.message }, 'RouterOS API request failed, trying again');
          await sleep(delay);
        }
      }
    },
  };
}
