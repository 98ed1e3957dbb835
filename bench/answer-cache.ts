/**
 * Micro-benchmark of the answer cache: the memory that 50,000 and 200,000 cached answers of the
 * usual shape hold (one to four A or AAAA records, a quarter of them behind a CNAME to a CDN name;
 * heap plus ArrayBuffers, after a full GC), and hits per second of a warm loop over 4,096 of them
 * that reads the query in place, looks it up and renders the response, as the fast path does. The
 * answers come from the benchmarks' seeded generator, so every run caches the same bytes. Each size
 * runs in a process of its own: ArrayBuffers are freed after a GC returns, so a cache measured after
 * another would count the first one's leftovers.
 * Run: npm run bench:cache [-- --entries 50000,200000 --names 4096 --seconds 3]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AnswerCache } from '../src/dns/answer-cache.js';
import { createAnswerEntry, renderAnswer, type RenderRequest } from '../src/dns/answer-entry.js';
import { makeOpt } from '../src/dns/edns.js';
import { encodeMessage, type DnsMessage, type Question, type ResourceRecord } from '../src/dns/message-codec.js';
import { QueryView } from '../src/dns/query-view.js';
import { FLAG } from '../src/dns/rcodes.js';
import { RR_CLASS, RR_TYPE } from '../src/dns/rr-types.js';
import { allowedName } from './dns/domain-names.js';
import { createRandom, type Random } from './dns/prng.js';

const { values } = parseArgs({
  options: { entries: { type: 'string', default: '50000,200000' }, names: { type: 'string', default: '4096' }, seconds: { type: 'string', default: '3' } },
});
const SIZES = values.entries.split(',').map(Number);
const SECONDS = Number(values.seconds);
const SAMPLE = Number(values.names);
const SEED = 20261201;
const T0 = Date.parse('2026-12-01T09:00:00+07:00');
const LIMITS = { minTtl: 0, maxTtl: 86400, negativeMaxTtl: 3600 };
const CDNS = ['edgekey.net', 'akamaiedge.net', 'cdn.cloudflare.net', 'fastly.net', 'cloudfront.net', 'azureedge.net'] as const;
const gc = (globalThis as { gc?: () => void }).gc;

interface Answer {
  question: Question;
  response: DnsMessage;
}

function rr(name: string, type: number, ttl: number, data: ResourceRecord['data']): ResourceRecord {
  return { name, type, class: RR_CLASS.IN, ttl, data };
}

/** The next upstream answer of the seeded sequence. */
function nextAnswer(random: Random): Answer {
  const name = allowedName(random);
  const type = random.next() < 0.65 ? RR_TYPE.A : RR_TYPE.AAAA;
  const ttl = random.int(60, 3600);
  const answers: ResourceRecord[] = [];
  let owner = name;
  if (random.next() < 0.25) {
    owner = `${name.slice(0, name.indexOf('.'))}-${random.int(1, 999)}.${random.pick(CDNS)}`;
    answers.push(rr(name, RR_TYPE.CNAME, ttl, owner));
  }
  for (let i = random.int(1, 4); i > 0; i--) {
    const data = type === RR_TYPE.A
      ? `198.51.${random.int(0, 255)}.${random.int(1, 254)}`
      : `2001:db8:${random.int(0, 0xffff).toString(16)}::${random.int(1, 0xffff).toString(16)}`;
    answers.push(rr(owner, type, ttl, data));
  }
  const question = { name, type, class: RR_CLASS.IN };
  return { question, response: { id: 0, flags: FLAG.QR | FLAG.RA | FLAG.RD, questions: [question], answers, authorities: [], additionals: [] } };
}

/** Heap used plus ArrayBuffers (where the arena and the metadata live), after a full GC. */
function memoryBytes(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function fill(size: number): AnswerCache {
  const cache = new AnswerCache(size);
  const random = createRandom(SEED);
  for (let i = 0; i < size; i++) {
    const { question, response } = nextAnswer(random);
    cache.set(createAnswerEntry(response, question, T0, LIMITS, 'upstream-1'), false);
  }
  return cache;
}

/** Queries for `count` of the first `size` answers, spread evenly, half of them with EDNS. */
function queries(size: number, count: number): Buffer[] {
  const random = createRandom(SEED);
  const out: Buffer[] = [];
  const every = Math.max(1, Math.floor(size / count));
  for (let i = 0; i < size && out.length < count; i++) {
    const { question } = nextAnswer(random);
    if (i % every !== 0) continue;
    out.push(encodeMessage({
      id: i & 0xffff, flags: FLAG.RD, questions: [question], answers: [], authorities: [],
      additionals: out.length % 2 === 0 ? [makeOpt(1232, false)] : [],
    }));
  }
  return out;
}

/** Median hits (lookups, or lookups and renders) per second over five runs. */
function hitLoop(cache: AnswerCache, packets: Buffer[], render: boolean): number {
  const view = new QueryView();
  const now = T0 + 30_000;
  const req: RenderRequest = { query: packets[0]!, queryQuestionEnd: 0, ednsSize: null, dnssecOk: false, maxSize: 1232, ourUdpSize: 1232, now, ttlCap: Infinity };
  const runs: number[] = [];
  let sink = 0;
  for (let run = 0; run < 5; run++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round((SECONDS / 5) * 1e9));
    for (;;) {
      for (const p of packets) {
        view.read(p);
        const entry = cache.get(view.key, view.keyLength, view.dnssecOk, now);
        if (entry === undefined) throw new Error(`cache miss for ${view.name}`);
        if (render) {
          req.query = p;
          req.queryQuestionEnd = view.questionEnd;
          req.ednsSize = view.ednsSize < 0 ? null : view.ednsSize;
          sink += renderAnswer(entry, req).length;
        } else {
          sink += entry.rcode;
        }
      }
      n += packets.length;
      if (process.hrtime.bigint() > deadline) break;
    }
    runs.push(n / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  if (sink < 0) console.log(sink);
  runs.sort((a, b) => a - b);
  return runs[2]!;
}

function measure(size: number): void {
  const MB = 1024 * 1024;
  const before = memoryBytes();
  const cache = fill(size);
  const held = memoryBytes() - before;
  console.log(`${size} answers (${cache.size} distinct): ${(held / MB).toFixed(2)} MB held, ${(held / cache.size).toFixed(0)} bytes an answer (arena ${(cache.arenaBytes / MB).toFixed(2)} MB)`);
  const packets = queries(size, SAMPLE);
  const lookups = hitLoop(cache, packets, false);
  const hits = hitLoop(cache, packets, true);
  console.log(`  warm hits over ${packets.length} names: read+lookup ${(lookups / 1e6).toFixed(2)} M/s, read+lookup+render ${(hits / 1e6).toFixed(2)} M/s (median of 5, one core, node ${process.version})`);
}

if (gc === undefined) console.log('memory figures need a full GC: run with node --expose-gc (npm run bench:cache does)');
if (SIZES.length === 1) {
  measure(SIZES[0]!);
} else {
  for (const size of SIZES) {
    const args = [...process.execArgv, fileURLToPath(import.meta.url), '--entries', String(size), '--names', String(SAMPLE), '--seconds', String(SECONDS)];
    const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
}
