/** One probe against real local HTTP and HTTPS servers: phases timed in order, status checked, failures named. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ProbeSettings } from '../../src/config/index.js';
import { runProbe } from '../../src/probes/index.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

const probe = (url: string, over: Partial<ProbeSettings> = {}): ProbeSettings => ({ name: 'sijaja', url: new URL(url), intervalMs: 60_000, timeoutMs: 3000, expectStatus: null, ...over });
const resolved: string[] = [];
const deps = { resolve: async (host: string) => { resolved.push(host); return '127.0.0.1'; }, now: () => 1_700_000_000_000 };

test('an http probe times DNS, connect, first byte and total in that order', async () => {
  const server = createHttp((req, res) => {
    res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'text/plain' });
    // The body comes later than the head: first byte and total differ.
    res.write('ok');
    setTimeout(() => res.end('!'), 50);
  });
  const port = await listen(server);
  try {
    const r = await runProbe(probe(`http://sijaja.example:${port}/kinerja?x=1`), deps);
    assert.equal(r.ok, true, r.error ?? '');
    assert.equal(r.status, 200);
    assert.deepEqual(resolved, ['sijaja.example']);
    assert.equal(r.tlsMs, null);
    assert.ok(r.dnsMs! <= r.connectMs! && r.connectMs! <= r.firstByteMs! && r.firstByteMs! <= r.totalMs!, JSON.stringify(r));
    assert.ok(r.totalMs! - r.firstByteMs! >= 40, JSON.stringify(r));
    const missing = await runProbe(probe(`http://127.0.0.1:${port}/missing`), deps);
    assert.deepEqual([missing.ok, missing.status, missing.error, missing.dnsMs], [false, 404, 'status 404', 0]);
    const expected = await runProbe(probe(`http://127.0.0.1:${port}/missing`, { expectStatus: 404 }), deps);
    assert.equal(expected.ok, true);
  } finally {
    server.close();
  }
});

test('an https probe times the TLS handshake', async () => {
  const server = createHttps({ cert: readFileSync(join(FIXTURES, 'upstream-tls-cert.pem')), key: readFileSync(join(FIXTURES, 'upstream-tls-key.pem')) }, (_req, res) => { res.end('ok'); });
  const port = await listen(server as unknown as Server);
  try {
    const r = await runProbe(probe(`https://dns.test:${port}/`), { ...deps, ca: [readFileSync(join(FIXTURES, 'upstream-tls-cert.pem'), 'utf8')] });
    assert.equal(r.ok, true, r.error ?? '');
    assert.ok(r.connectMs! <= r.tlsMs! && r.tlsMs! <= r.firstByteMs!, JSON.stringify(r));
    const untrusted = await runProbe(probe(`https://dns.test:${port}/`), deps);
    assert.equal(untrusted.ok, false);
    assert.equal(untrusted.tlsMs, null);
  } finally {
    server.close();
  }
});

test('a refused connection, a silent server and a failed lookup are failures with a reason', async () => {
  const closed = createHttp();
  const port = await listen(closed);
  closed.close();
  const refused = await runProbe(probe(`http://127.0.0.1:${port}/`), deps);
  assert.deepEqual([refused.ok, refused.error, refused.connectMs], [false, 'ECONNREFUSED', null]);
  const silent = createHttp(() => { /* never answers */ });
  const silentPort = await listen(silent);
  try {
    const slow = await runProbe(probe(`http://127.0.0.1:${silentPort}/`, { timeoutMs: 300 }), deps);
    assert.equal(slow.ok, false);
    assert.match(slow.error ?? '', /timed out after 300 ms/);
    assert.notEqual(slow.connectMs, null);
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
  const nxdomain = await runProbe(probe('http://gone.example/'), { ...deps, resolve: async () => { throw Object.assign(new Error('queryA ENOTFOUND gone.example'), { code: 'ENOTFOUND' }); } });
  assert.deepEqual([nxdomain.ok, nxdomain.error, nxdomain.dnsMs], [false, 'ENOTFOUND', null]);
});
