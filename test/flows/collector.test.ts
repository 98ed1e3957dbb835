/** The UDP collector over a real socket and a real SQLite file, and `rambu report traffic` over what it wrote. */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { main } from '../../src/cli/main.js';
import { createFlowCollector, type FlowCollector } from '../../src/flows/index.js';
import { tempStore } from '../store/temp-store.js';
import { addr, set, uint, v9Packet, v9Templates } from './flow-packets.js';
import { until } from '../kit/until.js';

const logger = pino({ level: 'silent' });
const GROUPS = [{ name: 'semua', networks: ['10.0.0.0/8'] }, { name: 'bappeda', networks: ['10.20.5.0/24'] }];
const answers = {
  lookup: (client: string, address: string) => (client === '10.20.5.7' && address === '203.0.113.9' ? { name: 'rr1.googlevideo.com', service: 'youtube', expires: 1e15 } : null),
  lookupAny: () => null,
};

async function send(port: number, packets: Buffer[], from = '127.0.0.1'): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, from, () => r()));
  for (const p of packets) await new Promise<void>((r, j) => s.send(p, port, '127.0.0.1', (e) => (e ? j(e) : r())));
  s.close();
}

const FIELDS: [number, number][] = [[8, 4], [12, 4], [1, 4], [2, 4], [22, 4], [21, 4]];
const rec = (src: string, dst: string, bytes: number, packets: number): Buffer => Buffer.concat([addr(src), addr(dst), uint(bytes, 4), uint(packets, 4), uint(9000, 4), uint(9500, 4)]);
const packet = (seq: number, sets: Buffer[]): Buffer => v9Packet({ uptime: 10_000, secs: Math.floor(Date.now() / 1000), sequence: seq, sourceId: 0 }, sets);

test('flows reach the store within 5 s, attributed; templates survive a restart; strangers are dropped', async () => {
  const { store, dir, cleanup } = tempStore();
  const collectors: FlowCollector[] = [];
  const start = async (exporters: string[] | null): Promise<number> => {
    const c = createFlowCollector({
      settings: { listen: { host: '127.0.0.1', port: 0 }, exporters, retentionDays: 30, sampling: [] }, answers, groups: () => GROUPS,
      localNetworks: ['10.0.0.0/8'], store: store.flows, logger,
    });
    collectors.push(c);
    return (await c.start()).port;
  };
  try {
    let port = await start(['127.0.0.1']);
    await send(port, [packet(1, [v9Templates([{ id: 300, fields: FIELDS }]), set(300, Buffer.concat([
      rec('10.20.5.7', '203.0.113.9', 150_000, 100), rec('203.0.113.9', '10.20.5.7', 2_000_000, 1400), rec('10.30.0.1', '198.51.100.20', 5000, 10),
    ]))])]);
    const rows = await until(async () => { const r = await store.flows.traffic('service'); return r.length === 2 ? r : null; }, 5000);
    assert.deepEqual(rows, [{ key: 'youtube', bytes: 2_150_000, packets: 1500, flows: 2 }, { key: 'other', bytes: 5000, packets: 10, flows: 1 }]);
    assert.deepEqual(await store.flows.traffic('group'), [{ key: 'bappeda', bytes: 2_150_000, packets: 1500, flows: 2 }, { key: 'semua', bytes: 5000, packets: 10, flows: 1 }]);
    assert.deepEqual(await store.flows.topRemotes(), [{ key: '198.51.100.0/24', bytes: 5000, packets: 10, flows: 1 }]);

    // A restart: the new collector knows template 300 from the store, so data alone decodes.
    await collectors[0]!.stop();
    port = await start(['10.99.0.0/16']);
    await send(port, [packet(2, [set(300, rec('10.30.0.1', '198.51.100.20', 1000, 1))])]);
    await until(async () => (collectors[1]!.rejected.total === 1 ? true : null), 5000);
    assert.equal(collectors[1]!.pipeline.decoder.counters().get('127.0.0.1')?.packets ?? 0, 0, 'a rejected packet is not decoded');
    await collectors[1]!.stop();
    port = await start(null);
    await send(port, [packet(3, [set(300, rec('10.30.0.1', '198.51.100.20', 1000, 1))])]);
    await until(async () => { const r = await store.flows.traffic('service'); return r.find((x) => x.key === 'other')?.bytes === 6000 ? r : null; }, 5000);
    await collectors[2]!.stop();
    collectors.length = 0;

    // rambu report traffic over the same data directory.
    const config = join(dir, 'rambu.yaml');
    writeFileSync(config, `storage:\n  path: ${dir}\n`);
    const run = async (...args: string[]): Promise<[number, string, string]> => {
      const out = new PassThrough();
      const err = new PassThrough();
      const chunks: Buffer[] = [];
      const errs: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      err.on('data', (c: Buffer) => errs.push(c));
      const code = await main(args, { stdout: out, stderr: err, stdin: new PassThrough(), now: Date.now });
      return [code, Buffer.concat(chunks).toString(), Buffer.concat(errs).toString()];
    };
    const [code, json] = await run('report', 'traffic', '--config', config, '--by', 'client', '--json');
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(json), { rows: [{ key: '10.20.5.7', bytes: 2_150_000, packets: 1500, flows: 2 }, { key: '10.30.0.1', bytes: 6000, packets: 11, flows: 2 }] });
    const [, csv] = await run('report', 'traffic', '--config', config, '--by', 'service', '--csv');
    assert.equal(csv, 'key,bytes,packets,flows\nyoutube,2150000,1500,2\nother,6000,11,2\n');
    const [, empty] = await run('report', 'traffic', '--config', config, '--by', 'group', '--to', '2000-01-01T00:00:00Z', '--json');
    assert.deepEqual(JSON.parse(empty), { rows: [] });
    const [bad, , message] = await run('report', 'traffic', '--config', config, '--by', 'department');
    assert.equal(bad, 1);
    assert.match(message, /--by "department"/);
  } finally {
    for (const c of collectors) await c.stop();
    await cleanup();
  }
});

test('flows.sampling multiplies the counts of the exporter it names, first match counting', async () => {
  const { store, cleanup } = tempStore();
  const c = createFlowCollector({
    settings: { listen: { host: '127.0.0.1', port: 0 }, exporters: null, retentionDays: 30, sampling: [{ exporter: '127.0.0.0/8', rate: 100 }, { exporter: '127.0.0.1', rate: 7 }] },
    answers, groups: () => GROUPS, localNetworks: ['10.0.0.0/8'], store: store.flows, logger,
  });
  try {
    const port = (await c.start()).port;
    await send(port, [packet(1, [v9Templates([{ id: 300, fields: FIELDS }]), set(300, rec('10.20.5.7', '203.0.113.9', 1500, 1))])]);
    const rows = await until(async () => { const r = await store.flows.traffic('service'); return r.length === 1 ? r : null; }, 5000);
    assert.deepEqual(rows, [{ key: 'youtube', bytes: 150_000, packets: 100, flows: 1 }]);
    assert.equal(c.stats().exporters[0]?.[0], '127.0.0.1');
    assert.ok(c.stats().receiveBufferBytes > 0);
  } finally {
    await c.stop();
    await cleanup();
  }
});
