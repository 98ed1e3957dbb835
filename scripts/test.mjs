#!/usr/bin/env node
// The whole test suite: checks the system packages the tests need (installing them with apt as root),
// builds, then runs unit tests under three time zones and the integration and browser tests once.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

/** Debian packages the tests use, with the command or file each provides. */
const PACKAGES = [
  { pkg: 'bind9-dnsutils', cmd: 'dig' },
  { pkg: 'chromium', cmd: 'chromium' },
  { pkg: 'tzdata', file: '/usr/share/zoneinfo/Asia/Jakarta' },
  // The C compiler and headers for native/udp-batch.c (npm run build compiles it; tests require it).
  { pkg: 'gcc', cmd: 'cc' },
  { pkg: 'libc6-dev', file: '/usr/include/stdio.h' },
  // The shared store's tests start a throwaway cluster from /usr/lib/postgresql/*/bin (test/kit/postgres.ts).
  { pkg: 'postgresql', glob: '/usr/lib/postgresql/*/bin/initdb' },
  // A real flow exporter for the collector's end-to-end test (reads a pcap, exports v5, v9, IPFIX).
  { pkg: 'softflowd', file: '/usr/sbin/softflowd' },
  // The nftables back-end's test runs the real nft in a network namespace it makes (ip netns).
  { pkg: 'iproute2', file: '/usr/sbin/ip' },
  { pkg: 'nftables', file: '/usr/sbin/nft' },
  // Enforcement's end-to-end test cuts tracked connections with it, as rambu serve does.
  { pkg: 'conntrack', file: '/usr/sbin/conntrack' },
];

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function present(p) {
  if (p.glob !== undefined) return spawnSync('sh', ['-c', `ls ${p.glob}`], { stdio: 'ignore' }).status === 0;
  return p.file !== undefined ? existsSync(p.file) : have(p.cmd);
}

function run(cmd, args, env = {}, timeoutMs = undefined) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL' });
  if (r.error?.code === 'ETIMEDOUT') console.error(`\n${cmd} did not finish within ${timeoutMs / 60_000} minutes and was stopped (a test left a socket or a timer open?)`);
  return r.status ?? 1;
}

/** A test that runs longer fails; the whole suite takes about two minutes. */
const TEST_TIMEOUT_MS = 5 * 60_000;
/** A suite still running after this is stopped: a leaked handle keeps node --test alive after its tests. */
const SUITE_TIMEOUT_MS = 20 * 60_000;

const missing = PACKAGES.filter((p) => !present(p));
if (missing.length > 0) {
  const names = missing.map((p) => p.pkg);
  if (process.getuid && process.getuid() === 0 && have('apt-get')) {
    console.log(`installing test dependencies: ${names.join(' ')}`);
    if (run('apt-get', ['update', '-q']) !== 0 || run('apt-get', ['install', '-y', '-q', ...names], { DEBIAN_FRONTEND: 'noninteractive' }) !== 0) {
      console.error(`could not install: ${names.join(' ')}`);
      process.exit(1);
    }
  } else {
    console.error(`missing Debian packages the tests need: ${names.join(' ')}\n  install them with: sudo apt-get install -y ${names.join(' ')}`);
    process.exit(1);
  }
}

if (!existsSync(join(root, 'node_modules'))) {
  if (run('npm', ['ci']) !== 0) process.exit(1);
}
if (run('npm', ['run', '--silent', 'build']) !== 0) process.exit(1);

function find(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) find(p, out);
    else if (entry.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const only = process.argv.slice(2);
const unit = find('dist/src');
const integration = find('dist/test');
const pick = (files) => (only.length === 0 ? files : files.filter((f) => only.some((o) => f.includes(o))));

let failed = 0;
const suites = [
  { name: 'unit (TZ=Asia/Jakarta)', files: pick(unit), env: { TZ: 'Asia/Jakarta' } },
  { name: 'unit (TZ=UTC)', files: pick(unit), env: { TZ: 'UTC' } },
  { name: 'unit (TZ=America/New_York)', files: pick(unit), env: { TZ: 'America/New_York' } },
  { name: 'integration and browser', files: pick(integration), env: {} },
];
for (const suite of suites) {
  if (suite.files.length === 0) continue;
  console.log(`\n== ${suite.name}: ${suite.files.length} files`);
  const code = run(process.execPath, ['--test', '--test-concurrency=1', `--test-timeout=${TEST_TIMEOUT_MS}`, ...suite.files], suite.env, SUITE_TIMEOUT_MS);
  if (code !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
