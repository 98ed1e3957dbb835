/**
 * The collector's thread as `rambu serve` runs it: the answers the main index held before the thread
 * started reach its copy, as do those recorded after; its sums reach the store; its counters, groups
 * from a reload and a clean stop.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import pino from 'pino';
import { AnswerIndex, createAnswerKeeper } from '../../src/answers/index.js';
import { encodeMessage, FLAG, RR_CLASS, RR_TYPE } from '../../src/dns/index.js';
import { createFlowThread } from '../../src/cli/flow-thread.js';
import type { GroupInfo } from '../../src/policy/index.js';
import { tempStore } from '../store/temp-store.js';
import { v5Packet } from './flow-packets.js';
import { until } from '../kit/until.js';

const logger = pino({ level: 'silent' });

function aResponse(name: string, address: string): Buffer {
  return encodeMessage({
    id: 1, flags: FLAG.QR | FLAG.RA, questions: [{ name, type: RR_TYPE.A, class: RR_CLASS.IN }],
    answers: [{ name, type: RR_TYPE.A, class: RR_CLASS.IN, ttl: 300, data: address }], authorities: [], additionals: [],
  });
}

test('the flow thread attributes through answers given before and after it started', { timeout: 60_000 }, async () => {
  const { store, cleanup } = tempStore();
  const index = new AnswerIndex();
  const keeper = createAnswerKeeper({ index, db: null, logger });
  // Given before the thread starts: reaches it as entries of the main index.
  keeper.onAnswer('10.20.5.7', 'rr1.googlevideo.com', 'youtube', aResponse('rr1.googlevideo.com', '203.0.113.9'), Date.now());
  keeper.flush();
  let groups: readonly GroupInfo[] = [{ name: 'semua', networks: ['10.0.0.0/8'] }];
  const thread = createFlowThread({
    settings: { listen: { host: '127.0.0.1', port: 0 }, exporters: null, retentionDays: 30, sampling: [] },
    localNetworks: ['10.0.0.0/8'], groups: () => groups, store: store.flows, answers: index, keeper, logLevel: 'silent', logger,
  });
  try {
    const { port } = await thread.start();
    // Given after: reaches it through the keeper's batches.
    keeper.onAnswer('10.20.5.8', 'www.vidio.com', 'vidio', aResponse('www.vidio.com', '203.0.113.10'), Date.now());
    keeper.flush();
    // A reload's groups: the main side looks every second.
    groups = [...groups, { name: 'bappeda', networks: ['10.20.5.0/24'] }];
    await new Promise((r) => setTimeout(r, 2500));
    const secs = Math.floor(Date.now() / 1000);
    const packet = v5Packet({ uptime: 60_000, secs, sequence: 0 }, [
      { src: '203.0.113.9', dst: '10.20.5.7', packets: 10, bytes: 10_000, first: 1000, last: 59_000 },
      { src: '203.0.113.10', dst: '10.20.5.8', packets: 2, bytes: 2000, first: 1000, last: 59_000 },
    ]);
    const s = createSocket('udp4');
    await new Promise<void>((r, j) => s.send(packet, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    s.close();
    const rows = await until(async () => { const r = await store.flows.traffic('service'); return r.length === 2 ? r : null; }, 10_000, 100);
    assert.deepEqual(rows, [{ key: 'youtube', bytes: 10_000, packets: 10, flows: 1 }, { key: 'vidio', bytes: 2000, packets: 2, flows: 1 }]);
    assert.deepEqual(await store.flows.traffic('group'), [{ key: 'bappeda', bytes: 12_000, packets: 12, flows: 2 }]);
    await until(async () => (thread.stats().exporters[0]?.[1].records === 2 ? true : null), 5000, 100);
    assert.equal(thread.stats().rowsWritten, 2);
  } finally {
    await thread.stop();
    keeper.close();
    await cleanup();
  }
});
