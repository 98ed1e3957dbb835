/**
 * The answer index in the product: `rambu serve` started as `npm start` starts it (with the default
 * dns.workers and with 2), dig from several loopback clients, then GET /api/answers must hold the
 * right name and service for each client and address, CNAME chain ends included, nothing for a
 * blocked name, and the same after a restart with no query in between.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { RR_TYPE } from '../../src/dns/index.js';
import { FakeUpstream, rr } from '../dns/fake-upstream.js';
import { freeDnsPort, freePort } from '../e2e/kit/free-port.js';
import { ROOT } from '../e2e/kit/product.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'rambu.js');
const PASSWORD = 'answers-test-password';

const POLICY = `
services:
  tontonan: ["videocdn.example"]
  kerja: ["kerja.example"]
rules:
  - name: blokir-tiktok
    block: [tiktok]
`;

interface Serve { child: ChildProcess; url: string; log: { text: string } }

/** `rambu serve` as package.json's start script runs it, ready once it prints its console URL. */
async function startServe(config: string): Promise<Serve> {
  const log = { text: '' };
  const child = spawn(process.execPath, ['--max-semi-space-size=2', BIN, 'serve', '--config', config], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MALLOC_ARENA_MAX: '2' },
  });
  child.stdout!.on('data', (d: Buffer) => { log.text += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { log.text += d.toString(); });
  const end = Date.now() + 20_000;
  for (;;) {
    const m = /console: (http:\/\/\S+\/)/.exec(log.text);
    if (m !== null) return { child, url: m[1]!, log };
    if (child.exitCode !== null || Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`rambu serve did not start:\n${log.text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopServe(s: Serve): Promise<number | null> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return s.child.exitCode;
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 8_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}api/session`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const cookie = /rambu_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
  assert.ok(cookie !== undefined);
  return cookie;
}

interface Item { client: string | null; address: string; name: string; service: string | null; expires: string }

async function answersFor(url: string, cookie: string, query: string): Promise<Item[]> {
  const res = await fetch(`${url}api/answers?${query}`, { headers: { cookie } });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { items: Item[] }).items;
}

/** Polls until `accept` holds: answers reach the index within a tenth of a second or so. */
async function answersUntil(url: string, cookie: string, query: string, accept: (items: Item[]) => boolean): Promise<Item[]> {
  const end = Date.now() + 5_000;
  let items = await answersFor(url, cookie, query);
  while (!accept(items) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    items = await answersFor(url, cookie, query);
  }
  return items;
}

async function dig(port: number, client: string, name: string, type: string): Promise<string[]> {
  const { stdout } = await run('dig', ['-b', client, '@127.0.0.1', '-p', String(port), name, type, '+short', '+time=2', '+tries=2'], { timeout: 15_000 });
  return stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

const CLIENTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

for (const workers of [null, 2]) {
  test(`rambu serve (dns.workers ${workers ?? 'default'}) indexes every client's answers, and a restart keeps them`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rambu-answers-e2e-'));
    const upstream = await FakeUpstream.start();
    let serve: Serve | null = null;
    try {
      upstream.set('www.tontonan.example', RR_TYPE.A, { answers: [
        rr('www.tontonan.example', RR_TYPE.CNAME, 300, 'edge.videocdn.example'),
        rr('edge.videocdn.example', RR_TYPE.A, 120, '198.51.100.7'),
        rr('edge.videocdn.example', RR_TYPE.A, 120, '198.51.100.8'),
      ] });
      upstream.set('www.tontonan.example', RR_TYPE.AAAA, { answers: [
        rr('www.tontonan.example', RR_TYPE.CNAME, 300, 'edge.videocdn.example'),
        rr('edge.videocdn.example', RR_TYPE.AAAA, 120, '2001:db8:0:0::7'),
      ] });
      upstream.set('portal.kerja.example', RR_TYPE.A, { answers: [rr('portal.kerja.example', RR_TYPE.A, 600, '203.0.113.10')] });
      upstream.set('berita.example', RR_TYPE.A, { answers: [rr('berita.example', RR_TYPE.A, 60, '198.51.100.7')] });
      upstream.set('www.tiktok.com', RR_TYPE.A, { answers: [rr('www.tiktok.com', RR_TYPE.A, 60, '203.0.113.99')] });
      const dnsPort = await freeDnsPort();
      const webPort = await freePort();
      const config = join(dir, 'rambu.yaml');
      await writeFile(config, [
        'timezone: Asia/Jakarta',
        'dns:',
        `  listen: ["127.0.0.1:${dnsPort}"]`,
        `  upstreams: ["udp://127.0.0.1:${upstream.port}"]`,
        ...(workers === null ? [] : [`  workers: ${workers}`]),
        'web:',
        `  listen: "127.0.0.1:${webPort}"`,
        'storage:',
        `  path: ${JSON.stringify(join(dir, 'data'))}`,
        // On by itself only with flows.listen: here nothing else asks for it.
        'answers:',
        '  enabled: true',
        'log:',
        '  level: warn',
        POLICY.trim(),
        '',
      ].join('\n'));
      const { stdout: added } = await new Promise<{ stdout: string }>((resolve, reject) => {
        const c = spawn(process.execPath, [BIN, 'user', 'add', 'admin', '--role', 'admin', '--password-stdin', '--config', config], { cwd: ROOT });
        let out = '';
        c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
        c.stderr.on('data', (d: Buffer) => { out += d.toString(); });
        c.once('exit', (code) => (code === 0 ? resolve({ stdout: out }) : reject(new Error(`user add: ${out}`))));
        c.stdin.end(`${PASSWORD}\n`);
      });
      assert.ok(added !== undefined);

      serve = await startServe(config);
      // 127.0.0.2 and .3 watch the video (A and AAAA through the CNAME chain); .3 also reads the news
      // from an address the CDN shares; .4 works; everyone tries the blocked name.
      for (const client of CLIENTS.slice(0, 2)) {
        assert.deepEqual((await dig(dnsPort, client, 'www.tontonan.example', 'A')).slice(1).sort(), ['198.51.100.7', '198.51.100.8']);
        assert.deepEqual((await dig(dnsPort, client, 'www.tontonan.example', 'AAAA')).slice(1), ['2001:db8::7']);
      }
      assert.deepEqual(await dig(dnsPort, '127.0.0.3', 'berita.example', 'A'), ['198.51.100.7']);
      assert.deepEqual(await dig(dnsPort, '127.0.0.4', 'portal.kerja.example', 'A'), ['203.0.113.10']);
      for (const client of CLIENTS) assert.deepEqual(await dig(dnsPort, client, 'www.tiktok.com', 'A'), []);

      const check = async (url: string, cookie: string, phase: string): Promise<void> => {
        const two = await answersUntil(url, cookie, 'client=127.0.0.2', (items) => items.length >= 3);
        assert.deepEqual(two.map((i) => `${i.address} ${i.name} ${i.service}`).sort(), [
          '198.51.100.7 www.tontonan.example tontonan', '198.51.100.8 www.tontonan.example tontonan', '2001:db8::7 www.tontonan.example tontonan',
        ], `${phase}: 127.0.0.2`);
        const three = await answersUntil(url, cookie, 'client=127.0.0.3', (items) => items.length >= 3);
        assert.deepEqual(three.map((i) => `${i.address} ${i.name} ${i.service}`).sort(), [
          '198.51.100.7 berita.example null', '198.51.100.8 www.tontonan.example tontonan', '2001:db8::7 www.tontonan.example tontonan',
        ], `${phase}: 127.0.0.3, the newer answer for the shared address wins`);
        const four = await answersUntil(url, cookie, 'client=127.0.0.4&address=203.0.113.10', (items) => items.length === 1);
        assert.equal(four.length, 1, `${phase}: 127.0.0.4`);
        assert.equal(four[0]!.service, 'kerja');
        // Grace (default one hour) plus the 600 s TTL, give or take the test's own duration; the
        // index keeps expiry in whole seconds, rounded up, so it may lie up to 1 s further.
        const left = Date.parse(four[0]!.expires) - Date.now();
        assert.ok(left > 3_600_000 && left <= 4_201_000, `${phase}: expires in ${left} ms`);
        assert.deepEqual(await answersFor(url, cookie, 'client=127.0.0.4&address=198.51.100.7'), [], `${phase}: .4 was never given it`);
        assert.deepEqual(await answersFor(url, cookie, 'address=203.0.113.99'), [], `${phase}: the blocked name gave out nothing`);
        const any = await answersFor(url, cookie, 'address=2001:db8::7');
        assert.equal(any[0]?.name, 'www.tontonan.example', `${phase}: lookupAny`);
      };
      const cookie = await login(serve.url);
      assert.equal((await fetch(`${serve.url}api/answers?client=127.0.0.2`)).status, 401, 'admins only');
      await check(serve.url, cookie, 'first run');
      const metrics = await (await fetch(`${serve.url}metrics`)).text();
      assert.match(metrics, /^rambu_answer_index_entries 7$/m);

      assert.equal(await stopServe(serve), 0, serve.log.text);
      serve = await startServe(config);
      await check(serve.url, await login(serve.url), 'after a restart');
      assert.doesNotMatch(serve.log.text, /"level":(50|60)/, serve.log.text);
    } finally {
      if (serve !== null) await stopServe(serve);
      await upstream.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
