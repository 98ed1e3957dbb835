/**
 * `rambu serve` as `npm start` runs it, against what a console user (or a file change) could do
 * to it: a blocklist that is a FIFO, a CA file of /dev/zero, both on save, on reload and at start,
 * while DNS keeps answering over UDP; a client that never finishes its request; and the modes of the
 * data directory and the database, which holds password hashes and session tokens.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RCODE, rcodeOf, RR_TYPE } from '../../src/dns/index.js';
import { udpQuery } from '../dns/dns-test-kit.js';
import { ROOT, startProduct } from '../e2e/kit/product.js';
import { until } from '../kit/until.js';

/** How many times the product said that a config was rejected and the previous policy stays. */
function rejections(output: string): number {
  return output.split('config rejected: the previous policy stays in force').length - 1;
}

const PASSWORD = 'hardening-test-password';

/** Ask DNS over UDP every 15 ms until stopped; counts queries with no answer. */
function keepAsking(port: number): { stop(): Promise<{ asked: number; lost: number }> } {
  let running = true;
  let asked = 0;
  let lost = 0;
  const loop = (async () => {
    while (running) {
      asked++;
      try {
        await udpQuery(port, `q${asked}.example.net`, RR_TYPE.A);
      } catch {
        lost++;
      }
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  return {
    /** Stop once at least `min` queries were asked (a loaded machine asks slowly). */
    async stop(min = 20) {
      const deadline = Date.now() + 20_000;
      while (asked < min && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      running = false;
      await loop;
      return { asked, lost };
    },
  };
}

/** Seconds until the server closes a connection that sent `data` and then nothing. */
function secondsUntilClosed(port: number, data: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => resolve((Date.now() - started) / 1000));
    setTimeout(() => { socket.destroy(); reject(new Error('the server kept the connection open for 60 s')); }, 60_000).unref();
  });
}

test('a console save or a file change naming a FIFO or /dev/zero is refused while DNS answers; slow requests end; private data files', async () => {
  const lists = mkdtempSync(join(tmpdir(), 'rambu-lists-'));
  const fifo = join(lists, 'pipe');
  execFileSync('mkfifo', [fifo]);
  writeFileSync(join(lists, 'iklan.txt'), 'ads.example\n');
  const policy = `blocklists:\n  iklan: ${JSON.stringify(join(lists, 'iklan.txt'))}\nrules:\n  - name: blokir-iklan\n    block: [iklan]\n`;
  const product = await startProduct({ adminPassword: PASSWORD, policy });
  try {
    // The data directory and the database: only the service's user may read them.
    assert.equal(statSync(join(product.dir, 'data')).mode & 0o777, 0o700);
    for (const f of ['rambu.db', 'rambu.db-wal']) assert.equal(statSync(join(product.dir, 'data', f)).mode & 0o777, 0o600, f);

    const login = await fetch(`${product.url}api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    assert.equal(login.status, 200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const { csrfToken } = await login.json() as { csrfToken: string };
    const original = readFileSync(product.config, 'utf8');
    const save = async (text: string) => {
      const res = await fetch(`${product.url}api/policy/yaml`, {
        method: 'PUT', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify({ text }), signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, body: await res.json() as { error?: { code: string; details?: { path: string; line?: number; message: string }[] } } };
    };

    const asking = keepAsking(product.dnsPort);
    await new Promise((r) => setTimeout(r, 300));
    const [fifoSave, health] = await Promise.all([
      save(original.replace(join(lists, 'iklan.txt'), fifo)),
      fetch(`${product.url}healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status),
    ]);
    assert.equal(fifoSave.status, 422, JSON.stringify(fifoSave.body));
    assert.equal(fifoSave.body.error?.code, 'POLICY_INVALID');
    const problem = fifoSave.body.error?.details?.[0];
    assert.equal(problem?.path, 'blocklists.iklan');
    assert.ok(problem?.line !== undefined);
    assert.match(problem.message, /FIFO/);
    assert.equal(health, 200);

    const zeroSave = await save(original.replace('dns:\n', 'dns:\n  upstreamCaFile: /dev/zero\n'));
    assert.equal(zeroSave.status, 422);
    assert.equal(zeroSave.body.error?.details?.[0]?.path, 'dns.upstreamCaFile');
    assert.match(zeroSave.body.error?.details?.[0]?.message ?? '', /character device/);
    assert.equal(readFileSync(product.config, 'utf8'), original, 'a refused save changes nothing');

    // The same file written on disk: the watcher's reload refuses it and the policy stays.
    const rejectedBefore = rejections(product.output());
    writeFileSync(product.config, original.replace(join(lists, 'iklan.txt'), fifo));
    // The watcher's reload runs in a thread of its own: wait for its verdict, however busy the machine.
    await until(async () => (rejections(product.output()) > rejectedBefore ? true : null), 20_000);
    assert.match(product.output(), /FIFO/);
    assert.equal((await fetch(`${product.url}healthz`, { signal: AbortSignal.timeout(5000) })).status, 200);
    assert.equal(rcodeOf((await udpQuery(product.dnsPort, 'ads.example', RR_TYPE.A)).flags), RCODE.NXDOMAIN, 'the blocklist in force still blocks');
    const { asked, lost } = await asking.stop();
    assert.ok(asked > 20, `only ${asked} queries were asked`);
    assert.equal(lost, 0, `${lost} of ${asked} queries got no answer`);
    writeFileSync(product.config, original);

    // A body that never arrives, and headers that never end: closed by the server within the timeouts.
    const [body, headers] = await Promise.all([
      secondsUntilClosed(product.webPort, 'POST /api/session HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{'),
      secondsUntilClosed(product.webPort, 'GET /healthz HTTP/1.1\r\nhost: x\r\n'),
    ]);
    assert.ok(body <= 35, `a request missing 99 bytes of its body stayed open ${body} s`);
    assert.ok(headers <= 25, `a request missing the end of its headers stayed open ${headers} s`);

    // At start: a FIFO named in the file is refused, and serve exits 1 instead of hanging (it fails
    // before binding, so the running one's ports do not matter).
    writeFileSync(product.config, original.replace(join(lists, 'iklan.txt'), fifo));
    const started = spawnSync(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'serve', '--config', product.config], { cwd: ROOT, timeout: 20_000, encoding: 'utf8' });
    assert.equal(started.status, 1, `serve: ${String(started.error ?? '')} ${started.stderr}`);
    assert.match(started.stderr, /blocklists\.iklan: cannot read blocklist .*pipe.*FIFO/);
  } finally {
    await product.stop();
    rmSync(lists, { recursive: true, force: true });
  }
});
