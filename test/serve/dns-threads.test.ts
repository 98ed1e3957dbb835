/**
 * `rambu serve` with `dns.workers: 2`: both DNS threads answer on the one port, a config change
 * and a console exemption reach every thread, a broken file reaches none, the extra thread's query
 * log reaches the store, and SIGTERM stops everything with exit code 0. One process throughout.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { DNS_SLICE_NS } from '../../src/dns/dns-priority.js';
import { decodeMessage, RCODE, rcodeOf, RR_TYPE } from '../../src/dns/index.js';
import { buildQuery, kernelHasSlices, sliceIn, tcpExchange, udpQuery } from '../dns/dns-test-kit.js';
import { digShort, digUntil } from '../e2e/kit/dig.js';
import { ROOT, startProduct, type Product } from '../e2e/kit/product.js';
import { until as waitUntil } from '../kit/until.js';
import { BLOCK_CONTOH, POLICY } from './serve-policy.js';

/** How many times the product said that a config was rejected and the previous policy stays. */
function rejections(output: string): number {
  return output.split('config rejected: the previous policy stays in force').length - 1;
}

const run = promisify(execFile);
const PASSWORD = 'workers-test-password';

async function metrics(product: Product): Promise<string> {
  return await (await fetch(`${product.url}metrics`)).text();
}

function metric(text: string, name: string): number | null {
  const m = new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** Polls /metrics until `accept` holds (threads report every second). */
async function metricsUntil(product: Product, accept: (text: string) => boolean, timeoutMs = 6_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let text = await metrics(product);
  while (!accept(text) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    text = await metrics(product);
  }
  return text;
}

/** `count` UDP queries for `name`, 20 at a time; the answers' rcodes. */
async function burst(port: number, name: string, count: number): Promise<number[]> {
  const rcodes: number[] = [];
  for (let i = 0; i < count; i += 20) {
    const answers = await Promise.all(Array.from({ length: Math.min(20, count - i) }, () => udpQuery(port, name, RR_TYPE.A)));
    for (const a of answers) rcodes.push(rcodeOf(a.flags));
  }
  return rcodes;
}

async function login(product: Product): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${product.url}api/session`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const cookie = /rambu_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
  assert.ok(cookie !== undefined, 'no session cookie');
  return { cookie, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
}

/** Threads of process `pid`, from /proc. */
function threadCount(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).length;
}

test('dns.workers 2: two threads on one socket, UDP and TCP, reload and exemptions reach every thread, log, SIGTERM', async () => {
  const product = await startProduct({ adminPassword: PASSWORD, policy: POLICY, dns: { workers: 2, rateLimit: { qps: 0 } } });
  let stopped = false;
  try {
    assert.match(product.output(), new RegExp(`rambu: dns: listening on 127\\.0\\.0\\.1:${product.dnsPort} \\(udp and tcp, 2 threads\\)`));
    assert.ok(threadCount(product.pid) > 2);
    // The main thread answers DNS too: it asked for the short slice (src/dns/dns-priority.ts).
    if (kernelHasSlices()) assert.equal(sliceIn(`/proc/${product.pid}/task/${product.pid}/sched`), DNS_SLICE_NS);

    // UDP and TCP on the one port.
    assert.deepEqual(await digShort(product.dnsPort, 'www.tiktok.com'), []);
    assert.deepEqual(await digShort(product.dnsPort, 'www.example.org'), ['192.0.2.1']);
    const tcp = await tcpExchange(product.dnsPort, [buildQuery('www.tiktok.com', RR_TYPE.A), buildQuery('www.example.org', RR_TYPE.A)]);
    assert.equal(tcp.length, 2);
    assert.deepEqual(tcp.map((b) => rcodeOf(decodeMessage(b).flags)).sort(), [RCODE.NOERROR, RCODE.NXDOMAIN].sort());

    // Both threads take queries from the shared socket, and /metrics sums them.
    assert.ok((await burst(product.dnsPort, 'www.example.org', 300)).every((r) => r === RCODE.NOERROR));
    const text = await metricsUntil(product, (t) => (metric(t, 'rambu_dns_queries_total') ?? 0) >= 304);
    const perThread = [metric(text, 'rambu_dns_thread_queries{thread="1"}'), metric(text, 'rambu_dns_thread_queries{thread="2"}')];
    assert.equal(metric(text, 'rambu_dns_queries_total'), 304, text);
    assert.equal((perThread[0] ?? 0) + (perThread[1] ?? 0), 304, `per thread: ${perThread.join(', ')}`);
    assert.ok(perThread.every((n) => n !== null && n > 0), `both threads should answer, per thread: ${perThread.join(', ')}`);
    assert.equal(metric(text, 'rambu_dns_threads'), 2);
    assert.match(text, /^rambu_dns_upstream_latency_seconds_bucket/m);

    // A config change reaches every thread: once one blocks, all do.
    const original = readFileSync(product.config, 'utf8');
    const base = original.slice(0, original.indexOf('services:'));
    writeFileSync(product.config, `${base}${BLOCK_CONTOH.trim()}\n`);
    assert.deepEqual(await digUntil(product.dnsPort, 'www.example.org', (l) => l.length === 0), [], 'file change applies');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok((await burst(product.dnsPort, 'www.example.org', 100)).every((r) => r === RCODE.NXDOMAIN), 'every thread blocks after the reload');

    // A broken file is rejected by the main thread and never reaches the other.
    const rejectedBefore = rejections(product.output());
    writeFileSync(product.config, `${base}rules:\n  - name: rusak\n    block: [youtub]\n`);
    // The watcher's reload runs in a thread of its own: wait for its verdict, however busy the machine.
    await waitUntil(async () => (rejections(product.output()) > rejectedBefore ? true : null), 20_000);
    assert.ok((await burst(product.dnsPort, 'www.example.org', 40)).every((r) => r === RCODE.NXDOMAIN));
    writeFileSync(product.config, `${base}${BLOCK_CONTOH.trim()}\n`);

    // A console exemption reaches every thread.
    const session = await login(product);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const created = await fetch(`${product.url}api/exemptions`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf },
      body: JSON.stringify({ clients: ['127.0.0.1'], allow: ['contoh'], until, reason: 'uji utas DNS' }),
    });
    assert.equal(created.status, 201, await created.text());
    assert.deepEqual(await digUntil(product.dnsPort, 'www.example.org', (l) => l.length > 0), ['192.0.2.1'], 'exemption applies');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok((await burst(product.dnsPort, 'www.example.org', 100)).every((r) => r === RCODE.NOERROR), 'every thread has the exemption');

    assert.ok((await burst(product.dnsPort, 'www.tiktok.com', 60)).every((r) => r === RCODE.NXDOMAIN));

    product.signal('SIGTERM');
    assert.equal(await product.exited, 0);
    stopped = true;
    const { stdout } = await run(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'log', '--config', product.config, '--name', 'tiktok', '--limit', '1000', '--json']);
    const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; action: string; rule: string | null });
    // 1 dig + 1 over TCP + 60 in the last burst, sent just before SIGTERM: the threads flush on the way out.
    assert.equal(rows.length, 62, `tiktok rows in the log: ${rows.length}`);
    assert.ok(rows.every((r) => r.name === 'www.tiktok.com' && r.action === 'block' && r.rule === 'blokir-tiktok'));
  } finally {
    if (!stopped) product.signal('SIGTERM');
    await product.stop();
  }
});
