/**
 * Enforcement end to end, in three network namespaces the test makes and removes (also on failure,
 * and leftovers of an earlier run first): a client with two addresses (the second exempt through the
 * console), a gateway that routes between client and server and runs `rambu serve` as `npm start`
 * does (DNS, console, nftables enforcement with the DNS redirect), and a server with a fake upstream
 * resolver, another resolver, and a TCP server that streams bytes to whoever connects.
 *
 * A schedule blocks YouTube from the next minute for one minute. Before it the client's stream from
 * the googlevideo address flows (TCP, and UDP as QUIC would); after the boundary both stop within 5 s (the time from the boundary
 * to its last byte is printed), a new connection to that address fails, a stream to a shared front
 * end (www.youtube.com) is cut once but a new connection to it works, a stream to an allowed name
 * and the exempt address's stream flow on, and `dig` sent to the other resolver gets rambu's answer.
 * The gateway is restarted before the boundary (the answers come back from its store) and still
 * cuts. Revoking the exemption through the API cuts the exempt address's stream. After the window new
 * connections work, and once the gateway stops its table is gone. Needs root, iproute2, nftables
 * and conntrack (CI has them: scripts/test.mjs and .ci/run install them).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { npmStartCommand, ROOT } from '../e2e/kit/product.js';

const PEER = fileURLToPath(new URL('./kit/netns-peer.js', import.meta.url));
const BIN = join(ROOT, 'bin', 'rambu.js');
const PREFIX = 'rambu-enf-';
// Named after this process, so two runs on one machine never share (or remove) each other's namespaces.
const NS = { client: `${PREFIX}${process.pid}-c`, gw: `${PREFIX}${process.pid}-g`, server: `${PREFIX}${process.pid}-s` };
const CLIENT = '10.77.1.10';
const EXEMPT = '10.77.1.11';
const GW = '10.77.1.1';
const VIDEO = '198.51.100.10';
const DOCS = '198.51.100.11';
const FRONT = '198.51.100.12';
const UPSTREAM = '198.51.100.53';
const OTHER_RESOLVER = '198.51.100.54';
const CONSOLE = 'http://127.0.0.1:8080/';
const PASSWORD = 'sandi-uji-penegakan';

function sh(command: string, args: readonly string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin ?? '');
  });
}

async function must(command: string, ...args: string[]): Promise<string> {
  const r = await sh(command, args);
  assert.equal(r.code, 0, `${command} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const inNs = (ns: string, ...args: string[]): Promise<string> => must('ip', 'netns', 'exec', ns, ...args);

/** Whether process `pid` still runs (its namespaces are then its own business). */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes this run's namespaces and those left by runs that ended without removing theirs. */
async function removeNamespaces(): Promise<void> {
  const list = await sh('ip', ['netns', 'list']);
  for (const line of list.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (name.startsWith(PREFIX) && !alive(Number(name.slice(PREFIX.length).split('-')[0]))) await sh('ip', ['netns', 'del', name]);
  }
}

async function makeNetwork(): Promise<void> {
  for (const ns of Object.values(NS)) await must('ip', 'netns', 'add', ns);
  await must('ip', 'link', 'add', 'rc0', 'netns', NS.client, 'type', 'veth', 'peer', 'name', 'rg0', 'netns', NS.gw);
  await must('ip', 'link', 'add', 'rs0', 'netns', NS.server, 'type', 'veth', 'peer', 'name', 'rg1', 'netns', NS.gw);
  for (const ns of Object.values(NS)) await inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
  await inNs(NS.client, 'ip', 'addr', 'add', `${CLIENT}/24`, 'dev', 'rc0');
  await inNs(NS.client, 'ip', 'addr', 'add', `${EXEMPT}/24`, 'dev', 'rc0');
  await inNs(NS.client, 'ip', 'link', 'set', 'rc0', 'up');
  await inNs(NS.client, 'ip', 'route', 'add', 'default', 'via', GW);
  await inNs(NS.gw, 'ip', 'addr', 'add', `${GW}/24`, 'dev', 'rg0');
  await inNs(NS.gw, 'ip', 'addr', 'add', '10.77.2.1/24', 'dev', 'rg1');
  await inNs(NS.gw, 'ip', 'link', 'set', 'rg0', 'up');
  await inNs(NS.gw, 'ip', 'link', 'set', 'rg1', 'up');
  await inNs(NS.gw, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
  await inNs(NS.gw, 'ip', 'route', 'add', '198.51.100.0/24', 'via', '10.77.2.2');
  await inNs(NS.server, 'ip', 'addr', 'add', '10.77.2.2/24', 'dev', 'rs0');
  for (const a of [VIDEO, DOCS, FRONT, UPSTREAM, OTHER_RESOLVER]) await inNs(NS.server, 'ip', 'addr', 'add', `${a}/32`, 'dev', 'rs0');
  await inNs(NS.server, 'ip', 'link', 'set', 'rs0', 'up');
  await inNs(NS.server, 'ip', 'route', 'add', 'default', 'via', '10.77.2.1');
}

/** A long-running process in a namespace whose JSON lines are kept. */
interface Peer { child: ChildProcess; lines: Record<string, unknown>[]; text(): string }

function startPeer(ns: string, args: readonly string[], env: Record<string, string> = {}): Peer {
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const lines: Record<string, unknown>[] = [];
  let text = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) { try { lines.push(JSON.parse(p) as Record<string, unknown>); } catch { /* serve's own lines */ } }
  });
  child.stderr!.on('data', (d: Buffer) => { text += d.toString(); });
  return { child, lines, text: () => text };
}

async function waitFor<T>(what: string, get: () => T | null | undefined | false, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleepUntil = (at: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

/** The stream's latest state: bytes so far, its last byte's time, and how it ended (if it did). */
function streamState(p: Peer): { bytes: number; last: number; end: string | null } {
  let bytes = 0;
  let last = 0;
  let end: string | null = null;
  for (const l of p.lines) {
    if (typeof l['bytes'] === 'number') { bytes = l['bytes']; last = l['last'] as number; }
    if (typeof l['end'] === 'string') end = l['end'];
  }
  return { bytes, last, end };
}

async function flowing(p: Peer, label: string, least = 50_000): Promise<void> {
  // A peer just started may take a while to connect on a loaded machine: wait for its first bytes.
  await waitFor(`${label}: first bytes`, () => streamState(p).bytes > 0 || streamState(p).end !== null, 15_000);
  const before = streamState(p).bytes;
  await new Promise((r) => setTimeout(r, 1_000));
  const now = streamState(p);
  assert.equal(now.end, null, `${label}: the stream ended (${String(now.end)})`);
  assert.ok(now.bytes > before + least, `${label}: ${now.bytes - before} bytes in a second`);
}

async function connectOnce(from: string, to: string): Promise<{ ok: boolean; why?: string }> {
  const out = await inNs(NS.client, process.execPath, PEER, 'connect', from, to);
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { ok: boolean; why?: string };
}

async function dig(server: string, from: string, name: string): Promise<string[]> {
  const out = await inNs(NS.client, 'dig', `@${server}`, '-b', from, name, 'A', '+short', '+time=2', '+tries=2');
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

async function api(method: string, path: string, body?: unknown, session?: { cookie: string; csrf: string }): Promise<{ status: number; cookie: string | null; body: string }> {
  const out = await inNs(NS.gw, process.execPath, PEER, 'http', method, new URL(path, CONSOLE).href, body === undefined ? '' : JSON.stringify(body), session?.cookie ?? '', session?.csrf ?? '');
  return JSON.parse(out.trim()) as { status: number; cookie: string | null; body: string };
}

/** HH:MM of `at` in Asia/Jakarta (UTC+7, no daylight saving). */
function jakartaClock(at: number): string {
  const d = new Date(at + 7 * 3_600_000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

const isRoot = process.getuid?.() === 0;

test('enforcement in network namespaces: cut at the boundary, held while it lasts, exempt and allowed streams untouched, DNS redirected, revocation cuts, lifted after, table removed on stop',
  { skip: isRoot ? false : 'needs root (CI runs as root)', timeout: 280_000 }, async () => {
    await removeNamespaces();
    const dir = mkdtempSync(join(tmpdir(), 'rambu-enforce-e2e-'));
    const peers: Peer[] = [];
    let gateway = null as Peer | null;
    try {
      await makeNetwork();
      const server = startPeer(NS.server, [process.execPath, PEER, 'server', UPSTREAM, OTHER_RESOLVER, `rr1.googlevideo.com=${VIDEO}`, `docs.example.net=${DOCS}`, `www.youtube.com=${FRONT}`]);
      peers.push(server);
      await waitFor('the server', () => server.lines.some((l) => l['ready'] === true), 10_000);

      // The block starts at the first minute at least 45 s away and lasts one minute.
      const boundary = Math.ceil((Date.now() + 45_000) / 60_000) * 60_000;
      const end = boundary + 60_000;
      const to = jakartaClock(end) === '00:00' ? '24:00' : jakartaClock(end);
      const config = join(dir, 'rambu.yaml');
      writeFileSync(config, `timezone: Asia/Jakarta
dns:
  listen: ["${GW}:53"]
  upstreams: ["udp://${UPSTREAM}:53"]
  blockResponse: nxdomain
web:
  listen: "127.0.0.1:8080"
storage:
  path: ${JSON.stringify(join(dir, 'data'))}
log:
  level: info
schedules:
  uji: [{ days: [mon, tue, wed, thu, fri, sat, sun], from: "${jakartaClock(boundary)}", to: "${to}" }]
rules:
  - { name: blokir-youtube-uji, block: [youtube], during: uji }
enforce:
  backend: nftables
  dnsRedirect: true
`);
      const added = await sh(process.execPath, [BIN, 'user', 'add', 'admin', '--role', 'admin', '--password-stdin', '--config', config], `${PASSWORD}\n`);
      assert.equal(added.code, 0, added.stderr);
      const start = npmStartCommand();
      const serve = async (): Promise<Peer> => {
        const p = startPeer(NS.gw, [process.execPath, ...start.nodeArgs, BIN, 'serve', '--config', config], start.env);
        gateway = p;
        peers.push(p);
        await waitFor('rambu serve', () => /console: http:/.test(p.text()) || p.child.exitCode !== null, 30_000);
        assert.equal(p.child.exitCode, null, p.text());
        assert.match(p.text(), /enforce: nftables back-end, DNS redirect/);
        return p;
      };
      let gw = await serve();

      // The console exempts the second address from the YouTube block.
      const login = await api('POST', '/api/session', { username: 'admin', password: PASSWORD });
      assert.equal(login.status, 200, login.body);
      const session = { cookie: login.cookie ?? '', csrf: (JSON.parse(login.body) as { csrfToken: string }).csrfToken };
      const created = await api('POST', '/api/exemptions', { clients: [EXEMPT], allow: ['youtube'], until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'uji penegakan' }, session);
      assert.equal(created.status, 201, created.body);
      const exemptionId = (JSON.parse(created.body) as { exemption: { id: number } }).exemption.id;

      // Both addresses look the names up through rambu, then stream.
      assert.deepEqual(await dig(GW, CLIENT, 'rr1.googlevideo.com'), [VIDEO]);
      assert.deepEqual(await dig(GW, EXEMPT, 'rr1.googlevideo.com'), [VIDEO]);
      assert.deepEqual(await dig(GW, CLIENT, 'docs.example.net'), [DOCS]);
      assert.deepEqual(await dig(GW, CLIENT, 'www.youtube.com'), [FRONT]);
      const front = startPeer(NS.client, [process.execPath, PEER, 'stream', CLIENT, FRONT]);
      peers.push(front);
      const quic = startPeer(NS.client, [process.execPath, PEER, 'udp', CLIENT, VIDEO]);
      peers.push(quic);
      const video = startPeer(NS.client, [process.execPath, PEER, 'stream', CLIENT, VIDEO]);
      const docs = startPeer(NS.client, [process.execPath, PEER, 'stream', CLIENT, DOCS]);
      const exempt = startPeer(NS.client, [process.execPath, PEER, 'stream', EXEMPT, VIDEO]);
      peers.push(video, docs, exempt);
      await flowing(video, 'the video stream before the boundary');

      // A restart before the boundary: the answers come back from the store, so it still cuts.
      gw.child.kill('SIGTERM');
      await waitFor('rambu serve to exit', () => gw.child.exitCode !== null, 20_000);
      assert.equal(gw.child.exitCode, 0, gw.text());
      gw = await serve();
      assert.ok(Date.now() < boundary - 3_000, `setup took too long: ${boundary - Date.now()} ms left before the boundary`);
      await flowing(video, 'the video stream after the restart');
      await sleepUntil(boundary - 1_500);
      await flowing(video, 'the video stream just before the boundary');
      await flowing(quic, 'the UDP (QUIC) flow just before the boundary', 20_000);

      // The boundary: the blocked client's video stream stops within 5 s.
      const stopped = await waitFor('the video stream to stop', () => { const s = streamState(video); return s.end !== null ? s : null; }, boundary + 5_000 - Date.now() + 1_000).catch(() => null);
      const state = stopped ?? streamState(video);
      const ms = state.last - boundary;
      process.stdout.write(`# boundary to last byte of the blocked stream: ${ms} ms (ended: ${String(state.end)})\n`);
      assert.ok(state.end !== null, 'the blocked stream did not stop');
      assert.ok(ms >= -1_000 && ms <= 5_000, `last byte ${ms} ms after the boundary`);
      const quicLast = (await waitFor('the UDP flow to stop', () => { const s = streamState(quic); return Date.now() - s.last >= 2_000 ? s : null; }, 8_000)).last;
      process.stdout.write(`# boundary to last UDP datagram answered: ${quicLast - boundary} ms\n`);
      assert.ok(quicLast - boundary <= 5_000, `the UDP flow to the held address answered ${quicLast - boundary} ms after the boundary`);
      await flowing(docs, 'the stream to an allowed name');
      await flowing(exempt, 'the exempt address\'s stream');
      // www.youtube.com is a shared front end: its stream is cut once, but it is not held, so a new
      // connection (the browser reconnecting, its next lookup blocked) goes through.
      // The cut resets whichever end sends first: often the server, and the client then just hears
      // nothing more (a player stalls, times out and asks DNS again). Stopped means silent for 2 s.
      const frontCut = await waitFor('the front-end stream to stop', () => { const s = streamState(front); return s.end !== null || Date.now() - s.last >= 2_000 ? s : null; }, 8_000);
      process.stdout.write(`# boundary to last byte of the shared front end's stream: ${frontCut.last - boundary} ms\n`);
      assert.ok(frontCut.last - boundary <= 5_000, `front end's last byte ${frontCut.last - boundary} ms after the boundary`);
      assert.equal((await connectOnce(CLIENT, FRONT)).ok, true, 'a shared address is not held');
      const retry = await connectOnce(CLIENT, VIDEO);
      assert.equal(retry.ok, false, 'a new connection to the blocked address fails');
      assert.equal((await connectOnce(CLIENT, DOCS)).ok, true, 'a new connection to an allowed name works');
      const table = await inNs(NS.gw, 'nft', 'list', 'set', 'inet', 'rambu', 'block4');
      assert.match(table, new RegExp(`${CLIENT} \\. ${VIDEO}`), 'the blocked pair is held');
      assert.doesNotMatch(table, new RegExp(EXEMPT.replace(/\./g, '\\.')), 'the exempt address is not');
      assert.doesNotMatch(table, new RegExp(FRONT.replace(/\./g, '\\.')), 'nor the shared front end');

      // DNS sent to another resolver is answered by rambu: the allowed name with the upstream's
      // address (not the other resolver's 203.0.113.66), the blocked one not at all.
      assert.deepEqual(await dig(OTHER_RESOLVER, CLIENT, 'docs.example.net'), [DOCS]);
      assert.deepEqual(await dig(OTHER_RESOLVER, CLIENT, 'rr1.googlevideo.com'), []);

      const status = JSON.parse((await api('GET', '/api/status')).body) as { enforcement: { running: boolean; lastBoundary: string | null; connectionsCut: number; addresses: Record<string, number>; sharedAddresses: number; lastError: string | null } };
      assert.equal(status.enforcement.running, true, String(status.enforcement.lastError));
      assert.equal(status.enforcement.lastBoundary, new Date(boundary).toISOString());
      assert.ok(status.enforcement.connectionsCut >= 1, `connections cut: ${status.enforcement.connectionsCut}`);
      assert.equal(status.enforcement.addresses['youtube'], 1);
      assert.equal(status.enforcement.sharedAddresses, 1);
      // What the enforcer itself measured: from the boundary to the end of its cut (conntrack included).
      process.stdout.write(`# the gateway's own log of the cut: ${/\{[^\n]*"enforcement: connections cut"[^\n]*/.exec(gw.text())?.[0] ?? 'none'}\n`);
      assert.match(await (await fetchMetrics()), /^rambu_enforce_running\{backend="nftables"\} 1$/m);

      // Revoking the exemption through the API cuts the exempt address's stream too.
      const revokedAt = Date.now();
      const revoked = await api('DELETE', `/api/exemptions/${exemptionId}`, undefined, session);
      assert.equal(revoked.status, 200, revoked.body);
      const cut = await waitFor('the exempt stream to stop after the revocation', () => { const s = streamState(exempt); return s.end !== null ? s : null; }, 5_000);
      process.stdout.write(`# revocation to last byte of the exempt stream: ${cut.last - revokedAt} ms\n`);
      await flowing(docs, 'the stream to an allowed name after the revocation');

      // After the window new connections to the address work again.
      await sleepUntil(end + 2_000);
      assert.equal((await connectOnce(CLIENT, VIDEO)).ok, true, 'a new connection after the window works');

      // A clean stop removes the table.
      gw.child.kill('SIGTERM');
      await waitFor('rambu serve to exit', () => gw.child.exitCode !== null, 20_000);
      assert.equal(gw.child.exitCode, 0, gw.text());
      assert.doesNotMatch(await inNs(NS.gw, 'nft', 'list', 'tables'), /inet rambu/, 'the table is gone after the gateway stops');
    } finally {
      for (const p of peers) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      const last = gateway;
      if (last !== null && last.child.exitCode === null) await new Promise((r) => last.child.once('exit', r));
      await removeNamespaces();
      rmSync(dir, { recursive: true, force: true });
    }

    async function fetchMetrics(): Promise<string> {
      return (await api('GET', '/metrics')).body;
    }
  });
