/**
 * The query log in the topology that ships: `rambu serve` started as `npm start` starts it (its
 * environment and node flags; DNS threads, the batched UDP reader when the addon builds, the main
 * thread and the writer thread), thousands of queries over UDP and TCP from six loopback clients in
 * different groups, many services and blocklists, many qtypes (hundreds of `TYPE<n>` words, so every
 * batch brings its own dictionary), an exemption, a SIGHUP reload that renames a rule, and the writer
 * thread killed once (RAMBU_TEST_HOOKS=writer-kill, SIGUSR2). Then every row, read through `rambu
 * log --json`, `GET /api/queries` and the overview's aggregates, must say what the client received
 * (type, rcode) and what `rambu explain --json` says for that client, name and instant (action,
 * service, rule, exemption); and rows = answers - what the run reports as dropped or failed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfigFile } from '../../src/config/index.js';
import { RR_TYPE } from '../../src/dns/index.js';
import type { Policy } from '../../src/policy/index.js';
import { ROOT, startProduct, type Product } from '../e2e/kit/product.js';
import { digAsk, tcpAsk, udpClient, type Question, type Sent } from './query-traffic.js';
import { apiRows, logRows, login, overviewMatches, readMetric, settledMetrics, type Row } from './query-log-reads.js';

const run = promisify(execFile);
const PASSWORD = 'topology-test-password';

/** Clients: two in kantor-a (one exempted), two in kantor-b, two in no group. */
const CLIENTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.1'];

function policy(lists: string, renamed: boolean): string {
  return `
groups:
  kantor-a: ["127.0.0.2", "127.0.0.3"]
  kantor-b: ["127.0.0.4/31"]
services:
  penanda: ["reload-probe.example"]
blocklists:
  iklan: ${JSON.stringify(join(lists, 'iklan.txt'))}
  judi: ${JSON.stringify(join(lists, 'judi.txt'))}
rules:
${renamed ? '  - name: blokir-penanda\n    block: [penanda]\n' : ''}  - name: blokir-doh
    block: [doh-bypass]
  - name: ${renamed ? 'larangan-streaming' : 'blokir-streaming'}
    block: [youtube, vidio, vimeo, netflix, tiktok]
    groups: [kantor-a]
  - name: izinkan-musik-b
    allow: [spotify]
    groups: [kantor-b]
  - name: blokir-musik
    block: [spotify, twitch]
  - name: blokir-daftar
    block: [iklan, judi]
    groups: [kantor-a, kantor-b]
exemptions:
  - name: rapat-direksi
    clients: ["127.0.0.3"]
    allow: [youtube, iklan]
    until: "2099-01-01T00:00:00+07:00"
    reason: "uji log"
`;
}

const SUFFIXES = [
  'youtube.com', 'googlevideo.com', 'vidio.com', 'vimeo.com', 'netflix.com', 'tiktok.com', 'spotify.com', 'twitch.tv',
  'dns.google', 'doh.opendns.com', 'cloudflare-dns.com', 'iklan-satu.example', 'tracker.iklan-dua.example', 'slot.judi.example',
  'togel.example', 'example.org', 'pasuruankota.go.id', 'wikipedia.org',
];
const TYPES = [RR_TYPE.A, RR_TYPE.AAAA, 65, RR_TYPE.TXT, RR_TYPE.MX, RR_TYPE.SRV];

/** `count` questions with unique names; one in four of an unknown type, from hundreds of them. */
function questions(prefix: string, count: number, seed: number): Question[] {
  let s = seed;
  const random = (n: number): number => { s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0; return (s >>> 8) % n; };
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}${i}-${random(1e6).toString(36)}.${SUFFIXES[random(SUFFIXES.length)]}`,
    type: random(4) === 0 ? 65280 + random(250) : TYPES[random(TYPES.length)]!,
  }));
}

/** Queries from every client at once: UDP for volume, one TCP connection each, and a dig or two. */
async function traffic(port: number, prefix: string, perClient: number, seed: number): Promise<Sent[]> {
  const results = await Promise.all(CLIENTS.map(async (client, k) => {
    const udp = udpClient(port, client);
    const qs = questions(`${prefix}u${k}-`, perClient, seed + k);
    const tcp = questions(`${prefix}t${k}-`, Math.ceil(perClient / 10), seed + 100 + k);
    const [a, b] = await Promise.all([udp.ask(qs, 32), tcpAsk(port, client, tcp)]);
    const d = await digAsk(port, client, questions(`${prefix}d${k}-`, 1, seed + 200 + k)[0]!);
    // Late replies still count: give them a moment before the socket closes.
    if (a.some((x) => x.rcode === null)) await new Promise((r) => setTimeout(r, 1_000));
    await udp.close();
    return [...a, ...b, d];
  }));
  return results.flat();
}

function decisionOf(p: Policy, row: Row): { action: string; service: string | null; rule: string | null; exemption: string | null } {
  const d = p.decide(row.client, row.name, row.time);
  return { action: d.action, service: d.service, rule: d.rule, exemption: d.exemption };
}

async function topology(workers: number): Promise<void> {
  const lists = mkdtempSync(join(tmpdir(), 'rambu-lists-'));
  writeFileSync(join(lists, 'iklan.txt'), '# ads\niklan-satu.example\n0.0.0.0 iklan-dua.example\n');
  writeFileSync(join(lists, 'judi.txt'), '||judi.example^\ntogel.example\n');
  const configA = join(lists, 'a.yaml');
  const configB = join(lists, 'b.yaml');
  let product: Product | null = null;
  try {
    product = await startProduct({
      adminPassword: PASSWORD, policy: policy(lists, false), dns: { workers, rateLimit: { qps: 0 } }, env: { RAMBU_TEST_HOOKS: 'writer-kill' },
    });
    const p = product;
    const textA = readFileSync(p.config, 'utf8');
    const textB = textA.replace(policy(lists, false).trim(), policy(lists, true).trim());
    writeFileSync(configA, textA);
    writeFileSync(configB, textB);
    const sent: Sent[] = [];

    sent.push(...await traffic(p.dnsPort, 'a', 330, 1));

    // The writer thread ends as a crash would, with nothing owed to it (the last flush is 250 ms
    // behind); what DNS answers while it restarts is counted as failed, and a new one takes over.
    // (The writer runs at idle priority: on a busy machine it may take seconds to catch up.)
    await new Promise((r) => setTimeout(r, 600));
    const before = readMetric(await settledMetrics(p.url), 'failed');
    p.signal('SIGUSR2');
    const killedAt = Date.now();
    for (let waited = 0; !/query log writer stopped/.test(p.output()) && waited < 5_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    assert.match(p.output(), /query log writer stopped/);
    sent.push(...await traffic(p.dnsPort, 'k', 10, 2));
    // The next batch after the restart delay (5 s) starts a new writer: the reload's traffic.
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 5_200 - Date.now())));

    // Reload by SIGHUP: a rule renamed, and a probe service blocked, to see it in force everywhere.
    writeFileSync(p.config, textB);
    const reloadAt = Date.now();
    p.signal('SIGHUP');
    const probe = udpClient(p.dnsPort, '127.0.0.6');
    for (let tries = 0; ; tries++) {
      const answers = await probe.ask(Array.from({ length: 20 }, (_, i) => ({ name: `p${tries}-${i}.reload-probe.example`, type: RR_TYPE.A })), 4);
      sent.push(...answers);
      if (answers.every((x) => x.rcode === 'NXDOMAIN')) break;
      assert.ok(tries < 50, 'the reload did not take effect');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    await probe.close();
    const appliedAt = Date.now();
    sent.push(...await traffic(p.dnsPort, 'c', 330, 4));
    await new Promise((r) => setTimeout(r, 600));

    const metrics = await settledMetrics(p.url);
    const dropped = readMetric(metrics, 'dropped');
    const failed = readMetric(metrics, 'failed');
    assert.ok(failed > before, `rows failed while the writer restarted: ${failed}`);
    const session = await login(p.url, PASSWORD);
    const fromApi = await apiRows(p.url, session);
    const { stdout } = await run(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'log', '--config', p.config, '--limit', '100000', '--json'], { maxBuffer: 64 << 20 });
    const fromCli = logRows(stdout);

    const answered = sent.filter((x) => x.rcode !== null);
    assert.ok(answered.length > 4_000, `answered ${answered.length} of ${sent.length}`);
    // A reply that reaches a client after it gave up (3 s, on a machine this busy) is logged but not
    // counted as answered: such queries may have rows, with fields checked below all the same.
    const unanswered = sent.length - answered.length;
    assert.ok(unanswered <= sent.length / 100, `${unanswered} of ${sent.length} queries unanswered`);
    const counted = `rows ${fromCli.length}, answered ${answered.length}, unanswered ${unanswered}, dropped ${dropped}, failed ${failed}`;
    assert.ok(fromCli.length >= answered.length - dropped - failed && fromCli.length <= sent.length - dropped - failed, counted);
    if (unanswered === 0) assert.equal(fromCli.length, answered.length - dropped - failed, counted);
    assert.deepEqual(fromApi, fromCli, 'the API and the CLI read the same rows');

    const byKey = new Map(sent.map((x) => [`${x.client} ${x.name} ${x.transport}`, x]));
    const byName = new Map<string, Sent[]>();
    for (const x of sent) byName.set(x.name, [...(byName.get(x.name) ?? []), x]);
    const policyA = loadConfigFile(configA).policy;
    const policyB = loadConfigFile(configB).policy;
    const types = new Set<string>();
    for (const row of fromCli) {
      const asked = byName.get(row.name) ?? [];
      assert.equal(asked.length, 1, `row for a name asked once: ${row.name}`);
      const q = asked[0]!;
      assert.ok(byKey.has(`${row.client} ${row.name} ${q.transport}`), `row ${row.client} ${row.name} matches its client`);
      assert.deepEqual({ type: row.type, rcode: q.rcode === null ? null : row.rcode }, { type: q.type, rcode: q.rcode }, `${row.client} ${row.name}: what the client received`);
      assert.ok(row.time >= q.sentAt - 5 && row.time <= (q.answeredAt ?? Infinity) + 5, `${row.name}: logged between asking and answer`);
      const want = row.time < reloadAt ? [decisionOf(policyA, row)] : row.time >= appliedAt ? [decisionOf(policyB, row)] : [decisionOf(policyA, row), decisionOf(policyB, row)];
      const got = { action: row.action, service: row.service, rule: row.rule, exemption: row.exemption };
      assert.ok(want.some((w) => JSON.stringify(w) === JSON.stringify(got)), `${row.client} ${row.name} at ${new Date(row.time).toISOString()}: logged ${JSON.stringify(got)}, explain says ${JSON.stringify(want)}`);
      types.add(row.type);
    }
    assert.ok(types.size > 200, `${types.size} distinct types logged`);
    assert.ok(fromCli.some((r) => r.rule === 'blokir-streaming') && fromCli.some((r) => r.rule === 'larangan-streaming'), 'both names of the renamed rule are logged');
    assert.ok(fromCli.some((r) => r.exemption === 'rapat-direksi'), 'the exemption is logged');

    // `rambu explain --json` itself, for a sample of rows at their own instants.
    // The CLI itself for a few rows (each run costs a second or two of CPU): a row the renamed rule
    // blocked under each name, and an exempted one; the check above holds every row to the same
    // decide() that `rambu explain` runs.
    const sample = [
      fromCli.find((r) => r.time < reloadAt && r.rule === 'blokir-streaming'), fromCli.find((r) => r.time >= appliedAt && r.rule === 'larangan-streaming'),
      fromCli.find((r) => (r.time < reloadAt || r.time >= appliedAt) && r.exemption !== null),
    ].filter((r): r is Row => r !== undefined);
    assert.equal(sample.length, 3);
    await Promise.all(sample.map(async (row) => {
      const config = row.time < reloadAt ? configA : configB;
      const out = await run(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'explain', '--config', config, '--client', row.client, '--at', new Date(row.time).toISOString(), '--json', row.name]);
      const { until: _, ...explained } = JSON.parse(out.stdout) as Record<string, unknown>;
      assert.deepEqual({ action: row.action, service: row.service, rule: row.rule, exemption: row.exemption }, explained, `${row.client} ${row.name}`);
    }));

    await overviewMatches(p.url, session, fromCli, (client) => ({ '127.0.0.2': 'kantor-a', '127.0.0.3': 'kantor-a', '127.0.0.4': 'kantor-b', '127.0.0.5': 'kantor-b' })[client] ?? null);
    p.signal('SIGTERM');
    assert.equal(await p.exited, 0);
  } finally {
    await product?.stop();
    rmSync(lists, { recursive: true, force: true });
  }
}

test('the query log says what was answered: npm start topology, one DNS thread', async () => {
  await topology(1);
});

test('the query log says what was answered: npm start topology, dns.workers 2', async () => {
  await topology(2);
});
