/**
 * Enforcement through a MikroTik router, end to end: `rambu serve`, started as `npm start` runs it,
 * with `enforce.backend: routeros` against a fake RouterOS v7 REST API on loopback (HTTPS with its
 * own certificate as enforce.routeros.caFile, when openssl is there) and a fake upstream resolver
 * answering TEST-NET addresses. Loopback clients (127.0.0.5 in the blocked group, 127.0.0.6 not in
 * it) are answered before a block that starts at the next minute; the router's connection table
 * holds their connections. After the boundary the router has the `rambu-youtube` and
 * `rambu-youtube.clients` lists (the dedicated address and the blocked client, with a timeout and
 * rambu's comment), the blocked client's TCP and UDP connections to the service's addresses are gone
 * and every other connection is there, /api/status says routeros is running, `rambu check` says the
 * router answers, and after SIGTERM rambu's entries are gone (and the router's own entry is not).
 * A router that refuses the password: DNS keeps answering and the status says why, with the
 * password in neither the log nor the status.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freeDnsPort, freePort } from '../e2e/kit/free-port.js';
import { npmStartCommand, ROOT } from '../e2e/kit/product.js';
import { startFakeRouterOs, type FakeRouterOs } from '../enforce/fake-routeros.js';
import { startNamedUpstream, type NamedUpstream } from '../flows/named-upstream.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'rambu.js');

const ROUTER_PASSWORD = 'rahasia-router-e2e-4q7z';
const BLOCKED = '127.0.0.5';
const OTHER = '127.0.0.6';
/** Public-looking (TEST-NET) addresses: never spared, unlike loopback or the private ranges. */
const VIDEO = '198.51.100.10';
const DOCS = '198.51.100.11';
const FRONT = '198.51.100.12';
const NAMES: Record<string, string> = { 'rr1.googlevideo.com': VIDEO, 'docs.example.net': DOCS, 'www.youtube.com': FRONT };

/** A fake upstream on loopback UDP answering A questions from {@link NAMES} (others: NXDOMAIN). */
const startUpstream = (): Promise<NamedUpstream> => startNamedUpstream(new Map(Object.entries(NAMES)));

/** `dig -b CLIENT`: the A answers rambu gives that loopback client. */
async function ask(port: number, client: string, name: string): Promise<string[]> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '-b', client, name, 'A', '+short', '+time=2', '+tries=2'], { timeout: 15_000 });
  return stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

async function waitFor<T>(what: string, fn: () => Promise<T | null> | T | null, timeoutMs: number, log: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** HH:MM in Jakarta (UTC+7, no daylight saving) of an instant. */
function jakartaClock(at: number): string {
  const d = new Date(at + 7 * 3_600_000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

interface Gateway { child: ChildProcess; output(): string; url: string; dnsPort: number; stop(): Promise<number | null> }

/** Write the config and start `rambu serve` as `npm start` does; ready once it prints its console URL. */
async function startGateway(dir: string, upstreamPort: number, policy: string): Promise<Gateway> {
  const dnsPort = await freeDnsPort();
  const webPort = await freePort();
  const config = join(dir, 'rambu.yaml');
  writeFileSync(config, `timezone: Asia/Jakarta
dns:
  listen: ["127.0.0.1:${dnsPort}"]
  upstreams: ["udp://127.0.0.1:${upstreamPort}"]
  blockResponse: nxdomain
web:
  listen: "127.0.0.1:${webPort}"
storage:
  path: ${JSON.stringify(join(dir, 'data'))}
log:
  level: debug
${policy.trim()}
`);
  const start = npmStartCommand();
  const child = spawn(process.execPath, [...start.nodeArgs, BIN, 'serve', '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...start.env } });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => { text += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { text += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    }
    return child.exitCode;
  };
  try {
    const url = await waitFor('rambu serve to print its console URL', () => {
      if (child.exitCode !== null) throw new Error(`rambu serve exited with ${child.exitCode}:\n${text}`);
      return /console: (http:\/\/\S+\/)/.exec(text)?.[1] ?? null;
    }, 30_000, () => text);
    return { child, output: () => text, url, dnsPort, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface Enforcement { backend: string; running: boolean; lastError: string | null; connectionsCut: number; addresses: Record<string, number>; lastBoundary: string | null }

async function enforcement(gw: Gateway): Promise<Enforcement> {
  const body = (await (await fetch(`${gw.url}api/status`)).json()) as { enforcement: Enforcement | null };
  assert.ok(body.enforcement !== null, 'the status has an enforcement object');
  return body.enforcement;
}

/** The router's credentials beside the config: the password file, and its certificate as the CA file. */
function routerSection(dir: string, router: FakeRouterOs, password: string): string {
  writeFileSync(join(dir, 'router-password'), `${password}\n`, { mode: 0o600 });
  if (router.cert !== null) writeFileSync(join(dir, 'router-ca.pem'), router.cert);
  return `  routeros:
    url: ${router.url}
    username: rambu
    passwordFile: router-password${router.cert === null ? '' : '\n    caFile: router-ca.pem'}`;
}

test('routeros: address lists on the router at the boundary, the blocked client\'s connections removed, others kept, lists removed on stop',
  { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rambu-e2e-ros-'));
    const router = await startFakeRouterOs({ password: ROUTER_PASSWORD });
    const upstream = await startUpstream();
    let gw: Gateway | null = null;
    try {
      // The router's own entry, and connections: the blocked client's to the video address (TCP and
      // UDP, as QUIC), to the shared front end and to an allowed name; ICMP to the video address; the
      // other client's to the video address.
      router.addEntry('ip', { list: 'kantor', address: '203.0.113.9', comment: 'server kantor' });
      const cutIds = [
        router.addConnection('ip', { protocol: 'tcp', src: `${BLOCKED}:50001`, dst: `${VIDEO}:443` }),
        router.addConnection('ip', { protocol: 'udp', src: `${BLOCKED}:50002`, dst: `${VIDEO}:443` }),
        router.addConnection('ip', { protocol: 'tcp', src: `${BLOCKED}:50003`, dst: `${FRONT}:443` }),
      ];
      const keptIds = [
        router.addConnection('ip', { protocol: 'tcp', src: `${BLOCKED}:50004`, dst: `${DOCS}:443` }),
        router.addConnection('ip', { protocol: 'icmp', src: BLOCKED, dst: VIDEO }),
        router.addConnection('ip', { protocol: 'tcp', src: `${OTHER}:50005`, dst: `${VIDEO}:443` }),
      ];

      // The block starts at the first minute at least 25 s away and lasts two minutes.
      const boundary = Math.ceil((Date.now() + 25_000) / 60_000) * 60_000;
      const end = boundary + 120_000;
      const to = jakartaClock(end) === '00:00' ? '24:00' : jakartaClock(end);
      gw = await startGateway(dir, upstream.port, `
schedules:
  uji: [{ days: [mon, tue, wed, thu, fri, sat, sun], from: "${jakartaClock(boundary)}", to: "${to}" }]
groups:
  staf: ["${BLOCKED}/32"]
rules:
  - { name: blokir-youtube-staf, block: [youtube], groups: [staf], during: uji }
enforce:
  backend: routeros
  dnsRedirect: true
${routerSection(dir, router, ROUTER_PASSWORD)}
`);
      const g = gw;
      assert.match(g.output(), /enforce: routeros back-end at https?:\/\/127\.0\.0\.1:\d+, DNS redirect by the router's rules/);

      // Before the boundary both clients are answered.
      assert.deepEqual(await ask(g.dnsPort, BLOCKED, 'rr1.googlevideo.com'), [VIDEO]);
      assert.deepEqual(await ask(g.dnsPort, BLOCKED, 'www.youtube.com'), [FRONT]);
      assert.deepEqual(await ask(g.dnsPort, BLOCKED, 'docs.example.net'), [DOCS]);
      assert.deepEqual(await ask(g.dnsPort, OTHER, 'rr1.googlevideo.com'), [VIDEO]);
      const before = await waitFor('the first evaluation', async () => { const e = await enforcement(g); return e.running ? e : null; }, 20_000, g.output);
      assert.equal(before.backend, 'routeros');
      assert.deepEqual(router.entries('ip').filter((e) => e.list.startsWith('rambu-')), [], 'nothing is held before the boundary');
      assert.equal(router.connections('ip').length, 6);
      assert.ok(Date.now() < boundary - 2_000, `setup took too long: ${boundary - Date.now()} ms left before the boundary`);

      // The boundary: the lists appear and the blocked client's connections go.
      await waitFor('the address lists on the router', () => (router.entries('ip').some((e) => e.list === 'rambu-youtube') ? true : null), boundary - Date.now() + 15_000, g.output);
      const seen = Date.now();
      process.stdout.write(`# boundary to address lists on the router: ${seen - boundary} ms\n`);
      const remaining = await waitFor('the connections removed', () => {
        const ids = router.connections('ip').map((c) => c.id);
        return cutIds.every((id) => !ids.includes(id)) ? ids : null;
      }, 10_000, g.output);
      assert.deepEqual(remaining.sort(), [...keptIds].sort(), 'the allowed name, ICMP and the other client\'s connections are kept');

      const mine = router.entries('ip').filter((e) => e.list.startsWith('rambu-'));
      assert.deepEqual(mine.map((e) => [e.list, e.address, e.comment]).sort(), [
        ['rambu-youtube', VIDEO, 'rambu'],
        ['rambu-youtube.clients', BLOCKED, 'rambu'],
      ], 'the dedicated address and the blocked client only (the shared front end is cut, not held)');
      for (const e of mine) {
        assert.ok(e.expiresAt !== null, `${e.list} ${e.address} has a timeout`);
        const left = e.expiresAt - Date.now();
        assert.ok(left > 50 * 60_000 && left <= 60 * 60_000 + 1_000, `${e.list} ${e.address}: ${left} ms left, expected about an hour`);
      }

      const status = await waitFor('the status after the cut', async () => { const e = await enforcement(g); return e.connectionsCut >= 3 ? e : null; }, 10_000, g.output);
      assert.equal(status.backend, 'routeros');
      assert.equal(status.running, true);
      assert.equal(status.lastError, null);
      assert.equal(status.connectionsCut, 3);
      assert.deepEqual(status.addresses, { youtube: 1 });
      assert.equal(status.lastBoundary, new Date(boundary).toISOString());
      const metrics = await (await fetch(`${g.url}metrics`)).text();
      assert.match(metrics, /^rambu_enforce_running\{backend="routeros"\} 1$/m);
      assert.match(metrics, /^rambu_enforce_connections_cut 3$/m);

      // DNS: the blocked client gets nothing now, the other client still its answer.
      assert.deepEqual(await ask(g.dnsPort, BLOCKED, 'rr1.googlevideo.com'), []);
      assert.deepEqual(await ask(g.dnsPort, OTHER, 'rr1.googlevideo.com'), [VIDEO]);

      // rambu check: what the back-end needs is here, and the router answers.
      const checked = await run(process.execPath, [BIN, 'check', '--config', join(dir, 'rambu.yaml')], { timeout: 30_000 });
      assert.match(checked.stdout, /enforce: routeros, DNS redirect; this machine has what it needs:/);
      assert.match(checked.stdout, /ok {3}router password file: .*router-password/);
      assert.match(checked.stdout, /ok {3}router answers: https?:\/\/127\.0\.0\.1:\d+\/rest answers user "rambu"/);
      if (router.cert !== null) assert.match(checked.stdout, /ok {3}router CA file: .*router-ca\.pem/);
      assert.ok(!checked.stdout.includes(ROUTER_PASSWORD), 'check never prints the password');

      // A clean stop removes rambu's entries and only those.
      const code = await g.stop();
      assert.equal(code, 0, g.output());
      assert.deepEqual(router.entries('ip').map((e) => [e.list, e.address]), [['kantor', '203.0.113.9']]);
      assert.ok(!g.output().includes(ROUTER_PASSWORD), 'the password is never logged');
      assert.ok(!g.output().includes(Buffer.from(`rambu:${ROUTER_PASSWORD}`).toString('base64')), 'nor its Basic auth header');
    } finally {
      await gw?.stop();
      await upstream.close();
      await router.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

test('routeros: a router that refuses the password leaves DNS answering; the status says why, without the password', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-e2e-ros-'));
  const router = await startFakeRouterOs({ password: ROUTER_PASSWORD });
  const upstream = await startUpstream();
  const wrong = 'kata-sandi-keliru-8m2x';
  let gw: Gateway | null = null;
  try {
    gw = await startGateway(dir, upstream.port, `
rules:
  - { name: blokir-youtube, block: [youtube] }
enforce:
  backend: routeros
${routerSection(dir, router, wrong)}
`);
    const g = gw;
    const status = await waitFor('the refusal in the status', async () => { const e = await enforcement(g); return e.lastError !== null ? e : null; }, 30_000, g.output);
    assert.equal(status.backend, 'routeros');
    assert.equal(status.running, false);
    assert.match(status.lastError ?? '', /RouterOS API at https?:\/\/127\.0\.0\.1:\d+\/rest refused user "rambu" \(401 Unauthorized\)/);
    assert.deepEqual(await ask(g.dnsPort, BLOCKED, 'docs.example.net'), [DOCS], 'allowed names still resolve');
    assert.deepEqual(await ask(g.dnsPort, BLOCKED, 'rr1.googlevideo.com'), [], 'blocked names are still blocked');
    assert.match(await (await fetch(`${g.url}metrics`)).text(), /^rambu_enforce_running\{backend="routeros"\} 0$/m);
    assert.match(g.output(), /enforcement failed: DNS keeps answering/);
    assert.ok(router.requests.some((r) => r.startsWith('GET /rest/ip/firewall/address-list')), 'the router was asked');
    assert.equal(await g.stop(), 0, g.output());
    const everything = `${g.output()}${JSON.stringify(status)}`;
    for (const secret of [wrong, ROUTER_PASSWORD, Buffer.from(`rambu:${wrong}`).toString('base64')]) {
      assert.ok(!everything.includes(secret), 'no password in the log or the status');
    }
  } finally {
    await gw?.stop();
    await upstream.close();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
