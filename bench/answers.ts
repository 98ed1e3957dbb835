/**
 * Micro-benchmark of the answer index (src/answers/): what it costs the DNS path (one append of the
 * response to an AnswerFeed), what it costs the main thread (reading a batch's addresses and adding
 * them), lookups per second as flow attribution makes them (hits and misses, per client and any
 * client), and the memory of a full index: `--clients` x `--per-client` answers (default 5,000 x
 * 2,000 = 10 million) drawn from a shared pool of addresses and names, heap plus ArrayBuffers after
 * a full GC, measured in a process of its own; and the query handler's cache hits per second with
 * and without the index (answers-dns-cost.ts).
 * Run: npm run bench:answers [-- --clients 5000 --per-client 2000 --seconds 2]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AnswerFeed, AnswerIndex } from '../src/answers/index.js';
import { encodeMessage, FLAG, RR_CLASS, RR_TYPE, type ResourceRecord } from '../src/dns/index.js';
import { allowedName } from './dns/domain-names.js';
import { measureDnsCost } from './answers-dns-cost.js';
import { createRandom } from './dns/prng.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '5000' }, 'per-client': { type: 'string', default: '2000' },
    addresses: { type: 'string', default: '200000' }, names: { type: 'string', default: '50000' },
    seconds: { type: 'string', default: '2' }, memory: { type: 'boolean', default: false },
  },
});
const CLIENTS = Number(values.clients);
const PER_CLIENT = Number(values['per-client']);
const ADDRESSES = Number(values.addresses);
const NAMES = Number(values.names);
const SECONDS = Number(values.seconds);
const T0 = Date.parse('2026-12-02T09:00:00+07:00');
const gc = (globalThis as { gc?: () => void }).gc;

const clientOf = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const addressOf = (i: number): string => (i % 4 === 3
  ? `2001:db8:${(i >> 16).toString(16)}::${(i & 0xffff).toString(16)}`
  : `${100 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`);

function rate(label: string, run: (n: number) => void): number {
  let n = 1000;
  let ms = 0;
  while (ms < SECONDS * 1000) {
    n *= 2;
    const t = performance.now();
    run(n);
    ms = performance.now() - t;
  }
  const perSecond = (n / ms) * 1000;
  console.log(`${label.padEnd(52)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} /s  ${(1e9 / perSecond).toFixed(0).padStart(6)} ns each`);
  return perSecond;
}

function memory(): void {
  const random = createRandom(20261202);
  const names = Array.from({ length: NAMES }, () => allowedName(random));
  const services = [null, null, null, 'youtube', 'vidio', 'tiktok'];
  gc?.();
  const before = process.memoryUsage();
  const index = new AnswerIndex({ maxPerClient: PER_CLIENT, maxEntries: CLIENTS * PER_CLIENT });
  const t = performance.now();
  for (let c = 0; c < CLIENTS; c++) {
    const client = clientOf(c);
    // Each client's answers are distinct addresses of the shared pool, as a real client's would be.
    const start = random.int(0, ADDRESSES - 1);
    for (let i = 0; i < PER_CLIENT; i++) {
      const a = (start + i * 7919) % ADDRESSES;
      index.add(client, addressOf(a), { name: names[a % NAMES]!, service: services[a % services.length]!, expires: T0 + 3_600_000 + (a % 3600) * 1000 }, T0);
    }
  }
  const addMs = performance.now() - t;
  gc?.();
  const after = process.memoryUsage();
  const heap = after.heapUsed - before.heapUsed;
  const buffers = after.arrayBuffers - before.arrayBuffers;
  const s = index.stats();
  console.log(`${CLIENTS.toLocaleString('en-US')} clients x ${PER_CLIENT.toLocaleString('en-US')} answers (${s.entries.toLocaleString('en-US')} entries, ${s.addresses.toLocaleString('en-US')} addresses, ${s.names.toLocaleString('en-US')} names), filled in ${(addMs / 1000).toFixed(1)} s`);
  console.log(`  heap ${(heap / 1048576).toFixed(0)} MB + typed arrays ${(buffers / 1048576).toFixed(0)} MB = ${((heap + buffers) / 1048576).toFixed(0)} MB, ${((heap + buffers) / s.entries).toFixed(1)} bytes an answer; RSS ${(after.rss / 1048576).toFixed(0)} MB`);
}

function speed(): void {
  const random = createRandom(20261203);
  const pool = Array.from({ length: 4096 }, (_, i) => {
    const name = allowedName(random);
    const answers: ResourceRecord[] = [];
    let owner = name;
    if (i % 4 === 0) { owner = `edge-${i}.cdn.example`; answers.push({ name, type: RR_TYPE.CNAME, class: RR_CLASS.IN, ttl: 300, data: owner }); }
    for (let k = 1 + (i % 3); k > 0; k--) {
      const data = addressOf(i * 3 + k);
      answers.push({ name: owner, type: data.includes(':') ? RR_TYPE.AAAA : RR_TYPE.A, class: RR_CLASS.IN, ttl: 300, data });
    }
    return { name, wire: encodeMessage({ id: 1, flags: FLAG.QR | FLAG.RA, questions: [{ name, type: RR_TYPE.A, class: RR_CLASS.IN }], answers, authorities: [], additionals: [] }) };
  });
  const clients = Array.from({ length: 1000 }, (_, i) => clientOf(i));

  console.log('DNS thread, per answer:');
  const feed = new AnswerFeed();
  rate('  AnswerFeed.push (the whole hot-path cost)', (n) => {
    for (let i = 0; i < n; i++) {
      const p = pool[i & 4095]!;
      feed.push(clients[i % 1000]!, p.name, null, p.wire, T0);
      if (feed.size === 2000) feed.take();
    }
  });
  console.log('Main thread, per answer:');
  const index = new AnswerIndex({ maxEntries: 2_000_000 });
  const batches = Array.from({ length: 8 }, (_, b) => {
    const f = new AnswerFeed();
    for (let i = 0; i < 2000; i++) { const p = pool[(b * 2000 + i) & 4095]!; f.push(clients[(b * 2000 + i) % 1000]!, p.name, 'svc', p.wire, T0); }
    return f.take()!;
  });
  const changed: string[] = [];
  rate('  read a batch and add to the index', (n) => {
    for (let done = 0, b = 0; done < n; b++) {
      const batch = batches[b & 7]!;
      let start = 0;
      for (let i = 0; i < batch.ends.length; i++) {
        index.recordResponse(batch.clients[i]!, batch.names[i]!, batch.services[i]!, batch.bytes, start, batch.ends[i]!, T0, changed);
        start = batch.ends[i]!;
        changed.length = 0;
      }
      done += batch.ends.length;
    }
  });
  console.log(`Lookups over ${index.size.toLocaleString('en-US')} entries:`);
  const probes = Array.from({ length: 8192 }, (_, i) => ({ client: clients[i % 1000]!, address: addressOf((i % 4096) * 3 + 1 + (i % 3)) }));
  let hits = 0;
  rate('  lookup(client, address)', (n) => { for (let i = 0; i < n; i++) { const p = probes[i & 8191]!; if (index.lookup(p.client, p.address, T0) !== null) hits++; } });
  rate('  lookup of an address nobody was given', (n) => { for (let i = 0; i < n; i++) if (index.lookup(clients[i % 1000]!, '192.0.2.77', T0) !== null) hits++; });
  rate('  lookupAny(address)', (n) => { for (let i = 0; i < n; i++) if (index.lookupAny(probes[i & 8191]!.address, T0) !== null) hits++; });
  if (hits === 0) throw new Error('no lookup hit: the benchmark measures nothing');
}

if (values.memory) {
  memory();
} else {
  speed();
  await measureDnsCost(SECONDS * 5);
  // The memory figure in a process of its own, with --expose-gc, so that nothing above counts.
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--expose-gc', self, '--memory', '--clients', String(CLIENTS), '--per-client', String(PER_CLIENT), '--addresses', String(ADDRESSES), '--names', String(NAMES)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
