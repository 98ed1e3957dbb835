/**
 * The benchmark's data: a seeded blocklist written in each target's format, a dnsperf query file
 * that mixes blocked names (and names below them) with allowed names, and the probes that check
 * each target before it is timed. Files are reused while the manifest matches the spec.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allowedName, blockedName, isCovered, subdomainOf } from './domain-names.js';
import type { Expectation } from './probe.js';
import { createRandom, type Random } from './prng.js';

/** Bump when the generator changes, so old files in bench/work are not reused. */
const GENERATOR_VERSION = 1;

export interface DataSetSpec {
  seed: number;
  /** Blocklist entries. */
  domains: number;
  /** Distinct allowed names the queries draw from. */
  allowed: number;
  /** Lines of the query file. */
  queries: number;
  /** Share of queries for blocked names, 0..1. */
  blockedShare: number;
  /** Share of queries of type A; the rest are AAAA. */
  aShare: number;
}

/** The generated files. */
export interface DataPaths {
  /** One domain a line, for rambu. */
  plainList: string;
  /** `local-zone: "name." always_nxdomain` lines, for unbound. */
  unboundZones: string;
  /** `address=/name/` lines, for dnsmasq. */
  dnsmasqConf: string;
  /** `name TYPE` lines, for dnsperf. */
  queryFile: string;
}

export interface DataSet extends DataPaths {
  spec: DataSetSpec;
  dir: string;
  /** Answered correctly only once the whole list is loaded and forwarding works. */
  firstAnswer: Expectation[];
  /** The wider check run before timing. */
  correctness: Expectation[];
  blockedQueries: number;
  allowedQueries: number;
}

interface Manifest {
  version: number;
  spec: DataSetSpec;
  firstAnswer: Expectation[];
  correctness: Expectation[];
  blockedQueries: number;
  allowedQueries: number;
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function uniqueBlocked(random: Random, count: number): { list: string[]; set: Set<string> } {
  const set = new Set<string>();
  while (set.size < count) set.add(blockedName(random));
  return { list: [...set], set };
}

function uniqueAllowed(random: Random, count: number, blocked: ReadonlySet<string>): string[] {
  const set = new Set<string>();
  while (set.size < count) {
    const name = allowedName(random);
    if (!isCovered(name, blocked)) set.add(name);
  }
  return [...set];
}

function generate(spec: DataSetSpec, paths: DataPaths): Manifest {
  const random = createRandom(spec.seed);
  const { list: blocked, set: blockedSet } = uniqueBlocked(random, spec.domains);
  const allowed = uniqueAllowed(random, spec.allowed, blockedSet);

  writeAtomically(paths.plainList, `# rambu benchmark blocklist, seed ${spec.seed}\n${blocked.join('\n')}\n`);
  writeAtomically(paths.unboundZones, blocked.map((d) => `local-zone: "${d}." always_nxdomain\n`).join(''));
  writeAtomically(paths.dnsmasqConf, blocked.map((d) => `address=/${d}/\n`).join(''));

  const lines: string[] = [];
  let blockedQueries = 0;
  for (let i = 0; i < spec.queries; i++) {
    const type = random.next() < spec.aShare ? 'A' : 'AAAA';
    if (random.next() < spec.blockedShare) {
      const entry = random.pick(blocked);
      lines.push(`${random.next() < 0.5 ? entry : subdomainOf(random, entry)} ${type}`);
      blockedQueries++;
    } else {
      lines.push(`${random.pick(allowed)} ${type}`);
    }
  }
  writeAtomically(paths.queryFile, `${lines.join('\n')}\n`);

  const lastBlocked = blocked[blocked.length - 1]!;
  const firstAnswer: Expectation[] = [
    { name: lastBlocked, qtype: 'A', blocked: true },
    { name: allowed[0]!, qtype: 'A', blocked: false },
  ];
  const correctness: Expectation[] = [];
  for (let i = 0; i < 10; i++) {
    const entry = blocked[Math.floor((i * blocked.length) / 10)]!;
    correctness.push({ name: entry, qtype: i % 2 === 0 ? 'A' : 'AAAA', blocked: true });
    correctness.push({ name: subdomainOf(random, entry), qtype: i % 2 === 0 ? 'AAAA' : 'A', blocked: true });
    const ok = allowed[Math.floor((i * allowed.length) / 10)]!;
    correctness.push({ name: ok, qtype: 'A', blocked: false }, { name: ok, qtype: 'AAAA', blocked: false });
  }
  return { version: GENERATOR_VERSION, spec, firstAnswer, correctness, blockedQueries, allowedQueries: spec.queries - blockedQueries };
}

function sameSpec(a: DataSetSpec, b: DataSetSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Returns the data set for `spec` under `workDir`, generating it unless a previous run left the same
 * one there. `log` hears about progress.
 */
export function prepareDataSet(spec: DataSetSpec, workDir: string, log: (line: string) => void): DataSet {
  const dir = join(workDir, `data-${spec.domains}-${spec.seed}`);
  mkdirSync(dir, { recursive: true });
  const paths: DataPaths = {
    plainList: join(dir, 'blocklist.txt'),
    unboundZones: join(dir, 'unbound-blocklist.conf'),
    dnsmasqConf: join(dir, 'dnsmasq-blocklist.conf'),
    queryFile: join(dir, 'queries.txt'),
  };
  const manifestPath = join(dir, 'manifest.json');
  let manifest: Manifest | null = null;
  if (existsSync(manifestPath) && Object.values(paths).every((p) => existsSync(p))) {
    const old = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (old.version === GENERATOR_VERSION && sameSpec(old.spec, spec)) manifest = old;
  }
  if (manifest === null) {
    const started = performance.now();
    log(`generating ${spec.domains.toLocaleString('en')} blocked domains, ${spec.allowed.toLocaleString('en')} allowed names, ${spec.queries.toLocaleString('en')} queries (seed ${spec.seed})`);
    manifest = generate(spec, paths);
    writeAtomically(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    log(`generated in ${((performance.now() - started) / 1000).toFixed(1)} s into ${dir}`);
  } else {
    log(`reusing the data set in ${dir}`);
  }
  return {
    spec, dir, ...paths,
    firstAnswer: manifest.firstAnswer,
    correctness: manifest.correctness,
    blockedQueries: manifest.blockedQueries,
    allowedQueries: manifest.allowedQueries,
  };
}
