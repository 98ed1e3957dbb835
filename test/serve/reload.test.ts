/**
 * `rambu serve` as a whole: reload on a file change and on SIGHUP, a broken file keeps the running
 * policy, no query is lost while reloading, SIGTERM flushes the query log, `rambu log` reads it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { RR_TYPE } from '../../src/dns/index.js';
import { udpQuery } from '../dns/dns-test-kit.js';
import { digShort, digUntil } from '../e2e/kit/dig.js';
import { ROOT, startProduct } from '../e2e/kit/product.js';
import { BLOCK_CONTOH, POLICY } from './serve-policy.js';

const run = promisify(execFile);

test('reloads: file change, broken file, SIGHUP; no query lost; SIGTERM flushes the log', async () => {
  const product = await startProduct({ adminPassword: 'reload-test-password', policy: POLICY });
  let stopped = false;
  try {
    assert.deepEqual(await digShort(product.dnsPort, 'www.tiktok.com'), []);
    assert.deepEqual(await digShort(product.dnsPort, 'www.example.org'), ['192.0.2.1']);

    // Keep asking while the policy changes underneath: every query must get an answer.
    let asked = 0;
    let lost = 0;
    let running = true;
    const load = (async () => {
      while (running) {
        asked++;
        try {
          await udpQuery(product.dnsPort, `q${asked}.example.net`, RR_TYPE.A);
        } catch {
          lost++;
        }
        // Well under the default per-client rate limit (200 queries/s).
        await new Promise((r) => setTimeout(r, 15));
      }
    })();

    const original = readFileSync(product.config, 'utf8');
    const base = original.slice(0, original.indexOf('services:'));
    writeFileSync(product.config, `${base}${BLOCK_CONTOH.trim()}\n`);
    assert.deepEqual(await digUntil(product.dnsPort, 'www.example.org', (l) => l.length === 0), [], 'file change applies');

    writeFileSync(product.config, `${base}rules:\n  - name: rusak\n    block: [youtub]\n`);
    await new Promise((r) => setTimeout(r, 1500));
    assert.match(product.output(), /config rejected: the previous policy stays in force/);
    assert.match(product.output(), /unknown service or blocklist \\"youtub\\"/);
    assert.deepEqual(await digShort(product.dnsPort, 'www.example.org'), [], 'the previous policy stays');
    assert.deepEqual(await digShort(product.dnsPort, 'www.tiktok.com'), []);

    // SIGHUP picks up a good file again.
    writeFileSync(product.config, original);
    product.signal('SIGHUP');
    assert.deepEqual(await digUntil(product.dnsPort, 'www.example.org', (l) => l.length > 0), ['192.0.2.1'], 'SIGHUP reload applies');

    running = false;
    await load;
    const metrics = await (await fetch(`${product.url}metrics`)).text();
    assert.match(metrics, /^rambu_dns_queries_total \d+/m);
    assert.match(metrics, /^rambu_dns_blocked_total [1-9]/m);
    assert.match(metrics, /^rambu_query_log_rows\{state="written"\} \d+/m);
    assert.match(metrics, /^rambu_dns_upstream_latency_seconds_bucket/m);
    assert.ok(asked > 20, `only ${asked} queries were sent`);
    assert.equal(lost, 0, `${lost} of ${asked} queries got no answer during reloads`);

    product.signal('SIGTERM');
    assert.equal(await product.exited, 0);
    stopped = true;
    const { stdout } = await run(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'log', '--config', product.config, '--name', 'tiktok', '--json']);
    const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; action: string; rule: string | null });
    assert.ok(rows.length >= 2, stdout);
    assert.ok(rows.every((r) => r.name === 'www.tiktok.com' && r.action === 'block' && r.rule === 'blokir-tiktok'), stdout);
    const blocked = await run(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'log', '--config', product.config, '--action', 'block']);
    assert.match(blocked.stdout, /www\.example\.org/);
  } finally {
    if (!stopped) product.signal('SIGTERM');
    await product.stop();
  }
});
