/**
 * The system tools the benchmark drives: dnsperf and the peer resolvers. As root it installs the
 * missing ones with apt-get, without letting the packages start their system services (which
 * would bind port 53 and, for unbound, fetch the DNSSEC root key from the network).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';

/** A command and the Debian package that provides it. */
export interface Tool { command: string; pkg: string; service: string | null }

export const TOOLS = {
  dnsperf: { command: 'dnsperf', pkg: 'dnsperf', service: null },
  unbound: { command: 'unbound', pkg: 'unbound', service: 'unbound' },
  dnsmasq: { command: 'dnsmasq', pkg: 'dnsmasq-base', service: null },
} as const satisfies Record<string, Tool>;

export type ToolName = keyof typeof TOOLS;

const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of `command`, looking in PATH and the sbin directories, or null. */
export function findCommand(command: string): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(':').filter(Boolean), ...SEARCH_PATH];
  for (const dir of dirs) {
    const path = `${dir}/${command}`;
    if (existsSync(path)) return path;
  }
  return null;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  return spawnSync(command, args, { stdio: 'inherit', env }).status ?? 1;
}

/** Debian's hook that tells maintainer scripts not to start services while we install. */
const POLICY_RC_D = '/usr/sbin/policy-rc.d';

function aptInstall(packages: string[], log: (line: string) => void): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy) writeFileSync(POLICY_RC_D, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    log(`installing ${packages.join(' ')} with apt-get`);
    if (run('apt-get', ['update'], env) !== 0) throw new Error('apt-get update failed');
    if (run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], env) !== 0) {
      throw new Error(`apt-get install ${packages.join(' ')} failed`);
    }
  } finally {
    if (ownPolicy) unlinkSync(POLICY_RC_D);
  }
}

/**
 * Returns the paths of the tools `names` needs, installing missing ones as root. Throws with the
 * exact packages to install when it cannot.
 */
export function ensureTools(names: ToolName[], log: (line: string) => void): Record<ToolName, string> {
  const missing = names.filter((n) => findCommand(TOOLS[n].command) === null);
  if (missing.length > 0) {
    const packages = missing.map((n) => TOOLS[n].pkg);
    const isRoot = process.getuid?.() === 0;
    if (!isRoot || findCommand('apt-get') === null) {
      throw new Error(`missing tools: ${missing.join(', ')}: install them with \`sudo apt-get install ${packages.join(' ')}\` or run the benchmark as root`);
    }
    aptInstall(packages, log);
    // On a machine with systemd the unit may still have been enabled and started by a later trigger.
    if (missing.some((n) => TOOLS[n].service !== null) && findCommand('systemctl') !== null) {
      for (const n of missing) {
        const service = TOOLS[n].service;
        if (service !== null) spawnSync('systemctl', ['stop', service], { stdio: 'ignore' });
      }
    }
  }
  const paths = {} as Record<ToolName, string>;
  for (const n of names) {
    const path = findCommand(TOOLS[n].command);
    if (path === null) throw new Error(`${TOOLS[n].command} is still missing after installing ${TOOLS[n].pkg}`);
    paths[n] = path;
  }
  return paths;
}

/** The first version number (`2.10.0`) a tool prints when asked with `args`. */
export function toolVersion(path: string, args: string[]): string {
  const result = spawnSync(path, args, { encoding: 'utf8' });
  const match = /\d+\.\d+(?:\.\d+)*/.exec(`${result.stdout ?? ''}\n${result.stderr ?? ''}`);
  return match?.[0] ?? 'unknown';
}
