/**
 * Command-line options of `npm run bench:dns`. Defaults are the full run of issue 5: a 1,000,000-name
 * list, 20 s of load per target; `--quick` is a smoke run of about a minute; `--final` every shape and
 * every rambu setup in three sittings, shortened to fit about 25 minutes on a 2-core machine.
 */
import { parseArgs } from 'node:util';
import { RAMBU_SETUPS, TARGET_NAMES, type RambuSetup, type TargetName } from './targets.js';

/**
 * Load shapes, each run over every target in turn: `default` is dnsperf at full speed (its
 * `--clients`/`--outstanding`) then at the fixed `--latency-rate`, then the reloads; `deep-queue`
 * dnsperf at full speed with `--deep-clients`/`--deep-outstanding` (8 and 500); `many-clients` the
 * generator in many-clients.ts, from 1,000 source addresses.
 */
export const SHAPES = ['default', 'deep-queue', 'many-clients'] as const;
export type Shape = (typeof SHAPES)[number];

/** Export formats the flows-receiving row can replay (bench/flows/workload.ts). */
export const FLOW_FORMATS = ['v5', 'v9', 'ipfix'] as const;
export type FlowFormat = (typeof FLOW_FORMATS)[number];

export interface BenchOptions {
  quick: boolean;
  final: boolean;
  /** Whole sittings (every shape over every target), one report with medians and ranges. */
  sittings: number;
  /** Minutes: no sitting is begun that would, at the pace so far, end after this; null for no limit. */
  timeLimitMinutes: number | null;
  targets: TargetName[];
  runs: number;
  seed: number;
  domains: number;
  allowed: number;
  queries: number;
  blockedShare: number;
  seconds: number;
  latencyRate: number;
  latencySeconds: number;
  reloads: number;
  reloadRate: number;
  reloadSeconds: number;
  clients: number;
  threads: number;
  outstanding: number;
  basePort: number;
  rambuWorkers: number | null;
  rambuSetups: RambuSetup[];
  /** rambu's setups in the shapes other than `default`. */
  otherShapeSetups: RambuSetup[];
  shapes: Shape[];
  deepClients: number;
  deepOutstanding: number;
  flowRate: number;
  flowFormat: FlowFormat;
  /** How long to wait for a quiet machine before each timed run. */
  idleWaitSeconds: number;
  manyClients: number;
  queriesPerClient: number;
  manyOutstanding: number;
  profile: boolean;
  write: boolean;
}

export const USAGE = `Usage: npm run bench:dns -- [options]

Runs rambu, unbound and dnsmasq one after another against the same blocklist, fake upstream and
dnsperf load on loopback, and writes bench/results/dns-<date>.md and .json.

  --quick               smoke run: 50,000 domains, 5 s of load
  --final               every shape, every rambu setup, three sittings, the 1M list, in about
                        25 minutes on 2 cores: 6 s of load per run, 5 s at the fixed rate, 200
                        queries a client in many-clients; other options still apply
  --sittings N          repeat the whole sitting N times; one report with the median and the
                        range (lowest-highest) of each cell and a verdict per target (default 1)
  --time-limit MIN      begin no further sitting that would, at the pace of those before, end
                        more than MIN minutes after the start; the report says how many ran
  --targets LIST        comma-separated, from: ${TARGET_NAMES.join(', ')} (default: all)
  --runs N              runs per target; the table shows medians (default 1)
  --domains N           blocklist size (default 1000000)
  --allowed N           distinct allowed names (default 50000)
  --queries N           lines in the query file (default 300000)
  --blocked-share F     share of blocked queries (default 0.25)
  --seed N              generator seed (default 5)
  --seconds N           timed load per target (default 20)
  --latency-rate N      then measure latency at this fixed rate, dnsperf -Q; 0 skips (default 10000)
  --latency-seconds N   length of that run (default 10)
  --reloads N           then reload rambu N times under a steady load (config change and SIGHUP,
                        the whole list compiled again each time); 0 skips (default 8)
  --reload-rate N       that load's rate, dnsperf -Q (default 5000)
  --reload-seconds N    that load's length (default 20)
  --clients N           dnsperf -c (default 10)
  --threads N           dnsperf -T (default 1)
  --outstanding N       dnsperf -q (default 100)
  --base-port N         fake upstream on N, targets on N+1.. (default 5300)
  --rambu-workers N     set rambu's dns.workers (default: rambu's own default)
  --rambu-setups LIST   comma-separated, each measured as a row of its own, from: shipped (console,
                        query log, answer index on, flow collector listening), flows (the same,
                        its collector receiving --flow-rate records/s from a replayed export during
                        the load), no-answers (shipped with the answer index off), no-collector
                        (shipped without the flow collector), lean (query log alone) (default: shipped)
  --other-shapes-setups LIST  rambu's setups in shapes other than default (default: the same as
                        --rambu-setups; --final: shipped,flows)
  --shapes LIST         comma-separated load shapes, from: default (dnsperf as above: full speed,
                        fixed rate, reloads), deep-queue (dnsperf at full speed, --deep-clients and
                        --deep-outstanding), many-clients (queries from --many-clients source
                        addresses on loopback, 127.1.0.1 onwards, a few each) (default: default)
  --deep-clients N      dnsperf -c in the deep-queue shape (default 8)
  --deep-outstanding N  dnsperf -q in the deep-queue shape (default 500)
  --flow-rate N         flow records a second the flows setup receives (default 20000)
  --flow-format F       v5, v9 or ipfix (default v9)
  --idle-wait N         seconds to wait for a quiet machine before each timed run (default 120,
                        --quick 10, --final 15)
  --many-clients N      source addresses of the many-clients shape (default 1000)
  --queries-per-client N  queries each of them sends (default 50)
  --many-outstanding N  queries in flight at once in that shape (default 100)
  --profile             run rambu under node --cpu-prof (profiles in bench/work/profiles/)
  --no-write            print only, write nothing to bench/results/
  --help
`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** Parses `argv` (without node and script); returns null when --help was asked for. */
export function parseOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'quick': { type: 'boolean', default: false },
      'final': { type: 'boolean', default: false },
      'sittings': { type: 'string' },
      'time-limit': { type: 'string' },
      'other-shapes-setups': { type: 'string' },
      'deep-clients': { type: 'string' },
      'deep-outstanding': { type: 'string' },
      'flow-rate': { type: 'string' },
      'flow-format': { type: 'string' },
      'idle-wait': { type: 'string' },
      'targets': { type: 'string' },
      'runs': { type: 'string' },
      'domains': { type: 'string' },
      'allowed': { type: 'string' },
      'queries': { type: 'string' },
      'blocked-share': { type: 'string' },
      'seed': { type: 'string' },
      'seconds': { type: 'string' },
      'latency-rate': { type: 'string' },
      'latency-seconds': { type: 'string' },
      'reloads': { type: 'string' },
      'reload-rate': { type: 'string' },
      'reload-seconds': { type: 'string' },
      'clients': { type: 'string' },
      'threads': { type: 'string' },
      'outstanding': { type: 'string' },
      'base-port': { type: 'string' },
      'rambu-workers': { type: 'string' },
      'rambu-setups': { type: 'string' },
      'shapes': { type: 'string' },
      'many-clients': { type: 'string' },
      'queries-per-client': { type: 'string' },
      'many-outstanding': { type: 'string' },
      'profile': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      'help': { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const quick = values.quick;
  const final = values.final;
  if (quick && final) throw new RangeError('--quick and --final exclude each other');
  const targets = (values.targets ?? TARGET_NAMES.join(',')).split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of targets) {
    if (!(TARGET_NAMES as readonly string[]).includes(t)) throw new RangeError(`Unknown target "${t}": choose from ${TARGET_NAMES.join(', ')}`);
  }
  const setupList = (text: string): RambuSetup[] => {
    const list = [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
    for (const t of list) {
      if (!(RAMBU_SETUPS as readonly string[]).includes(t)) throw new RangeError(`Unknown rambu setup "${t}": choose from ${RAMBU_SETUPS.join(', ')}`);
    }
    if (list.length === 0) throw new RangeError('a list of rambu setups names none');
    return list as RambuSetup[];
  };
  const setups = setupList(values['rambu-setups'] ?? (final ? RAMBU_SETUPS.join(',') : 'shipped'));
  const otherShapeSetups = values['other-shapes-setups'] !== undefined ? setupList(values['other-shapes-setups']) : final ? setupList('shipped,flows') : setups;
  const flowFormat = values['flow-format'] ?? 'v9';
  if (!(FLOW_FORMATS as readonly string[]).includes(flowFormat)) throw new RangeError(`Unknown flow format "${flowFormat}": choose from ${FLOW_FORMATS.join(', ')}`);
  const shapes = (values.shapes ?? (final ? SHAPES.join(',') : 'default')).split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of shapes) {
    if (!(SHAPES as readonly string[]).includes(t)) throw new RangeError(`Unknown shape "${t}": choose from ${SHAPES.join(', ')}`);
  }
  if (shapes.length === 0) throw new RangeError('--shapes names no shape');
  const manyClients = positiveInt('many-clients', values['many-clients'], 1000);
  if (manyClients > 65_000) throw new RangeError(`--many-clients must be at most 65000, got ${manyClients}`);
  const blockedShare = values['blocked-share'] === undefined ? 0.25 : Number(values['blocked-share']);
  if (!(blockedShare >= 0 && blockedShare <= 1)) throw new RangeError(`--blocked-share must be within 0..1, got "${values['blocked-share']}"`);
  return {
    quick,
    final,
    sittings: positiveInt('sittings', values.sittings, final ? 3 : 1),
    timeLimitMinutes: values['time-limit'] === undefined ? null : positiveInt('time-limit', values['time-limit'], 1),
    targets: targets as TargetName[],
    runs: positiveInt('runs', values.runs, 1),
    seed: positiveInt('seed', values.seed, 5),
    domains: positiveInt('domains', values.domains, quick ? 50_000 : 1_000_000),
    allowed: positiveInt('allowed', values.allowed, quick ? 5_000 : 50_000),
    queries: positiveInt('queries', values.queries, quick ? 30_000 : 300_000),
    blockedShare,
    seconds: positiveInt('seconds', values.seconds, quick ? 5 : final ? 6 : 20),
    latencyRate: values['latency-rate'] === '0' ? 0 : positiveInt('latency-rate', values['latency-rate'], 10_000),
    latencySeconds: positiveInt('latency-seconds', values['latency-seconds'], quick ? 3 : final ? 5 : 10),
    reloads: values.reloads === '0' ? 0 : positiveInt('reloads', values.reloads, quick ? 3 : 8),
    reloadRate: positiveInt('reload-rate', values['reload-rate'], 5000),
    // Not shortened by --final: eight reloads of the 1M list, each 1.2 to 2.2 s until in force, need the 20 s.
    reloadSeconds: positiveInt('reload-seconds', values['reload-seconds'], quick ? 8 : 20),
    clients: positiveInt('clients', values.clients, 10),
    threads: positiveInt('threads', values.threads, 1),
    outstanding: positiveInt('outstanding', values.outstanding, 100),
    basePort: positiveInt('base-port', values['base-port'], 5300),
    rambuWorkers: values['rambu-workers'] === undefined ? null : positiveInt('rambu-workers', values['rambu-workers'], 1),
    rambuSetups: setups,
    otherShapeSetups,
    shapes: [...new Set(shapes)] as Shape[],
    deepClients: positiveInt('deep-clients', values['deep-clients'], 8),
    deepOutstanding: positiveInt('deep-outstanding', values['deep-outstanding'], 500),
    flowRate: positiveInt('flow-rate', values['flow-rate'], 20_000),
    flowFormat: flowFormat as FlowFormat,
    idleWaitSeconds: values['idle-wait'] === '0' ? 0 : positiveInt('idle-wait', values['idle-wait'], quick ? 10 : final ? 15 : 120),
    manyClients,
    queriesPerClient: positiveInt('queries-per-client', values['queries-per-client'], final ? 200 : 50),
    manyOutstanding: positiveInt('many-outstanding', values['many-outstanding'], 100),
    profile: values.profile,
    write: !values['no-write'],
  };
}
