/**
 * Micro-benchmark of decide() and of blocklist loading: a seeded 1,000,000-domain blocklist plus the
 * circular's policy, a query mix of blocked, sub-domain and allowed names from 256 clients, timed on
 * one core. Run: npm run bench:decide [-- --domains N --seconds S]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../src/config/index.js';
import { createRandom } from './dns/prng.js';

const { values } = parseArgs({ options: { domains: { type: 'string', default: '1000000' }, seconds: { type: 'string', default: '3' }, names: { type: 'string', default: '4096' } } });
const DOMAINS = Number(values.domains);
const SECONDS = Number(values.seconds);
/** Distinct names in the query mix: 4096 stay in the CPU's caches; hundreds of thousands do not, as in a busy office. */
const NAMES = Number(values.names);

const random = createRandom(20261128);
const rand = (): number => random.next();
const ALPHA = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TLDS = ['com', 'net', 'org', 'info', 'id', 'co.id', 'xyz', 'io', 'biz', 'online'];
const word = (n: number): string => Array.from({ length: n }, () => ALPHA[Math.floor(rand() * ALPHA.length)]).join('');
const domainAt = (): string => `${word(4 + Math.floor(rand() * 8))}-${word(3 + Math.floor(rand() * 5))}.${TLDS[Math.floor(rand() * TLDS.length)]}`;

const dir = mkdtempSync(join(tmpdir(), 'rambu-bench-'));
try {
  const listed: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < DOMAINS; i++) {
    const d = domainAt();
    lines.push(d);
    if (i % 1000 === 0) listed.push(d);
  }
  writeFileSync(join(dir, 'big.txt'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'rambu.yaml'), `
timezone: Asia/Jakarta
schedules:
  jam-kerja: [{ days: [mon, tue, wed, thu, fri], from: "07:00", to: "16:00" }]
groups:
  semua: ["0.0.0.0/0", "::/0"]
  humas: ["10.20.5.0/24"]
blocklists:
  big: big.txt
rules:
  - { name: blokir-doh, block: [doh-bypass] }
  - { name: blokir-daftar, block: [big] }
  - { name: blokir-streaming, block: [youtube, vidio, vimeo], groups: [semua], during: jam-kerja }
exemptions:
  - { name: humas, groups: [humas], allow: [youtube], until: "2099-01-01T00:00:00+07:00", reason: bench }
`);
  const rssBefore = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const loaded = loadConfigFile(join(dir, 'rambu.yaml'));
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const rssAfter = process.memoryUsage().rss;
  const policy = loaded.policy;

  // 25 % blocked (listed names and sub-domains), 10 % streaming, the rest allowed names.
  const names: string[] = [];
  for (let i = 0; i < NAMES; i++) {
    const r = rand();
    if (r < 0.125) names.push(listed[Math.floor(rand() * listed.length)]!);
    else if (r < 0.25) names.push(`cdn${i}.${listed[Math.floor(rand() * listed.length)]!}`);
    else if (r < 0.35) names.push(['www.youtube.com', 'rr3---sn-npoe7nez.googlevideo.com', 'i.ytimg.com', 'www.vidio.com', 'player.vimeo.com'][i % 5]!);
    else names.push(`www.${word(8)}.${TLDS[i % TLDS.length]}`);
  }
  const clients = Array.from({ length: 256 }, (_, i) => (i % 16 === 0 ? `10.20.5.${i}` : `10.20.${(i >> 4) + 10}.${i & 255}`));
  const at = Date.parse('2026-11-30T10:00:00+07:00');

  let blocked = 0;
  for (let i = 0; i < names.length; i++) if (policy.decide(clients[i & 255]!, names[i]!, at).action === 'block') blocked++;

  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round((SECONDS / 5) * 1e9));
    let sink = 0;
    for (;;) {
      for (let i = 0; i < NAMES; i++) {
        const d = policy.decide(clients[i & 255]!, names[i]!, at + n);
        if (d.action === 'block') sink++;
      }
      n += NAMES;
      if (process.hrtime.bigint() > deadline) break;
    }
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    runs.push(n / secs);
    if (sink < 0) console.log(sink);
  }
  runs.sort((a, b) => a - b);
  const median = runs[2]!;
  console.log(`blocklist: ${loaded.blocklists[0]?.added} domains loaded in ${loadMs.toFixed(0)} ms (config load total), RSS +${((rssAfter - rssBefore) / 1048576).toFixed(0)} MB`);
  console.log(`query mix: ${names.length} names, ${((blocked / names.length) * 100).toFixed(1)} % blocked, 256 clients`);
  console.log(`decide(): median ${(median / 1e6).toFixed(2)} M decisions/s over 5 runs (min ${(runs[0]! / 1e6).toFixed(2)}, max ${(runs[4]! / 1e6).toFixed(2)}), one core, node ${process.version}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
