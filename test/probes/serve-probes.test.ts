/**
 * Probes in `rambu serve` (started as npm start runs it): names resolved through rambu's own DNS,
 * results stored, and `rambu report probes` shows availability and latency per service.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freeDnsPort } from '../e2e/kit/free-port.js';
import { startNamedUpstream } from '../flows/named-upstream.js';
import { ROOT, serveAsNpmStart } from '../flows/serve-as-npm-start.js';

const run = promisify(execFile);
type Row = { key: string; probes: number; available: number; availability: number; p50Ms: number | null; p95Ms: number | null };

test('rambu serve probes critical services through its own resolver and reports them', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rambu-probes-'));
  const http = createServer((req, res) => { res.writeHead(req.url === '/health' ? 200 : 500); res.end('ok'); });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const port = (http.address() as AddressInfo).port;
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const closedPort = (closed.address() as AddressInfo).port;
  closed.close();
  // Only rambu's upstream knows these names: a probe that resolves them went through rambu.
  const upstream = await startNamedUpstream(new Map([['sijaja.pasuruankota.go.id', '127.0.0.1'], ['lpse.pasuruankota.go.id', '127.0.0.1']]));
  const dnsPort = await freeDnsPort();
  const config = join(dir, 'rambu.yaml');
  await writeFile(config, [
    'dns:', `  listen: ["127.0.0.1:${dnsPort}"]`, `  upstreams: ["udp://127.0.0.1:${upstream.port}"]`,
    'web:', '  listen: "127.0.0.1:0"', 'storage:', `  path: ${JSON.stringify(join(dir, 'data'))}`, 'log:', '  level: error',
    'probes:',
    `  - { name: sijaja, url: "http://sijaja.pasuruankota.go.id:${port}/health", interval: 5, timeout: 5 }`,
    `  - { name: lpse, url: "http://lpse.pasuruankota.go.id:${port}/", interval: 5, timeout: 5 }`,
    `  - { name: mati, url: "http://127.0.0.1:${closedPort}/", interval: 5, timeout: 5 }`,
    '',
  ].join('\n'));
  const serve = serveAsNpmStart(config);
  try {
    await serve.waitFor(/console: http/);
    const report = async (): Promise<Row[]> => {
      const { stdout } = await run(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'report', 'probes', '--config', config, '--json'], { timeout: 30_000 });
      return (JSON.parse(stdout) as { rows: Row[] }).rows;
    };
    const deadline = Date.now() + 30_000;
    let rows = await report();
    while (rows.length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      rows = await report();
    }
    assert.deepEqual(rows.map((r) => r.key), ['lpse', 'mati', 'sijaja'], serve.output());
    const [lpse, mati, sijaja] = rows as [Row, Row, Row];
    assert.deepEqual([sijaja.available, sijaja.availability], [sijaja.probes, 1]);
    assert.ok(sijaja.p50Ms !== null && sijaja.p50Ms > 0 && sijaja.p95Ms! >= sijaja.p50Ms);
    // A 500 is not available; neither is a refused connection.
    assert.deepEqual([lpse.available, lpse.availability, lpse.p50Ms], [0, 0, null]);
    assert.deepEqual([mati.available, mati.availability], [0, 0]);
  } finally {
    assert.equal(await serve.stop(), 0, serve.output());
    http.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
});
