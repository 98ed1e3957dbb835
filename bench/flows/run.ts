/**
 * `npm run bench:flows`: how many flow records a second rambu decodes, attributes and aggregates on
 * one core (in process, with the per-minute sums written to a real SQLite file every second), and
 * whether `rambu serve` (started as `npm start` runs it, the collector in its own thread) loses
 * records at 50,000 a second and above and how many it takes flat out, side by side with nfdump's
 * nfcapd and pmacct's nfacctd on the same export when they are installed; then DNS (dnsperf at BENCH_FLOWS_DNS_QPS, default
 * 20,000) alone and beside 50,000 flow records a second. BENCH_FLOWS_SECONDS (default 5) and
 * BENCH_FLOWS_RATES (records a second, comma-separated, 0 for flat out; default 50000,100000,200000,0)
 * keep a sitting short on a shared machine; BENCH_FLOWS_PARTS (cpu,loss,dns) picks parts.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FlowDecoder, FlowPipeline } from '../../src/flows/index.js';
import { openStore } from '../../src/store/index.js';
import { serveAsNpmStart, ROOT } from '../../test/flows/serve-as-npm-start.js';
import { freeDnsPort } from '../../test/e2e/kit/free-port.js';
import { startFakeUpstream } from '../../test/e2e/kit/fake-upstream.js';
import { parseDnsperf } from '../dns/dnsperf.js';
import { dataPackets, FORMATS, type Format, makeWorkload, PER_PACKET, templatePacket } from './workload.js';

const run = promisify(execFile);
const SECONDS = Number(process.env['BENCH_FLOWS_SECONDS'] ?? 5);
/** Which parts run: cpu (in process), loss (over UDP, beside nfcapd and nfacctd), dns (DNS beside the collector). */
const PARTS = new Set((process.env['BENCH_FLOWS_PARTS'] ?? 'cpu,loss,dns').split(','));
const DNS_QPS = Number(process.env['BENCH_FLOWS_DNS_QPS'] ?? 20_000);
const RATES = (process.env['BENCH_FLOWS_RATES'] ?? '50000,100000,200000,0').split(',').map(Number);

function inProcess(format: Format, attribute: boolean): { recordsPerSecond: number; rowsWritten: number } {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-bench-flows-'));
  const store = openStore({ dir, pruneIntervalMs: 0 });
  try {
    const now = Date.now();
    const w = makeWorkload(500, 40, now);
    const secs = Math.floor(now / 1000);
    const packets = dataPackets(w, format, 2000, PER_PACKET[format], secs);
    const template = templatePacket(format, secs, 0);
    const pipeline = new FlowPipeline({ answers: w.answers, groups: w.groups, localNetworks: ['10.0.0.0/8'] });
    const decoder = new FlowDecoder();
    if (template !== null) { pipeline.ingest(template, '10.0.0.1', now); decoder.decode(template, '10.0.0.1', now); }
    let records = 0;
    let rows = 0;
    const start = performance.now();
    let nextDrain = start + 1000;
    for (let i = 0; ; i++) {
      const p = packets[i % packets.length]!;
      records += attribute ? pipeline.ingest(p, '10.0.0.1', now) : decoder.decode(p, '10.0.0.1', now).length;
      if ((i & 63) === 0) {
        const t = performance.now();
        if (t >= nextDrain) {
          const { traffic, remotes } = pipeline.aggregates.drain();
          void store.flows.add(traffic, remotes);
          rows += traffic.length;
          nextDrain = t + 1000;
        }
        if (t - start >= SECONDS * 1000) {
          const { traffic, remotes } = pipeline.aggregates.drain();
          void store.flows.add(traffic, remotes);
          rows += traffic.length;
          return { recordsPerSecond: Math.round(records / ((performance.now() - start) / 1000)), rowsWritten: rows };
        }
      }
    }
  } finally {
    void store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function send(port: number, format: Format, rate: number): Promise<{ sent: number; seconds: number }> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'dist', 'bench', 'flows', 'sender.js'), String(port), format, String(rate), String(SECONDS)], { timeout: (SECONDS + 60) * 1000 });
  return JSON.parse(stdout) as { sent: number; seconds: number };
}

async function freeUdpPort(): Promise<number> {
  return await freeDnsPort();
}

interface LossRow { collector: string; format: Format; rate: string; sent: number; received: number; loss: string; perSecond: number; kernelDrops: number | string }

async function rambuLoss(format: Format): Promise<LossRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-bench-serve-'));
  const port = await freeUdpPort();
  const config = join(dir, 'rambu.yaml');
  writeFileSync(config, [
    'dns:', `  listen: ["127.0.0.1:${await freeDnsPort()}"]`, '  upstreams: ["udp://127.0.0.1:9"]',
    'web:', '  listen: "127.0.0.1:0"', 'storage:', `  path: ${JSON.stringify(join(dir, 'data'))}`, 'log:', '  level: error',
    'flows:', `  listen: "127.0.0.1:${port}"`, 'groups:', '  semua: [10.0.0.0/8]', '',
  ].join('\n'));
  const serve = serveAsNpmStart(config);
  const rows: LossRow[] = [];
  try {
    await serve.waitFor(/flows: listening/);
    const [, url] = await serve.waitFor(/console: (http:\/\/\S+\/)/);
    const metrics = async (): Promise<{ records: number; drops: number }> => {
      const text = await (await fetch(`${url}metrics`)).text();
      const records = [...text.matchAll(/^rambu_flow_records\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      return { records, drops: Number(/^rambu_flow_socket_drops (\d+)/m.exec(text)?.[1] ?? 0) };
    };
    for (const rate of RATES) {
      const before = await metrics();
      const { sent, seconds } = await send(port, format, rate);
      // The thread reports its counters every second.
      await new Promise((r) => setTimeout(r, 2500));
      const after = await metrics();
      const got = after.records - before.records;
      rows.push({
        collector: 'rambu serve', format, rate: rate === 0 ? 'max' : String(rate), sent, received: got, loss: `${(((sent - got) / sent) * 100).toFixed(2)}%`,
        perSecond: Math.round(got / seconds), kernelDrops: after.drops - before.drops,
      });
    }
  } finally {
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

async function nfcapdLoss(format: Format): Promise<LossRow[]> {
  const rows: LossRow[] = [];
  for (const rate of RATES) {
    const dir = mkdtempSync(join(tmpdir(), 'rambu-bench-nfcapd-'));
    mkdirSync(join(dir, 'flows'));
    const port = await freeUdpPort();
    const child = spawn('nfcapd', ['-w', join(dir, 'flows'), '-p', String(port), '-b', '127.0.0.1', '-t', '3600', '-B', String(4 * 1024 * 1024)], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const { sent, seconds } = await send(port, format, rate);
      await new Promise((r) => setTimeout(r, 1500));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      const { stdout } = await run('nfdump', ['-R', join(dir, 'flows'), '-I'], { timeout: 60_000 });
      const got = Number(/^Flows:\s+(\d+)/m.exec(stdout)?.[1] ?? 0);
      rows.push({ collector: 'nfcapd', format, rate: rate === 0 ? 'max' : String(rate), sent, received: got, loss: `${(((sent - got) / sent) * 100).toFixed(2)}%`, perSecond: Math.round(got / seconds), kernelDrops: '-' });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

const NFACCTD = '/usr/sbin/nfacctd';

/**
 * pmacct's nfacctd on the same export: a fresh daemon per rate on a free loopback port, its print
 * plugin summing by source and destination address (with the `flows` count, one per record) into a CSV
 * file every second, appended; the records it took are the sum of that column once it has stopped
 * (SIGINT, on which it writes what it still holds; it does not stop on SIGTERM). Socket buffer 4 MB as
 * for nfcapd; the queue from its core process to the plugin as its documentation suggests for heavy
 * traffic (10 MB in chunks of 10 kB).
 */
async function nfacctdLoss(format: Format): Promise<LossRow[]> {
  const rows: LossRow[] = [];
  for (const rate of RATES) {
    const dir = mkdtempSync(join(tmpdir(), 'rambu-bench-nfacctd-'));
    const port = await freeUdpPort();
    const out = join(dir, 'out.csv');
    const pidfile = join(dir, 'nfacctd.pid');
    writeFileSync(join(dir, 'nfacctd.conf'), [
      'daemonize: false', 'nfacctd_ip: 127.0.0.1', `nfacctd_port: ${port}`, `nfacctd_pipe_size: ${4 * 1024 * 1024}`,
      'plugin_pipe_size: 10240000', 'plugin_buffer_size: 10240', 'plugins: print', 'aggregate: src_host,dst_host,flows',
      'print_output: csv', `print_output_file: ${out}`, 'print_output_file_append: true', 'print_refresh_time: 1',
      `logfile: ${join(dir, 'nfacctd.log')}`, `pidfile: ${pidfile}`, '',
    ].join('\n'));
    const child = spawn(NFACCTD, ['-f', join(dir, 'nfacctd.conf')], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const { sent, seconds } = await send(port, format, rate);
      await new Promise((r) => setTimeout(r, 2500));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      let got = 0;
      if (existsSync(out)) {
        const [head = '', ...lines] = readFileSync(out, 'utf8').split('\n');
        const col = head.split(',').indexOf('FLOWS');
        for (const line of lines) if (line !== '') got += Number(line.split(',')[col] ?? 0);
      }
      rows.push({ collector: 'nfacctd', format, rate: rate === 0 ? 'max' : String(rate), sent, received: got, loss: `${(((sent - got) / sent) * 100).toFixed(2)}%`, perSecond: Math.round(got / seconds), kernelDrops: '-' });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        // The print plugin is a process of its own, with its own pid file beside the core's.
        const plugin = Number(existsSync(`${pidfile}-print-default_print`) ? readFileSync(`${pidfile}-print-default_print`, 'utf8').trim() : NaN);
        child.kill('SIGKILL');
        if (Number.isInteger(plugin) && plugin > 0) try { process.kill(plugin, 'SIGKILL'); } catch { /* already gone */ }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

interface DnsRow { load: string; qps: number; avgLatencyMs: number; maxLatencyMs: number; lost: number; flowLoss: string }

/**
 * DNS beside the collector: dnsperf at a fixed DNS_QPS against `rambu serve` (1,000 names, answered
 * from its cache after the first round), first alone, then while the sender offers 50,000 flow
 * records a second to the same process.
 */
async function dnsUnderFlows(): Promise<DnsRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-bench-dns-flows-'));
  const upstream = await startFakeUpstream();
  const port = await freeUdpPort();
  const dnsPort = await freeDnsPort();
  const config = join(dir, 'rambu.yaml');
  writeFileSync(config, [
    'dns:', `  listen: ["127.0.0.1:${dnsPort}"]`, `  upstreams: ["udp://127.0.0.1:${upstream.port}"]`,
    'web:', '  listen: "127.0.0.1:0"', 'storage:', `  path: ${JSON.stringify(join(dir, 'data'))}`, 'log:', '  level: error',
    'flows:', `  listen: "127.0.0.1:${port}"`, 'groups:', '  semua: [10.0.0.0/8, 127.0.0.0/8]', '',
  ].join('\n'));
  const names = join(dir, 'names.txt');
  writeFileSync(names, Array.from({ length: 1000 }, (_, i) => `host${i}.example A\n`).join(''));
  const serve = serveAsNpmStart(config);
  const rows: DnsRow[] = [];
  const dnsperf = async (): Promise<ReturnType<typeof parseDnsperf>> => {
    const args = ['-s', '127.0.0.1', '-p', String(dnsPort), '-d', names, '-l', String(SECONDS), '-Q', String(DNS_QPS), '-c', '4', '-t', '2'];
    const { stdout } = await run('dnsperf', args, { timeout: (SECONDS + 30) * 1000 });
    return parseDnsperf(stdout, args);
  };
  try {
    await serve.waitFor(/flows: listening/);
    const [, url] = await serve.waitFor(/console: (http:\/\/\S+\/)/);
    const records = async (): Promise<number> => [...(await (await fetch(`${url}metrics`)).text()).matchAll(/^rambu_flow_records\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    await dnsperf(); // warm the cache
    const alone = await dnsperf();
    rows.push({ load: 'DNS alone', qps: Math.round(alone.qps), avgLatencyMs: alone.avgLatencyMs, maxLatencyMs: alone.maxLatencyMs, lost: alone.lost, flowLoss: '-' });
    const before = await records();
    const [withFlows, sent] = await Promise.all([dnsperf(), send(port, 'v9', 50_000)]);
    await new Promise((r) => setTimeout(r, 2500));
    const got = (await records()) - before;
    rows.push({
      load: 'DNS + 50,000 flow records/s', qps: Math.round(withFlows.qps), avgLatencyMs: withFlows.avgLatencyMs, maxLatencyMs: withFlows.maxLatencyMs, lost: withFlows.lost,
      flowLoss: `${(((sent.sent - got) / sent.sent) * 100).toFixed(2)}%`,
    });
  } finally {
    await serve.stop();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const table = (head: string[], rows: (string | number)[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

async function main(): Promise<void> {
  console.log(`flow benchmark: ${SECONDS} s a run, 500 clients x 40 answers, 70% own answer, 10% another client's, 20% unresolved\n`);
  const cpu: (string | number)[][] = [];
  for (const format of PARTS.has('cpu') ? FORMATS : []) {
    const decode = inProcess(format, false);
    const full = inProcess(format, true);
    cpu.push([format, decode.recordsPerSecond, full.recordsPerSecond, full.rowsWritten]);
  }
  console.log('## One core, in process\n');
  console.log(table(['format', 'decoded records/s', 'decoded + attributed + aggregated + stored records/s', 'aggregate rows written'], cpu));
  const loss: LossRow[] = PARTS.has('loss') ? await rambuLoss('v9') : [];
  const haveNfcapd = existsSync('/usr/bin/nfcapd');
  if (haveNfcapd && PARTS.has('loss')) loss.push(...await nfcapdLoss('v9'));
  const haveNfacctd = existsSync(NFACCTD);
  if (haveNfacctd && PARTS.has('loss')) loss.push(...await nfacctdLoss('v9'));
  const missing = [haveNfcapd ? '' : 'nfcapd not installed: apt-get install nfdump', haveNfacctd ? '' : 'nfacctd not installed: apt-get install pmacct'].filter((m) => m !== '');
  console.log(`\n## Over UDP, NetFlow v9, ${SECONDS} s a rate${missing.length === 0 ? '' : ` (${missing.join('; ')})`}\n`);
  console.log(table(['collector', 'format', 'records/s offered', 'sent', 'received', 'loss', 'received records/s', 'kernel drops (datagrams)'],
    loss.map((r) => [r.collector, r.format, r.rate, r.sent, r.received, r.loss, r.perSecond, r.kernelDrops])));
  let dns: DnsRow[] = [];
  if (existsSync('/usr/bin/dnsperf') && PARTS.has('dns')) {
    dns = await dnsUnderFlows();
    console.log(`\n## DNS beside the collector: dnsperf at ${DNS_QPS} queries/s (cached answers), ${SECONDS} s, alone and with 50,000 NetFlow v9 records/s\n`);
    console.log(table(['load', 'DNS answers/s', 'avg latency ms', 'max latency ms', 'DNS queries lost', 'flow records lost'],
      dns.map((r) => [r.load, r.qps, r.avgLatencyMs.toFixed(2), r.maxLatencyMs.toFixed(1), r.lost, r.flowLoss])));
  }
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `flows-${stamp}.json`), `${JSON.stringify({ seconds: SECONDS, cpu, loss, dns }, null, 2)}\n`);
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 2; });
