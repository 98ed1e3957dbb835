/**
 * `flows.sampling` in `rambu serve` as `npm start` runs it: an exporter that samples without saying
 * so gets its flows multiplied by the configured rate, one whose v5 header announces a rate keeps
 * its own, and `rambu report traffic` and /metrics show it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freeDnsPort } from '../e2e/kit/free-port.js';
import { v5Packet } from './flow-packets.js';
import { ROOT, serveAsNpmStart } from './serve-as-npm-start.js';

const run = promisify(execFile);

async function send(port: number, from: string, packet: Buffer): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, from, () => r()));
  await new Promise<void>((r, j) => s.send(packet, port, '127.0.0.1', (e) => (e ? j(e) : r())));
  s.close();
}

test('a configured sampling rate multiplies an exporter\'s counts unless the exporter announces its own', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rambu-sampling-'));
  const config = join(dir, 'rambu.yaml');
  writeFileSync(config, [
    'dns:', `  listen: ["127.0.0.1:${await freeDnsPort()}"]`, '  upstreams: ["udp://127.0.0.1:9"]',
    'web:', '  listen: "127.0.0.1:0"', 'storage:', `  path: ${JSON.stringify(join(dir, 'data'))}`, 'log:', '  level: warn',
    'groups:', '  semua: ["10.0.0.0/8"]',
    'flows:', '  listen: "127.0.0.1:0"', '  sampling:', '    - { exporter: "127.0.0.2", rate: 100 }', '    - { exporter: "127.0.0.3", rate: 100 }', '',
  ].join('\n'));
  const serve = serveAsNpmStart(config);
  try {
    const port = Number((await serve.waitFor(/flows: listening on 127\.0\.0\.1:(\d+)/))[1]);
    const secs = Math.floor(Date.now() / 1000);
    const flow = (client: string) => ({ src: '198.51.100.7', dst: client, packets: 2, bytes: 1000, first: 1000, last: 59_000 });
    // 127.0.0.2 samples 1 in 100 and says nothing; 127.0.0.3 announces 1 in 10 in its header; 127.0.0.1 is not sampled.
    await send(port, '127.0.0.2', v5Packet({ uptime: 60_000, secs, sequence: 0 }, [flow('10.0.0.2')]));
    await send(port, '127.0.0.3', v5Packet({ uptime: 60_000, secs, sequence: 0, sampling: 0x4000 | 10 }, [flow('10.0.0.3')]));
    await send(port, '127.0.0.1', v5Packet({ uptime: 60_000, secs, sequence: 0 }, [flow('10.0.0.1')]));
    const expected = [
      { key: '10.0.0.2', bytes: 100_000, packets: 200, flows: 1 },
      { key: '10.0.0.3', bytes: 10_000, packets: 20, flows: 1 },
      { key: '10.0.0.1', bytes: 1000, packets: 2, flows: 1 },
    ];
    let rows: unknown = null;
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const { stdout } = await run(process.execPath, [join(ROOT, 'bin', 'rambu.js'), 'report', 'traffic', '--config', config, '--by', 'client', '--json'], { timeout: 30_000 });
      rows = (JSON.parse(stdout) as { rows: unknown[] }).rows;
      if ((rows as unknown[]).length === 3) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.deepEqual(rows, expected);
    const [, url] = await serve.waitFor(/console: (http:\/\/\S+\/)/);
    // The collector's thread reports its counters every second.
    let metrics = '';
    const by = Date.now() + 10_000;
    do {
      metrics = await (await fetch(new URL('metrics', url!))).text();
      if (/^rambu_flow_records\{exporter="127\.0\.0\.2"\} 1$/m.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 300));
    } while (Date.now() < by);
    assert.match(metrics, /^rambu_flow_records\{exporter="127\.0\.0\.2"\} 1$/m);
    assert.match(metrics, /^rambu_flow_receive_buffer_bytes [1-9]/m);
  } finally {
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
