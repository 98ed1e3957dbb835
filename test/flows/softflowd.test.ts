/**
 * End to end with a real exporter: clients on loopback addresses resolve names through `rambu serve`
 * (started as `npm start` runs it), a pcap of TCP flows of known sizes to the addresses they were
 * given (and to one nobody resolved) goes through Debian's softflowd as NetFlow v5, v9 and IPFIX to
 * rambu's collector, and `rambu report traffic` must show exactly those bytes by service, group and
 * client, `other` for the rest: each export adds exactly one more copy, nothing lost, nothing twice.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freeDnsPort } from '../e2e/kit/free-port.js';
import { startNamedUpstream } from './named-upstream.js';
import { writePcap, type TcpPacket } from './pcap-writer.js';
import { ROOT, serveAsNpmStart } from './serve-as-npm-start.js';

const run = promisify(execFile);
/** Debian installs it in /usr/sbin, which a user's PATH may lack. */
const SOFTFLOWD = existsSync('/usr/sbin/softflowd') ? '/usr/sbin/softflowd' : 'softflowd';

const NAMES = new Map([
  ['rr1.googlevideo.com', '198.51.100.10'],
  ['sijaja.pasuruankota.go.id', '198.51.100.20'],
  ['www.vidio.com', '198.51.100.30'],
  ['example.org', '198.51.100.40'],
]);
const UNRESOLVED = '203.0.113.50';

/** Who resolves what: [client, name]. */
const RESOLVES: [string, string][] = [
  ['127.0.0.11', 'rr1.googlevideo.com'],
  ['127.0.0.17', 'sijaja.pasuruankota.go.id'],
  ['127.0.0.17', 'www.vidio.com'],
  ['127.0.0.12', 'example.org'],
];

/** Connections: client, remote, packets and payload each way. */
const CONNECTIONS: { client: string; remote: string; up: [number, number]; down: [number, number] }[] = [
  { client: '127.0.0.11', remote: '198.51.100.10', up: [3, 100], down: [10, 1400] },
  { client: '127.0.0.17', remote: '198.51.100.20', up: [2, 300], down: [4, 1000] },
  { client: '127.0.0.17', remote: '198.51.100.30', up: [1, 0], down: [5, 1200] },
  { client: '127.0.0.12', remote: '198.51.100.40', up: [1, 50], down: [2, 500] },
  { client: '127.0.0.12', remote: UNRESOLVED, up: [2, 10], down: [3, 700] },
];
/** IP bytes of one connection, both ways (softflowd counts IP total lengths). */
const bytesOf = (c: (typeof CONNECTIONS)[number]): number => c.up[0] * (40 + c.up[1]) + c.down[0] * (40 + c.down[1]);
const packetsOf = (c: (typeof CONNECTIONS)[number]): number => c.up[0] + c.down[0];

type Row = { key: string; bytes: number; packets: number; flows: number };

function expected(keyOf: (c: (typeof CONNECTIONS)[number]) => string, copies: number): Row[] {
  const rows = new Map<string, Row>();
  for (const c of CONNECTIONS) {
    const key = keyOf(c);
    const row = rows.get(key) ?? { key, bytes: 0, packets: 0, flows: 0 };
    // softflowd exports a record per direction.
    row.bytes += bytesOf(c) * copies; row.packets += packetsOf(c) * copies; row.flows += 2 * copies;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => b.bytes - a.bytes || a.key.localeCompare(b.key));
}

const SERVICE: Record<string, string> = { '198.51.100.10': 'youtube', '198.51.100.20': 'sijaja', '198.51.100.30': 'vidio' };
const GROUP: Record<string, string> = { '127.0.0.11': 'kepala', '127.0.0.12': 'bappeda', '127.0.0.17': 'dinkes' };

test('softflowd v5, v9 and IPFIX exports are reported exactly by service, group and client', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rambu-flows-'));
  const upstream = await startNamedUpstream(NAMES);
  const dnsPort = await freeDnsPort();
  const config = join(dir, 'rambu.yaml');
  await writeFile(config, [
    'dns:',
    `  listen: ["127.0.0.1:${dnsPort}"]`,
    `  upstreams: ["udp://127.0.0.1:${upstream.port}"]`,
    'web:',
    '  listen: "127.0.0.1:0"',
    'storage:',
    `  path: ${JSON.stringify(join(dir, 'data'))}`,
    'log:',
    '  level: warn',
    'flows:',
    '  listen: "127.0.0.1:0"',
    '  exporters: ["127.0.0.1"]',
    'services:',
    '  sijaja: [sijaja.pasuruankota.go.id]',
    'groups:',
    '  semua: [127.0.0.0/8]',
    '  bappeda: [127.0.0.8/29]',
    '  dinkes: [127.0.0.16/29]',
    '  rapat: [127.0.0.16/29]',
    '  kepala: [127.0.0.11]',
    '',
  ].join('\n'));
  const serve = serveAsNpmStart(config);
  try {
    const [, flowPort] = await serve.waitFor(/flows: listening on 127\.0\.0\.1:(\d+)/);
    const [, webUrl] = await serve.waitFor(/console: (http:\/\/\S+\/)/);
    for (const [client, name] of RESOLVES) {
      const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(dnsPort), '-b', client, name, 'A', '+short', '+time=2', '+tries=2'], { timeout: 15_000 });
      assert.equal(stdout.trim(), NAMES.get(name), `${client} resolving ${name}`);
    }

    // DNS threads hand answers to the index every 100 ms; a router exports seconds after a flow starts.
    const until = Date.now() + 10_000;
    while (!new RegExp(`^rambu_answer_index_entries ${RESOLVES.length}$`, 'm').test(await (await fetch(`${webUrl}metrics`)).text()) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const t0 = Date.now() - 2000;
    const packets: TcpPacket[] = [];
    CONNECTIONS.forEach((c, i) => {
      const port = 40_000 + i;
      for (let k = 0; k < c.up[0]; k++) packets.push({ src: c.client, dst: c.remote, srcPort: port, dstPort: 443, payload: c.up[1], time: t0 + k * 10 });
      for (let k = 0; k < c.down[0]; k++) packets.push({ src: c.remote, dst: c.client, srcPort: 443, dstPort: port, payload: c.down[1], time: t0 + 5 + k * 10 });
    });
    packets.sort((a, b) => a.time - b.time);
    const pcap = join(dir, 'flows.pcap');
    writePcap(pcap, packets);

    const report = async (by: string): Promise<Row[]> => {
      const { stdout } = await run(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'report', 'traffic', '--config', config, '--by', by, '--json'], { timeout: 30_000 });
      return (JSON.parse(stdout) as { rows: Row[] }).rows;
    };
    let copies = 0;
    for (const version of ['5', '9', '10']) {
      await run(SOFTFLOWD, ['-d', '-r', pcap, '-n', `127.0.0.1:${flowPort}`, '-v', version], { timeout: 30_000 });
      copies++;
      const want = expected((c) => SERVICE[c.remote] ?? 'other', copies);
      // Visible within seconds: the collector drains every second.
      const deadline = Date.now() + 10_000;
      let got = await report('service');
      while (JSON.stringify(got) !== JSON.stringify(want) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        got = await report('service');
      }
      assert.deepEqual(got, want, `by service after NetFlow version ${version}\n${serve.output()}`);
      assert.deepEqual(await report('group'), expected((c) => GROUP[c.client]!, copies), `by group after version ${version}`);
      assert.deepEqual(await report('client'), expected((c) => c.client, copies), `by client after version ${version}`);
    }
    const metrics = await (await fetch(`${webUrl}metrics`)).text();
    assert.match(metrics, /rambu_flow_records\{exporter="127\.0\.0\.1"\} 30\b/);
    assert.doesNotMatch(metrics, /rambu_flow_errors\{/);
  } finally {
    assert.equal(await serve.stop(), 0, serve.output());
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
});
