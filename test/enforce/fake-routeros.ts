/**
 * A fake RouterOS v7 REST API on loopback for tests, following the documented behaviour: HTTP Basic
 * auth (401 with `{"error":401,"message":"Unauthorized"}` otherwise); GET a menu for an array of
 * records whose values are all strings, query parameters filtering by equality and `.proplist`
 * choosing properties; PUT to add (the new record back), PATCH `/*ID` to set, DELETE `/*ID` to
 * remove, POST `<menu>/remove` with `.id` or `numbers`; errors as `{"error":N,"message":"...",
 * "detail":"..."}` (400 "failure: already have such entry", 404 "Not Found"). It keeps IPv4 and
 * IPv6 address lists (entries with a timeout are dynamic and lapse) and connection tables, and can be
 * told to answer 500, send garbage (not JSON, or JSON of the wrong shape), hang or refuse a number
 * of times.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIPv4, isIPv6, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Family = 'ip' | 'ipv6';

export interface FakeEntry { id: string; list: string; address: string; comment: string | undefined; expiresAt: number | null }
export interface FakeConnection { id: string; protocol: string; src: string; dst: string }
export type FaultKind = 'status500' | 'garbage' | 'shape' | 'hang' | 'refuse';
interface Fault { kind: FaultKind; left: number; match: RegExp }

export interface FakeRouterOsOptions {
  username?: string;
  password?: string;
  /** Serve HTTPS with a self-signed certificate made with openssl (when openssl is there). @default true */
  tls?: boolean;
  /** Clock for entry timeouts. @default Date.now */
  now?: () => number;
  /** Whether the IPv6 menus exist. @default true */
  ipv6?: boolean;
}

export interface FakeRouterOs {
  /** `https://127.0.0.1:PORT` (or http:// without openssl). */
  readonly url: string;
  /** PEM of the server's certificate, or null for HTTP. */
  readonly cert: string | null;
  /** Every request as `METHOD /rest/path?query`, in order. */
  readonly requests: string[];
  entries(family: Family): FakeEntry[];
  addEntry(family: Family, e: { list: string; address: string; comment?: string; timeoutMs?: number }): string;
  connections(family: Family): FakeConnection[];
  addConnection(family: Family, c: { protocol: string; src: string; dst: string }): string;
  /** The next `times` requests matching `match` (default: any) fail as `kind`. */
  fail(kind: FaultKind, times: number, match?: RegExp): void;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 made with openssl, or null when openssl is missing. */
export function selfSignedCert(): { key: string; cert: string } | null {
  if (spawnSync('sh', ['-c', 'command -v openssl'], { stdio: 'ignore' }).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'rambu-fake-ros-'));
  try {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

class HttpError extends Error {
  constructor(readonly status: number, readonly text: string, readonly detail?: string) { super(text); }
}

const UNIT: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

function parseTime(text: string): number {
  if (!/^(\d+[wdhms])+$/.test(text)) throw new HttpError(400, 'Bad Request', `value of timeout out of range or invalid: ${text}`);
  let ms = 0;
  for (const m of text.matchAll(/(\d+)([wdhms])/g)) ms += Number(m[1]) * UNIT[m[2]!]!;
  return ms;
}

function formatTime(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  let out = '';
  for (const [u, n] of [['w', 604_800], ['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const k = Math.floor(s / n);
    if (k > 0) out += `${k}${u}`;
    s -= k * n;
  }
  return out === '' ? '0s' : out;
}

export async function startFakeRouterOs(options: FakeRouterOsOptions = {}): Promise<FakeRouterOs> {
  const user = options.username ?? 'rambu';
  const password = options.password ?? 'rahasia-router-9f3k';
  const now = options.now ?? Date.now;
  const withV6 = options.ipv6 ?? true;
  const pem = options.tls === false ? null : selfSignedCert();
  let nextId = 0x10;
  const newId = (): string => `*${(nextId++).toString(16).toUpperCase()}`;
  const lists: Record<Family, FakeEntry[]> = { ip: [], ipv6: [] };
  const conns: Record<Family, FakeConnection[]> = { ip: [], ipv6: [] };
  const faults: Fault[] = [];
  const requests: string[] = [];
  const hanging = new Set<ServerResponse>();

  const expire = (f: Family): FakeEntry[] => {
    lists[f] = lists[f].filter((e) => e.expiresAt === null || e.expiresAt > now());
    return lists[f];
  };

  const normal = (f: Family, address: string): string => {
    const bare = address.replace(/\/(32|128)$/, '');
    if (f === 'ip' && isIPv4(bare)) return bare;
    if (f === 'ipv6' && isIPv6(bare)) return `${new URL(`http://[${bare}]/`).hostname.slice(1, -1)}/128`;
    throw new HttpError(400, 'Bad Request', `invalid value for argument address: ${address}`);
  };

  const renderEntry = (e: FakeEntry): Record<string, string> => ({
    '.id': e.id, list: e.list, address: e.address, 'creation-time': '2026-12-07 07:00:00', disabled: 'false',
    dynamic: e.expiresAt === null ? 'false' : 'true',
    ...(e.expiresAt === null ? {} : { timeout: formatTime(e.expiresAt - now()) }),
    ...(e.comment === undefined ? {} : { comment: e.comment }),
  });
  const renderConn = (c: FakeConnection): Record<string, string> => ({
    '.id': c.id, protocol: c.protocol, 'src-address': c.src, 'dst-address': c.dst, 'reply-src-address': c.dst, 'reply-dst-address': c.src,
    timeout: '23h59m58s', 'tcp-state': c.protocol === 'tcp' ? 'established' : '', 'orig-bytes': '4096', 'repl-bytes': '1048576', assured: 'true', confirmed: 'true',
  });

  const select = (records: Record<string, string>[], query: URLSearchParams): Record<string, string>[] => {
    let out = records;
    for (const [k, v] of query) if (k !== '.proplist') out = out.filter((r) => r[k] === v);
    const props = query.get('.proplist');
    if (props === null) return out;
    const keep = props.split(',');
    return out.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => keep.includes(k))));
  };

  const ENTRY_KEYS = new Set(['list', 'address', 'timeout', 'comment', 'disabled', 'dynamic']);
  const applyEntry = (f: Family, e: FakeEntry, body: Record<string, unknown>): void => {
    for (const [k, v] of Object.entries(body)) {
      if (!ENTRY_KEYS.has(k)) throw new HttpError(400, 'Bad Request', `unknown parameter ${k}`);
      if (typeof v !== 'string') throw new HttpError(400, 'Bad Request', `invalid value for argument ${k}`);
      if (k === 'list') e.list = v;
      else if (k === 'address') e.address = normal(f, v);
      else if (k === 'comment') e.comment = v;
      else if (k === 'timeout') e.expiresAt = now() + parseTime(v);
    }
  };

  function route(method: string, path: string, query: URLSearchParams, body: unknown): { status: number; json?: unknown } {
    const m = /^\/rest\/(ip|ipv6)\/firewall\/(address-list|connection)(?:\/(\*[0-9A-Fa-f]+|remove))?$/.exec(path);
    if (m === null) throw new HttpError(400, 'Bad Request', `no such command or directory (${path.split('/').pop() ?? ''})`);
    const f = m[1] as Family;
    if (f === 'ipv6' && !withV6) throw new HttpError(400, 'Bad Request', 'no such command or directory (ipv6)');
    const menu = m[2]!;
    const target = m[3];
    const obj = (): Record<string, unknown> => {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Bad Request', 'expected a JSON object');
      return body as Record<string, unknown>;
    };
    if (menu === 'address-list') {
      const table = expire(f);
      if (target === undefined && method === 'GET') return { status: 200, json: select(table.map(renderEntry), query) };
      if (target === undefined && method === 'PUT') {
        const b = obj();
        if (typeof b['list'] !== 'string' || b['list'] === '') throw new HttpError(400, 'Bad Request', 'failure: list not specified');
        if (typeof b['address'] !== 'string') throw new HttpError(400, 'Bad Request', 'failure: address not specified');
        const e: FakeEntry = { id: '', list: '', address: '', comment: undefined, expiresAt: null };
        applyEntry(f, e, b);
        if (table.some((x) => x.list === e.list && x.address === e.address)) throw new HttpError(400, 'Bad Request', 'failure: already have such entry');
        e.id = newId();
        table.push(e);
        return { status: 200, json: renderEntry(e) };
      }
      if (target !== undefined && target.startsWith('*')) {
        const e = table.find((x) => x.id === target);
        if (e === undefined) throw new HttpError(404, 'Not Found');
        if (method === 'GET') return { status: 200, json: renderEntry(e) };
        if (method === 'PATCH') { applyEntry(f, e, obj()); return { status: 200, json: renderEntry(e) }; }
        if (method === 'DELETE') { lists[f] = table.filter((x) => x !== e); return { status: 204 }; }
      }
    } else {
      const table = conns[f];
      if (target === undefined && method === 'GET') return { status: 200, json: select(table.map(renderConn), query) };
      if (target === 'remove' && method === 'POST') {
        const b = obj();
        const ids = String(b['.id'] ?? b['numbers'] ?? '').split(',').filter((x) => x !== '');
        if (ids.some((id) => !table.some((c) => c.id === id))) throw new HttpError(400, 'Bad Request', 'no such item');
        conns[f] = table.filter((c) => !ids.includes(c.id));
        return { status: 200, json: [] };
      }
      if (target !== undefined && target.startsWith('*')) {
        const c = table.find((x) => x.id === target);
        if (c === undefined) throw new HttpError(404, 'Not Found');
        if (method === 'GET') return { status: 200, json: renderConn(c) };
        if (method === 'DELETE') { conns[f] = table.filter((x) => x !== c); return { status: 204 }; }
      }
    }
    throw new HttpError(400, 'Bad Request', `no such command (${method})`);
  }

  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const send = (res: ServerResponse, status: number, json?: unknown): void => {
    const text = json === undefined ? '' : JSON.stringify(json);
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 401 ? { 'www-authenticate': 'Basic realm="RouterOS"' } : {}) });
    res.end(text);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      const line = `${method} ${url.pathname}${url.search}`;
      requests.push(line);
      const fault = faults.find((x) => x.left > 0 && x.match.test(line));
      if (fault !== undefined) {
        fault.left--;
        if (fault.kind === 'hang') { hanging.add(res); return; }
        if (fault.kind === 'status500') { send(res, 500, { error: 500, message: 'Internal Server Error' }); return; }
        if (fault.kind === 'refuse') { send(res, 401, { error: 401, message: 'Unauthorized' }); return; }
        if (fault.kind === 'shape') { send(res, 200, { ret: '*1' }); return; }
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>502 Bad Gateway</body></html>');
        return;
      }
      if (req.headers.authorization !== expected) { send(res, 401, { error: 401, message: 'Unauthorized' }); return; }
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        if (text !== '') {
          try { body = JSON.parse(text); } catch { throw new HttpError(400, 'Bad Request', 'JSON parse error'); }
        }
        const r = route(method, url.pathname, url.searchParams, body);
        send(res, r.status, r.json);
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        send(res, err.status, { error: err.status, message: err.text, ...(err.detail === undefined ? {} : { detail: err.detail }) });
      }
    });
  };

  const server: Server = pem === null ? createHttpServer(handler) : createHttpsServer({ key: pem.key, cert: pem.cert }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${pem === null ? 'http' : 'https'}://127.0.0.1:${port}`,
    cert: pem?.cert ?? null,
    requests,
    entries: (f) => expire(f).map((e) => ({ ...e })),
    addEntry(f, e) {
      const id = newId();
      lists[f].push({ id, list: e.list, address: normal(f, e.address), comment: e.comment, expiresAt: e.timeoutMs === undefined ? null : now() + e.timeoutMs });
      return id;
    },
    connections: (f) => conns[f].map((c) => ({ ...c })),
    addConnection(f, c) {
      const id = newId();
      conns[f].push({ id, ...c });
      return id;
    },
    fail(kind, times, match = /./) { faults.push({ kind, left: times, match }); },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
