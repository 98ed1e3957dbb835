/**
 * A gateway on the shared store that (re)starts while PostgreSQL is down starts from its local
 * snapshot: the last shared policy and exemptions it knew, answered in DNS at once; its console says
 * the store is unreachable, and once PostgreSQL is back it connects by itself and changes flow again.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { digShort } from '../e2e/kit/dig.js';
import { UPSTREAM_ANSWER } from '../e2e/kit/fake-upstream.js';
import { ROOT, startProduct, type Product } from '../e2e/kit/product.js';
import { startPostgres, type TestPostgres } from '../kit/postgres.js';

const ADMIN_PASSWORD = 'gerbang-mulai-tanpa-basis-data';
const POLICY = `
services:
  contoh: ["example.org"]
rules:
  - name: blokir-contoh
    block: [contoh]
`;

/** `rambu serve --config FILE` again, resolved once its console listens. */
function serveAgain(config: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'serve', '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 20 s:\n${text}`)), 20_000);
    const onData = (d: Buffer): void => {
      text += d.toString();
      if (/console: http:\/\//.test(text)) { clearTimeout(timer); resolve({ child, output: () => text }); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${String(code)}:\n${text}`)); });
  });
}

async function logIn(url: string): Promise<{ status: number; cookie: string; csrf: string; code: string | null }> {
  const res = await fetch(new URL('api/session', url), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  const body = await res.json() as { csrfToken?: string; error?: { code: string } };
  return { status: res.status, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: body.csrfToken ?? '', code: body.error?.code ?? null };
}

async function call(url: string, s: { cookie: string; csrf: string }, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(new URL(path, url), {
    method, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() as unknown };
}

let pg: TestPostgres;
let product: Product | null = null;
let again: ChildProcess | null = null;

before(async () => { pg = await startPostgres(); });
after(async () => {
  if (again !== null && again.exitCode === null) {
    const exited = new Promise((r) => again?.once('exit', r));
    again.kill('SIGKILL');
    await exited;
  }
  await product?.stop();
  await pg?.destroy();
});

test('a gateway restarted while PostgreSQL is down answers with its snapshot, then reconnects by itself', async () => {
  await pg.createDatabase('snapshot');
  product = await startProduct({ adminPassword: ADMIN_PASSWORD, policy: POLICY, storage: { backend: 'postgres', url: pg.url('snapshot'), gatewayName: 'gw-a' } });
  const a = product;
  const s = await logIn(a.url);
  assert.equal(s.status, 200);
  const until = new Date(Date.now() + 3_600_000).toISOString();
  const made = await call(a.url, s, 'POST', '/api/exemptions', { clients: ['127.0.0.1'], allow: ['contoh'], until, reason: 'Rapat' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const doc = (await call(a.url, s, 'GET', '/api/policy/yaml')).body as { text: string };
  assert.equal((await call(a.url, s, 'PUT', '/api/policy/yaml', { text: `${doc.text.trimEnd()}\n  - name: blokir-vimeo\n    block: [vimeo]\n` })).status, 200);
  assert.deepEqual(await digShort(a.dnsPort, 'www.example.org'), [UPSTREAM_ANSWER]);
  assert.deepEqual(await digShort(a.dnsPort, 'vimeo.com'), []);
  assert.ok(existsSync(join(a.dir, 'data', 'shared-snapshot.json')), 'the snapshot is written');

  a.signal('SIGTERM');
  assert.equal(await a.exited, 0);
  await pg.stop();

  const started = await serveAgain(a.config);
  again = started.child;
  assert.match(started.output(), /shared store unreachable at start/);
  assert.deepEqual(await digShort(a.dnsPort, 'www.example.org'), [UPSTREAM_ANSWER], 'the snapshot\'s exemption is in force');
  assert.deepEqual(await digShort(a.dnsPort, 'vimeo.com'), [], 'the snapshot\'s shared policy is in force');
  const refused = await logIn(a.url);
  assert.deepEqual([refused.status, refused.code], [503, 'STORE_UNAVAILABLE']);
  assert.match(await (await fetch(new URL('metrics', a.url))).text(), /^rambu_shared_store_up 0$/m);
  // A gateway that never reached the database has no snapshot: it refuses to start, naming the problem.
  await assert.rejects(startProduct({ adminPassword: ADMIN_PASSWORD, policy: POLICY, addAdmin: false, storage: { backend: 'postgres', url: pg.url('snapshot'), gatewayName: 'gw-new' } }),
    /exited with 2[\s\S]*RAMBU_STORAGE_FAILED|exited with 2[\s\S]*cannot open the shared store/);

  await pg.start();
  const end = Date.now() + 20_000;
  let back = await logIn(a.url);
  while (back.status !== 200 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    back = await logIn(a.url);
  }
  assert.equal(back.status, 200, `no login after PostgreSQL came back:\n${started.output()}`);
  const id = (made.body as { exemption: { id: number } }).exemption.id;
  assert.equal((await call(a.url, back, 'DELETE', `/api/exemptions/${id}`)).status, 200);
  const t0 = Date.now();
  let answer = await digShort(a.dnsPort, 'www.example.org');
  while (answer.length > 0 && Date.now() - t0 < 5_000) answer = await digShort(a.dnsPort, 'www.example.org');
  assert.deepEqual(answer, [], 'the revocation is in force once connected');
});
