/**
 * The resolvers under test and how each is configured: the same blocklist, the same fake upstream,
 * a cache large enough for every allowed name, a loopback port of its own, and files only under the
 * benchmark's work directory (no system config, no system service, no remote control, no chroot).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DATABASE_FILE } from '../../src/store/index.js';
import type { DataSet } from './data-set.js';

export const TARGET_NAMES = ['rambu', 'unbound', 'dnsmasq'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/**
 * How rambu is set up: `shipped` as the default config runs it with a flow collector (console,
 * query log, answer index on, collector listening); `flows` the same while a replayed export sends
 * its collector flow records during the load; `no-answers` the same as shipped without the answer
 * index; `no-collector` without the flow collector; `lean` with the query log alone (console,
 * answer index and collector off).
 */
export const RAMBU_SETUPS = ['shipped', 'flows', 'no-answers', 'no-collector', 'lean'] as const;
export type RambuSetup = (typeof RAMBU_SETUPS)[number];

const SETUP_LABELS: Record<RambuSetup, string> = {
  'shipped': 'rambu',
  'flows': 'rambu, receiving flows',
  'no-answers': 'rambu, answer index off',
  'no-collector': 'rambu, collector off',
  'lean': 'rambu, lean',
};

/** The name a run of `target` carries in the report. */
export function targetLabel(target: TargetName, setup: RambuSetup): string {
  return target === 'rambu' ? SETUP_LABELS[setup] : target;
}

export interface TargetContext {
  data: DataSet;
  /** This target's own directory for config, pid and runtime files. */
  dir: string;
  host: string;
  port: number;
  upstreamPort: number;
  repoRoot: string;
  /** Absolute paths of the peer binaries. */
  binaries: { unbound?: string; dnsmasq?: string };
  /** Entries each cache must hold: every allowed name and type, with room to spare. */
  cacheEntries: number;
  /** rambu's `dns.workers`; null leaves rambu's default. */
  rambuWorkers: number | null;
  rambuSetup: RambuSetup;
  /**
   * rambu's per-client rate limiter on (a bucket per source address) instead of off, in the
   * many-clients shape; at 1,000,000 q/s and burst, so that no client is limited, not even the
   * warm-up's single address, and its per-client state is what is exercised.
   */
  rateLimit: boolean;
  /** Loopback TCP port of rambu's console and UDP port of its flow collector, when they are on. */
  webPort: number;
  flowsPort: number;
  /** Directory for `node --cpu-prof` output; null runs rambu without profiling. */
  profileDir: string | null;
  cpus: number;
}

/** How to start a prepared target, and a note on its configuration for the report. */
export interface LaunchPlan {
  command: string;
  args: string[];
  cwd: string;
  config: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** After the target stopped: how many queries its query log holds (rambu only). */
  loggedQueries?: () => number;
  /** Rewrites the config so that `marker` is blocked too, for a reload to pick up (rambu only). */
  markReload?: (marker: string) => void;
  /** Where rambu's console serves /metrics, when the console is on. */
  metricsUrl?: string;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

const SETUP_NOTES: Record<RambuSetup, string> = {
  'shipped': 'console on, flow collector listening, answer index on',
  'flows': 'console on, flow collector receiving a replayed export, answer index on',
  'no-answers': 'console on, flow collector listening, answer index off',
  'no-collector': 'console on, no flow collector, answer index on',
  'lean': 'console off, answer index off, no flow collector',
};

function prepareRambu(ctx: TargetContext): LaunchPlan {
  const configPath = join(ctx.dir, 'rambu.yaml');
  // A fresh database each run: a query log left by earlier runs would change the memory measured.
  rmSync(join(ctx.dir, 'rambu-data'), { recursive: true, force: true });
  const config = (marker: string | null): string[] => [
    '# Written by bench:dns. One rule blocks the benchmark list for every client, always.',
    'timezone: Asia/Jakarta',
    'dns:',
    `  listen: ["${ctx.host}:${ctx.port}"]`,
    `  upstreams: ["udp://127.0.0.1:${ctx.upstreamPort}"]`,
    '  blockResponse: nxdomain',
    ctx.rateLimit ? '  rateLimit: { qps: 1000000, burst: 1000000 }' : '  rateLimit: { qps: 0 }',
    `  cache: { size: ${ctx.cacheEntries} }`,
    ...(ctx.rambuWorkers === null ? [] : [`  workers: ${ctx.rambuWorkers}`]),
    ctx.rambuSetup === 'lean' ? 'web: { enabled: false }' : `web: { listen: "${ctx.host}:${ctx.webPort}" }`,
    `storage: { path: "${join(ctx.dir, 'rambu-data')}" }`,
    'log: { level: warn }',
    ...(ctx.rambuSetup === 'lean' || ctx.rambuSetup === 'no-collector' ? [] : [`flows: { listen: "${ctx.host}:${ctx.flowsPort}" }`]),
    ...(ctx.rambuSetup === 'no-answers' ? ['answers: { enabled: false }'] : []),
    'blocklists:',
    `  big: "${relative(ctx.dir, ctx.data.plainList)}"`,
    ...(marker === null ? [] : ['services:', `  reload-marker: ["${marker}"]`]),
    'rules:',
    '  - name: block-big-list',
    `    block: [big${marker === null ? '' : ', reload-marker'}]`,
    '',
  ];
  writeFileSync(configPath, config(null).join('\n'));
  // The same V8 flag and allocator setting as `npm start`, the bin's shebang and the systemd unit in
  // docs/deployment.md: 2 MB semi-spaces instead of 16 MB, and two malloc arenas instead of one per
  // thread, save about 40 MB of resident memory at the same speed.
  const nodeArgs = ['--max-semi-space-size=2', ...(ctx.profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`])];
  return {
    command: process.execPath,
    args: [...nodeArgs, join(ctx.repoRoot, 'bin', 'rambu.js'), 'serve', '--config', configPath],
    cwd: ctx.repoRoot,
    env: { MALLOC_ARENA_MAX: '2' },
    config: `cache.size ${ctx.cacheEntries}, rateLimit ${ctx.rateLimit ? 'on (1,000,000 q/s a client)' : 'off'}, workers ${ctx.rambuWorkers ?? 'default'}, log warn, ${SETUP_NOTES[ctx.rambuSetup]}`,
    markReload: (marker) => writeFileSync(configPath, config(marker).join('\n')),
    ...(ctx.rambuSetup === 'lean' ? {} : { metricsUrl: `http://${ctx.host}:${ctx.webPort}/metrics` }),
    loggedQueries: () => {
      const db = new BetterSqlite3(join(ctx.dir, 'rambu-data', DATABASE_FILE), { readonly: true });
      try {
        return db.prepare('SELECT count(*) FROM querylog').pluck().get() as number;
      } finally {
        db.close();
      }
    },
  };
}

function prepareUnbound(ctx: TargetContext): LaunchPlan {
  const configPath = join(ctx.dir, 'unbound.conf');
  const threads = ctx.cpus;
  const slabs = nextPowerOfTwo(threads);
  const text = `# Written by bench:dns: loopback only, no chroot, no remote control, no trust anchor.
server:
  verbosity: 0
  use-syslog: no
  logfile: ""
  chroot: ""
  username: ""
  directory: "${ctx.dir}"
  pidfile: "${join(ctx.dir, 'unbound.pid')}"
  interface: ${ctx.host}@${ctx.port}
  port: ${ctx.port}
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  qname-minimisation: no
  num-threads: ${threads}
  so-reuseport: yes
  msg-cache-slabs: ${slabs}
  rrset-cache-slabs: ${slabs}
  infra-cache-slabs: ${slabs}
  key-cache-slabs: ${slabs}
  msg-cache-size: 64m
  rrset-cache-size: 128m
  num-queries-per-thread: 4096
  outgoing-range: 8192
  include: "${ctx.data.unboundZones}"
remote-control:
  control-enable: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@${ctx.upstreamPort}
`;
  writeFileSync(configPath, text);
  return {
    command: ctx.binaries.unbound ?? 'unbound',
    args: ['-d', '-c', configPath],
    cwd: ctx.dir,
    config: `num-threads ${threads}, so-reuseport, msg-cache 64m, rrset-cache 128m, module-config iterator`,
  };
}

function prepareDnsmasq(ctx: TargetContext): LaunchPlan {
  const configPath = join(ctx.dir, 'dnsmasq.conf');
  const text = `# Written by bench:dns: loopback only, no /etc/hosts, no /etc/resolv.conf.
port=${ctx.port}
listen-address=${ctx.host}
bind-interfaces
no-resolv
no-hosts
no-poll
pid-file=
log-facility=-
server=127.0.0.1#${ctx.upstreamPort}
cache-size=${ctx.cacheEntries}
dns-forward-max=1000
conf-file=${ctx.data.dnsmasqConf}
`;
  writeFileSync(configPath, text);
  return {
    command: ctx.binaries.dnsmasq ?? 'dnsmasq',
    args: ['--keep-in-foreground', `--conf-file=${configPath}`],
    cwd: ctx.dir,
    config: `cache-size ${ctx.cacheEntries}, dns-forward-max 1000, address=/name/ per entry`,
  };
}

/** Writes `name`'s config into `ctx.dir` and says how to start it. */
export function prepareTarget(name: TargetName, ctx: TargetContext): LaunchPlan {
  mkdirSync(ctx.dir, { recursive: true });
  switch (name) {
    case 'rambu': return prepareRambu(ctx);
    case 'unbound': return prepareUnbound(ctx);
    case 'dnsmasq': return prepareDnsmasq(ctx);
  }
}
