/**
 * Two `rambu serve` processes on loopback sharing one PostgreSQL database, each with its own data
 * directory for its query log, the way an office runs its two DNS servers: a user made on A logs in
 * on B, an exemption made on A's console changes B's DNS answer within a second (and a revocation on
 * B changes A's), both gateways are in the registry, and B keeps answering after A is SIGKILLed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RR_TYPE } from '../../src/dns/index.js';
import { udpQuery } from '../dns/dns-test-kit.js';
import { digShort } from '../e2e/kit/dig.js';
import { UPSTREAM_ANSWER } from '../e2e/kit/fake-upstream.js';
import { startProduct, type Product } from '../e2e/kit/product.js';
import { PG_PASSWORD, PG_USER, startPostgres, type TestPostgres } from '../kit/postgres.js';

const ADMIN_PASSWORD = 'dua-gerbang-satu-kebijakan';
const POLICY = `
services:
  contoh: ["example.org"]
  lain: ["example.net"]
rules:
  - name: blokir-contoh
    block: [contoh, lain]
`;

interface Session { cookie: string; csrf: string }

async function logIn(product: Product, username: string, password: string): Promise<Session | number> {
  const res = await fetch(new URL('api/session', product.url), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) return res.status;
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const body = await res.json() as { csrfToken: string };
  return { cookie, csrf: body.csrfToken };
}

async function api(product: Product, session: Session, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(new URL(path, product.url), {
    method,
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) as unknown };
}

function session(s: Session | number): Session {
  assert.equal(typeof s, 'object', `login failed with ${String(s)}`);
  return s as Session;
}

/**
 * Ask `product` for example.org every 20 ms until it is (or is not) answered; ms from `since` until
 * then, or -1 after `timeoutMs`. Polled in-process, so the figure is the gateway's and not dig's
 * start-up; the caller then checks the answer with dig.
 */
async function msUntil(product: Product, answered: boolean, since: number, timeoutMs = 5_000, name = 'www.example.org'): Promise<number> {
  while (Date.now() - since < timeoutMs) {
    if ((await udpQuery(product.dnsPort, name, RR_TYPE.A)).answers.length > 0 === answered) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 20));
  }
  return -1;
}

let pg: TestPostgres;
let secrets: string;
const products: Product[] = [];

before(async () => {
  pg = await startPostgres();
  secrets = mkdtempSync(join(tmpdir(), 'rambu-secret-'));
});
after(async () => {
  await Promise.allSettled(products.map((p) => p.stop()));
  await pg?.destroy();
  if (secrets !== undefined) rmSync(secrets, { recursive: true, force: true });
});

test('two gateways, one database: users, sessions, exemptions and a disabled user are shared; B answers after A dies', async (t) => {
  await pg.createDatabase('kantor');
  // A carries the password in the URL, B reads it from a file: both ways work.
  const passwordFile = join(secrets, 'pg-password');
  writeFileSync(passwordFile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  const a = await startProduct({ adminPassword: ADMIN_PASSWORD, policy: POLICY, storage: { backend: 'postgres', url: pg.url('kantor'), gatewayName: 'gw-a' } });
  products.push(a);
  const b = await startProduct({
    adminPassword: ADMIN_PASSWORD, policy: POLICY, addAdmin: false,
    storage: { backend: 'postgres', url: `postgres://${PG_USER}@127.0.0.1:${pg.port}/kantor`, passwordFile, gatewayName: 'gw-b' },
  });
  products.push(b);
  assert.doesNotMatch(a.output() + b.output(), new RegExp(PG_PASSWORD), 'the password is never printed');

  // The admin made with `rambu user add` against A's config logs in on B; a user A's console adds does too.
  const onA = session(await logIn(a, 'admin', ADMIN_PASSWORD));
  const onB = session(await logIn(b, 'admin', ADMIN_PASSWORD));
  const added = await api(a, onA, 'POST', '/api/users', { username: 'sari', role: 'operator', password: 'sari-kata-sandi-1' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const sariOnB = session(await logIn(b, 'sari', 'sari-kata-sandi-1'));
  // A session opened on A is valid on B (one cookie for both consoles behind one name).
  assert.equal((await api(b, onA, 'GET', '/api/session')).status, 200);

  // Blocked on both to begin with.
  assert.deepEqual(await digShort(a.dnsPort, 'www.example.org'), []);
  assert.deepEqual(await digShort(b.dnsPort, 'www.example.org'), []);

  // An exemption made on A's console is in force on B within a second.
  const until = new Date(Date.now() + 3_600_000).toISOString();
  const made = await api(a, onA, 'POST', '/api/exemptions', { clients: ['127.0.0.1'], allow: ['contoh'], until, reason: 'Rapat daring' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const reached = await msUntil(b, true, Date.now());
  assert.ok(reached >= 0 && reached < 1_000, `B answered with the exemption after ${reached} ms (-1: never within 5 s)\n${b.output()}`);
  assert.deepEqual(await digShort(b.dnsPort, 'www.example.org'), [UPSTREAM_ANSWER]);

  t.diagnostic(`exemption made on A in force on B after ${reached} ms`);
  // A revocation on B is in force on A within a second, and A's audit log shows both changes.
  const id = (made.body as { exemption: { id: number } }).exemption.id;
  const revoked = await api(b, sariOnB, 'DELETE', `/api/exemptions/${id}`);
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
  const back = await msUntil(a, false, Date.now());
  assert.ok(back >= 0 && back < 1_000, `A still answered ${back} ms after the revocation on B\n${a.output()}`);
  assert.deepEqual(await digShort(a.dnsPort, 'www.example.org'), []);
  t.diagnostic(`revocation on B in force on A after ${back} ms`);
  const audit = await api(a, onA, 'GET', '/api/audit');
  const actions = (audit.body as { items: { user: string; action: string }[] }).items.map((e) => `${e.user}:${e.action}`);
  assert.ok(actions.includes('sari:exemption.revoke') && actions.includes('admin:exemption.create'), actions.join(', '));

  // A policy edit in A's console is in force on B within a second; A's file is not written.
  const fileBefore = readFileSync(a.config, 'utf8');
  const doc = await api(b, onB, 'GET', '/api/policy/yaml');
  assert.equal(doc.status, 200);
  const docText = (doc.body as { text: string }).text;
  assert.doesNotMatch(docText, /listen|storage/, 'the shared document holds no local keys');
  const edited = docText.replace('block: [contoh, lain]', 'block: [contoh, lain, vimeo]');
  assert.notEqual(edited, docText);
  assert.deepEqual(await digShort(b.dnsPort, 'vimeo.com'), [UPSTREAM_ANSWER]);
  const put = await api(a, onA, 'PUT', '/api/policy/yaml', { text: edited });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const policyReached = await msUntil(b, false, Date.now(), 5_000, 'vimeo.com');
  assert.ok(policyReached >= 0 && policyReached < 1_000, `B blocked vimeo.com ${policyReached} ms after the edit on A\n${b.output()}`);
  t.diagnostic(`policy edit on A in force on B after ${policyReached} ms`);
  assert.deepEqual(await digShort(b.dnsPort, 'vimeo.com'), []);
  assert.equal(((await api(b, onB, 'GET', '/api/policy/yaml')).body as { text: string }).text, edited);
  assert.equal(readFileSync(a.config, 'utf8'), fileBefore);
  const broken = await api(b, onB, 'PUT', '/api/policy/yaml', { text: edited.replace('vimeo]', 'vimeoo]') });
  assert.equal((broken.body as { error: { code: string } }).error.code, 'POLICY_INVALID');
  assert.deepEqual(await digShort(a.dnsPort, 'vimeo.com'), [], 'a rejected edit changes nothing');

  // A user disabled on A's console is logged out of B at once: B reads users and sessions from the
  // shared store on every request, so there is nothing to wait for.
  assert.equal((await api(b, sariOnB, 'GET', '/api/session')).status, 200);
  const disabled = await api(a, onA, 'PATCH', '/api/users/sari', { disabled: true });
  assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
  assert.equal((await api(b, sariOnB, 'GET', '/api/session')).status, 401, 'a disabled user is refused on the other console');
  assert.equal(await logIn(b, 'sari', 'sari-kata-sandi-1'), 401, 'and cannot log in there again');

  const gateways = await pg.sql('kantor', 'SELECT name, version FROM gateways ORDER BY name');
  assert.deepEqual(gateways.rows.map((r: { name: string }) => r.name), ['gw-a', 'gw-b']);
  const metrics = await (await fetch(new URL('metrics', b.url))).text();
  assert.match(metrics, /^rambu_shared_store_up 1$/m);
  assert.match(metrics, /^rambu_gateway_last_seen_seconds\{gateway="gw-a",address="127\.0\.0\.1:\d+",version="[^"]+"\} \d+/m);
  assert.match(metrics, /^rambu_gateway_last_seen_seconds\{gateway="gw-b",/m);

  // A dies without a word; B keeps answering and its console keeps working.
  const made2 = await api(a, onA, 'POST', '/api/exemptions', { clients: ['127.0.0.1'], allow: ['contoh'], until, reason: 'Rapat kedua' });
  assert.equal(made2.status, 201);
  assert.ok(await msUntil(b, true, Date.now()) >= 0);
  a.signal('SIGKILL');
  await a.exited;
  assert.deepEqual(await digShort(b.dnsPort, 'www.example.org'), [UPSTREAM_ANSWER]);
  assert.deepEqual(await digShort(b.dnsPort, 'www.example.com'), [UPSTREAM_ANSWER]);
  assert.deepEqual(await digShort(b.dnsPort, 'vimeo.com'), []);
  const list = await api(b, onB, 'GET', '/api/exemptions?status=active');
  assert.deepEqual((list.body as { exemptions: { reason: string }[] }).exemptions.map((e) => e.reason), ['Rapat kedua']);
});

test('PostgreSQL stops: both answer with the last exemptions, which still expire; the console refuses changes until it is back', async () => {
  await pg.createDatabase('padam');
  const storage = (name: string) => ({ backend: 'postgres', url: pg.url('padam'), gatewayName: name });
  const a = await startProduct({ adminPassword: ADMIN_PASSWORD, policy: POLICY, storage: storage('gw-a') });
  products.push(a);
  const b = await startProduct({ adminPassword: ADMIN_PASSWORD, policy: POLICY, addAdmin: false, storage: storage('gw-b') });
  products.push(b);
  const onA = session(await logIn(a, 'admin', ADMIN_PASSWORD));
  const onB = session(await logIn(b, 'admin', ADMIN_PASSWORD));

  const hour = new Date(Date.now() + 3_600_000).toISOString();
  const long = await api(a, onA, 'POST', '/api/exemptions', { clients: ['127.0.0.1'], allow: ['contoh'], until: hour, reason: 'Sepanjang rapat' });
  assert.equal(long.status, 201, JSON.stringify(long.body));
  const shortUntil = Date.now() + 8_000;
  const short = await api(a, onA, 'POST', '/api/exemptions', { clients: ['127.0.0.1'], allow: ['lain'], until: new Date(shortUntil).toISOString(), reason: 'Sebentar' });
  assert.equal(short.status, 201, JSON.stringify(short.body));
  assert.ok(await msUntil(b, true, Date.now(), 5_000, 'www.example.net') >= 0, 'B has the short exemption');

  await pg.stop();
  for (const p of [a, b]) {
    assert.deepEqual(await digShort(p.dnsPort, 'www.example.org'), [UPSTREAM_ANSWER], 'the last known exemption stays in force');
    assert.deepEqual(await digShort(p.dnsPort, 'www.tiktok.com'), [UPSTREAM_ANSWER]);
  }
  const refused = await api(b, onB, 'POST', '/api/exemptions', { clients: ['127.0.0.2'], allow: ['contoh'], until: hour, reason: 'Saat padam' });
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.equal((refused.body as { error: { code: string } }).error.code, 'STORE_UNAVAILABLE');
  assert.doesNotMatch(JSON.stringify(refused.body), new RegExp(PG_PASSWORD));
  // The short exemption ends at its time although nothing can be read.
  const ended = await msUntil(b, false, Date.now(), Math.max(0, shortUntil - Date.now()) + 5_000, 'www.example.net');
  assert.ok(ended >= 0 && Date.now() >= shortUntil, 'the short exemption ended on time during the outage');
  assert.deepEqual(await digShort(a.dnsPort, 'www.example.net'), []);

  // Back: the console works again without a restart.
  await pg.start();
  const end = Date.now() + 20_000;
  let again = await api(b, onB, 'POST', '/api/exemptions', { clients: ['127.0.0.2'], allow: ['contoh'], until: hour, reason: 'Setelah pulih' });
  while (again.status !== 201 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    again = await api(b, onB, 'POST', '/api/exemptions', { clients: ['127.0.0.2'], allow: ['contoh'], until: hour, reason: 'Setelah pulih' });
  }
  assert.equal(again.status, 201, JSON.stringify(again.body));

  // A change made on B while A is down is in force on A once A starts again.
  a.signal('SIGKILL');
  await a.exited;
  const id = (long.body as { exemption: { id: number } }).exemption.id;
  assert.equal((await api(b, onB, 'DELETE', `/api/exemptions/${id}`)).status, 200);
  const a2 = await startProduct({ adminPassword: ADMIN_PASSWORD, policy: POLICY, addAdmin: false, storage: storage('gw-a') });
  products.push(a2);
  assert.deepEqual(await digShort(a2.dnsPort, 'www.example.org'), []);
  assert.deepEqual(await digShort(b.dnsPort, 'www.example.org'), []);
});
