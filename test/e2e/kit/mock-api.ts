/**
 * A stand-in for the rambu console API (docs/api.md) with made-up data, for working on the UI without
 * a DNS gateway: `node dist/test/e2e/kit/mock-api.js [port]` serves dist/ui and the API on loopback.
 * Log in as admin / operator / viewer with the password "rahasia-rambu". Not used by the test suite.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';

type Role = 'viewer' | 'operator' | 'admin';
interface User { username: string; role: Role; disabled: boolean; createdAt: string; updatedAt: string }
interface Exemption {
  id: number; name: string; groups: string[]; clients: string[]; allow: string[]; from: string | null; until: string;
  reason: string; createdBy: string; createdAt: string; revokedAt: string | null; revokedBy: string | null;
}
interface Audit { id: number; time: string; user: string; action: string; target: string; before: unknown; after: unknown }

const PASSWORD = 'rahasia-rambu';
const root = new URL('../../../../dist/ui/', import.meta.url).pathname;
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const start = Date.now();

const users = new Map<string, User>(
  (['admin', 'operator', 'viewer'] as const).map((u) => [u, { username: u, role: u, disabled: false, createdAt: iso(start - 86400000 * 30), updatedAt: iso(start - 86400000 * 30) }]),
);
const sessions = new Map<string, { user: string; csrf: string }>();
const exemptions: Exemption[] = [{
  id: 1, name: 'rapat-paripurna', groups: ['diskominfo-humas'], clients: [], allow: ['youtube'], from: null,
  until: iso(start - 86400000), reason: 'Siaran langsung rapat paripurna', createdBy: 'admin', createdAt: iso(start - 2 * 86400000),
  revokedAt: null, revokedBy: null,
}];
const audit: Audit[] = [];
let policyText = `timezone: Asia/Jakarta
holidays: ["2026-12-25"]
schedules:
  jam-kerja:
    - days: [mon, tue, wed, thu, fri]
      from: "07:00"
      to: "16:00"
groups:
  semua: ["0.0.0.0/0", "::/0"]
  diskominfo-humas: ["10.20.5.0/24"]
rules:
  - name: blokir-streaming-jam-kerja
    block: [youtube, vidio, vimeo]
    groups: [semua]
    during: jam-kerja
`;

const TZ_OFFSET = 7 * 60 * MIN;
/** Jakarta wall clock of an instant (no DST in Indonesia). */
function wall(ms: number): { day: number; minutes: number } {
  const d = new Date(ms + TZ_OFFSET);
  return { day: (d.getUTCDay() + 6) % 7, minutes: d.getUTCHours() * 60 + d.getUTCMinutes() };
}
function workHours(ms: number): boolean {
  const w = wall(ms);
  return w.day < 5 && w.minutes >= 420 && w.minutes < 960;
}
function nextBoundary(ms: number): number {
  const now = workHours(ms);
  let t = Math.ceil(ms / MIN) * MIN;
  while (workHours(t) === now) t += MIN;
  return t;
}

const clients = ['10.20.5.7', '10.20.5.12', '10.20.9.17', '10.20.3.44', '10.20.3.45', '10.20.7.101', '10.20.8.2'];
const names = ['www.youtube.com', 'i.ytimg.com', 'rr3---sn-a5mekn7z.googlevideo.com', 'www.vidio.com', 'player.vimeo.com', 'sijaja.pasuruankota.go.id', 'lpse.pasuruankota.go.id', 'www.google.com', 'mail.google.com'];
const serviceOf = (n: string) => /youtube|ytimg|googlevideo/.test(n) ? 'youtube' : n.includes('vidio') ? 'vidio' : n.includes('vimeo') ? 'vimeo' : n.includes('sijaja') ? 'si-jaja' : null;
const queries: { id: number; time: string; client: string; name: string; type: string; action: string; service: string | null; rule: string | null; exemption: null; rcode: string; latencyMs: number }[] = [];
{
  let id = 1;
  let seed = 7;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (let t = start - 24 * 60 * MIN; t < start; t += MIN) {
    const busy = workHours(t) ? 30 : 4;
    const n = Math.floor(busy * (0.6 + rnd()));
    for (let i = 0; i < n; i++) {
      const name = names[Math.floor(rnd() * names.length)] ?? 'www.google.com';
      const svc = serviceOf(name);
      const blocked = svc !== null && svc !== 'si-jaja' && workHours(t);
      queries.push({ id: id++, time: iso(t + Math.floor(rnd() * MIN)), client: clients[Math.floor(rnd() * clients.length)] ?? '10.20.5.7', name, type: rnd() < 0.8 ? 'A' : 'AAAA', action: blocked ? 'block' : 'allow', service: svc, rule: blocked ? 'blokir-streaming-jam-kerja' : null, exemption: null, rcode: blocked ? 'NXDOMAIN' : 'NOERROR', latencyMs: Math.round(rnd() * 300) / 10 });
    }
  }
  queries.reverse();
}

function status() {
  const now = Date.now();
  const active = workHours(now);
  const until = iso(nextBoundary(now));
  return {
    timezone: 'Asia/Jakarta', now: iso(now),
    today: { date: new Date(now + TZ_OFFSET).toISOString().slice(0, 10), weekday: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'][wall(now).day], holiday: false },
    holidaysToday: false, streamingBlocked: active, nextChange: until,
    rules: [{ name: 'blokir-streaming-jam-kerja', action: 'block', services: ['youtube', 'vidio', 'vimeo'], groups: ['semua'], during: 'jam-kerja', active, until }],
    schedules: [{ name: 'jam-kerja', ranges: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:00', to: '16:00' }] }],
  };
}

function policy() {
  return {
    timezone: 'Asia/Jakarta', holidays: ['2026-12-25'], editable: true,
    schedules: [{ name: 'jam-kerja', ranges: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:00', to: '16:00' }], active: workHours(Date.now()), transitions: [{ at: iso(nextBoundary(Date.now())), active: !workHours(Date.now()) }] }],
    groups: [{ name: 'semua', networks: ['0.0.0.0/0', '::/0'] }, { name: 'diskominfo-humas', networks: ['10.20.5.0/24'] }, { name: 'ruang-rapat-walikota', networks: ['10.20.9.17'] }],
    services: [
      { name: 'youtube', builtin: true, kind: 'service', domains: 14, sample: ['youtube.com', 'googlevideo.com', 'ytimg.com'], source: 'built-in' },
      { name: 'vidio', builtin: true, kind: 'service', domains: 4, sample: ['vidio.com', 'vidio.id'], source: 'built-in' },
      { name: 'vimeo', builtin: true, kind: 'service', domains: 5, sample: ['vimeo.com', 'vimeocdn.com'], source: 'built-in' },
      { name: 'netflix', builtin: true, kind: 'service', domains: 6, sample: ['netflix.com', 'nflxvideo.net'], source: 'built-in' },
      { name: 'si-jaja', builtin: false, kind: 'service', domains: 1, sample: ['sijaja.pasuruankota.go.id'], source: 'rambu.yaml' },
    ],
    rules: [{ name: 'blokir-streaming-jam-kerja', action: 'block', services: ['youtube', 'vidio', 'vimeo'], groups: ['semua'], during: 'jam-kerja' }],
    exemptions: [{ name: 'siaran-langsung-humas', groups: ['diskominfo-humas'], clients: [], allow: ['youtube'], from: null, until: '2027-03-31T09:00:00.000Z', reason: 'Live broadcast of city events', source: 'config', id: null, createdBy: null }],
  };
}

function overview() {
  const now = Date.now();
  const dayFrom = Math.floor((now + TZ_OFFSET) / 86400000) * 86400000 - TZ_OFFSET;
  const today = queries.filter((q) => Date.parse(q.time) >= dayFrom);
  const count = <K extends string>(items: typeof queries, key: (q: (typeof queries)[number]) => string | null, field: K) => {
    const m = new Map<string | null, number>();
    for (const q of items) m.set(key(q), (m.get(key(q)) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1]).map(([k, c]) => ({ [field]: k, count: c }));
  };
  const blocked = today.filter((q) => q.action === 'block');
  const groupOf = (c: string) => c.startsWith('10.20.5.') ? 'diskominfo-humas' : c === '10.20.9.17' ? 'ruang-rapat-walikota' : 'semua';
  const perMinute = new Map<number, { total: number; blocked: number }>();
  for (const q of queries) {
    const m = Math.floor(Date.parse(q.time) / MIN) * MIN;
    const e = perMinute.get(m) ?? { total: 0, blocked: 0 };
    e.total++;
    if (q.action === 'block') e.blocked++;
    perMinute.set(m, e);
  }
  return {
    timezone: 'Asia/Jakarta', day: { from: iso(dayFrom), to: iso(now) },
    totals: { queries: today.length, blocked: blocked.length },
    blockedByService: count(blocked, (q) => q.service, 'service'),
    blockedByGroup: count(blocked, (q) => groupOf(q.client), 'group'),
    topBlockedClients: count(blocked, (q) => q.client, 'client').slice(0, 10).map((c) => ({ ...c, group: groupOf(String(c['client'])) })),
    queriesPerMinute: [...perMinute].sort((a, b) => a[0] - b[0]).map(([m, e]) => ({ minute: iso(m), ...e })),
  };
}

function send(res: ServerResponse, code: number, body?: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}
const fail = (res: ServerResponse, code: number, err: string, message: string, details?: unknown[]) =>
  send(res, code, { error: { code: err, message, ...(details ? { details } : {}) } });

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : JSON.parse(text) as Record<string, unknown>;
}

function serveFile(res: ServerResponse, path: string): void {
  const safe = normalize(path).replace(/^(\.\.[/\\])+/, '');
  let file = join(root, safe);
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
  const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
  res.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'",
  });
  res.end(readFileSync(file));
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

const server = createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (!path.startsWith('/api/')) return serveFile(res, path);
    const sid = /rambu_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const session = sid === undefined ? undefined : sessions.get(sid);
    const user = session === undefined ? undefined : users.get(session.user);
    const method = req.method ?? 'GET';
    if (path === '/api/status') return send(res, 200, status());
    if (path === '/api/session' && method === 'POST') {
      const b = await readBody(req);
      const u = users.get(String(b['username']));
      if (u === undefined || u.disabled || b['password'] !== PASSWORD) return fail(res, 401, 'INVALID_CREDENTIALS', 'wrong username or password');
      const id = randomBytes(16).toString('hex');
      const csrf = randomBytes(16).toString('hex');
      sessions.set(id, { user: u.username, csrf });
      return send(res, 200, { user: { username: u.username, role: u.role }, csrfToken: csrf }, { 'set-cookie': `rambu_session=${id}; HttpOnly; SameSite=Strict; Path=/` });
    }
    if (session === undefined || user === undefined) return fail(res, 401, 'UNAUTHENTICATED', 'no session');
    if (method !== 'GET' && req.headers['x-csrf-token'] !== session.csrf) return fail(res, 403, 'CSRF_INVALID', 'bad csrf token');
    const need = (role: Role) => RANK[user.role] >= RANK[role] ? true : (fail(res, 403, 'FORBIDDEN', `needs ${role}`), false);
    const log = (action: string, target: string, before: unknown, after: unknown) =>
      audit.unshift({ id: audit.length + 1, time: iso(Date.now()), user: user.username, action, target, before, after });

    if (path === '/api/session' && method === 'GET') return send(res, 200, { user: { username: user.username, role: user.role }, csrfToken: session.csrf });
    if (path === '/api/session' && method === 'DELETE') { if (sid) sessions.delete(sid); res.writeHead(204); return res.end(); }
    if (path === '/api/overview') return send(res, 200, overview());
    if (path === '/api/policy') return send(res, 200, policy());
    if (path === '/api/policy/yaml' && need('admin')) {
      if (method === 'GET') return send(res, 200, { text: policyText, file: '/etc/rambu/rambu.yaml' });
      const text = String((await readBody(req))['text'] ?? '');
      const bad = text.split('\n').findIndex((l) => /\t/.test(l) || /^\s*blok:/.test(l));
      if (bad >= 0) return fail(res, 422, 'POLICY_INVALID', 'invalid policy', [{ line: bad + 1, column: 5, path: 'rules[0]', message: 'unknown key "blok"' }]);
      log('policy.update', 'rambu.yaml', policyText, text);
      policyText = text;
      return send(res, 200, { ok: true });
    }
    if (path === '/api/queries') {
      const f = url.searchParams;
      let items = queries.filter((q) => (!f.get('client') || q.client === f.get('client')) && (!f.get('name') || q.name.includes(f.get('name') ?? ''))
        && (!f.get('service') || q.service === f.get('service')) && (!f.get('action') || q.action === f.get('action')));
      const offset = Number(f.get('cursor') ?? 0);
      const limit = Number(f.get('limit') ?? 100);
      items = items.slice(offset, offset + limit + 1);
      return send(res, 200, { items: items.slice(0, limit), nextCursor: items.length > limit ? String(offset + limit) : null, partial: false });
    }
    if (path === '/api/audit') return send(res, 200, { items: audit, nextCursor: null });
    if (path === '/api/exemptions' && method === 'GET') {
      const now = Date.now();
      return send(res, 200, { exemptions: exemptions.map((e) => ({ ...e, status: e.revokedAt ? 'revoked' : Date.parse(e.until) <= now ? 'expired' : 'active' })).reverse() });
    }
    if (path === '/api/exemptions' && method === 'POST' && need('operator')) {
      const b = await readBody(req);
      const e: Exemption = {
        id: exemptions.length + 1, name: `pengecualian-${exemptions.length + 1}`, groups: (b['groups'] as string[]) ?? [], clients: (b['clients'] as string[]) ?? [],
        allow: b['allow'] as string[], from: null, until: iso(Date.parse(String(b['until']))), reason: String(b['reason']),
        createdBy: user.username, createdAt: iso(Date.now()), revokedAt: null, revokedBy: null,
      };
      exemptions.push(e);
      log('exemption.create', e.name, null, e);
      return send(res, 201, { exemption: { ...e, status: 'active' } });
    }
    const ex = /^\/api\/exemptions\/(\d+)$/.exec(path);
    if (ex && method === 'DELETE' && need('operator')) {
      const e = exemptions.find((x) => x.id === Number(ex[1]));
      if (!e) return fail(res, 404, 'NOT_FOUND', 'no such exemption');
      const before = { ...e };
      e.revokedAt = iso(Date.now());
      e.revokedBy = user.username;
      log('exemption.revoke', e.name, before, e);
      return send(res, 200, { exemption: { ...e, status: 'revoked' } });
    }
    if (path.startsWith('/api/users') && need('admin')) {
      if (path === '/api/users' && method === 'GET') return send(res, 200, { users: [...users.values()] });
      if (path === '/api/users' && method === 'POST') {
        const b = await readBody(req);
        const u: User = { username: String(b['username']), role: b['role'] as Role, disabled: false, createdAt: iso(Date.now()), updatedAt: iso(Date.now()) };
        if (users.has(u.username)) return fail(res, 409, 'USER_EXISTS', `user "${u.username}" exists`);
        users.set(u.username, u);
        log('user.create', u.username, null, u);
        return send(res, 201, { user: u });
      }
      const name = decodeURIComponent(path.slice('/api/users/'.length));
      const u = users.get(name);
      if (!u) return fail(res, 404, 'NOT_FOUND', 'no such user');
      if (method === 'PATCH') {
        const b = await readBody(req);
        const before = { ...u };
        if (b['role']) u.role = b['role'] as Role;
        if (typeof b['disabled'] === 'boolean') u.disabled = b['disabled'];
        u.updatedAt = iso(Date.now());
        log('user.update', u.username, before, { ...u, ...(b['password'] ? { password: '(changed)' } : {}) });
        return send(res, 200, { user: u });
      }
      if (method === 'DELETE') { users.delete(name); log('user.delete', name, u, null); res.writeHead(204); return res.end(); }
    }
    return fail(res, 404, 'NOT_FOUND', `no route ${method} ${path}`);
  })().catch((err: unknown) => fail(res, 500, 'INTERNAL', String(err)));
});

const port = Number(process.argv[2] ?? 0);
server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`mock console: http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : port}/\n`);
});
