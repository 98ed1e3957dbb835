/**
 * What firewall enforcement needs from the machine, and whether this one has it: for `rambu check`.
 * nftables needs root or CAP_NET_ADMIN, the `nft` and `conntrack` tools, and IP forwarding (rambu
 * sits on the router); RouterOS needs only the router's password file to be readable.
 */
import { readFileSync } from 'node:fs';
import type { EnforceSettings } from '../config/index.js';
import type { CommandRunner } from '../enforce/index.js';

export interface Requirement {
  what: string;
  ok: boolean;
  /** What was found, or what to do. */
  detail: string;
  /** Enforcement cannot run without it (IP forwarding only matters where rambu routes). */
  required: boolean;
}

/** CAP_NET_ADMIN is bit 12 of the capability sets. */
const CAP_NET_ADMIN = 12n;

export type FileReader = (path: string) => string;

const readText: FileReader = (path) => readFileSync(path, 'utf8');

function netAdmin(read: FileReader): { ok: boolean; detail: string } {
  if (process.getuid?.() === 0) return { ok: true, detail: 'running as root' };
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(read('/proc/self/status'));
    if (m !== null && ((BigInt(`0x${m[1]}`) >> CAP_NET_ADMIN) & 1n) === 1n) return { ok: true, detail: 'CAP_NET_ADMIN' };
  } catch {
    // not Linux: no capabilities to read
  }
  return { ok: false, detail: 'neither root nor CAP_NET_ADMIN: run as root, or give the service AmbientCapabilities=CAP_NET_ADMIN' };
}

async function tool(run: CommandRunner, command: string, pkg: string): Promise<{ ok: boolean; detail: string }> {
  const r = await run(command, ['--version']);
  const first = `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '';
  return r.code === 0 ? { ok: true, detail: first } : { ok: false, detail: `${command} not usable (${first || `exit code ${r.code}`}): install the ${pkg} package` };
}

/** The requirements of `settings`' back-end on this machine. */
export async function enforceRequirements(settings: EnforceSettings, run: CommandRunner, read: FileReader = readText): Promise<Requirement[]> {
  if (settings.backend === 'routeros') {
    const file = settings.routeros?.passwordFile ?? '';
    let ok = false;
    try { ok = read(file).trim() !== ''; } catch { ok = false; }
    return [{ what: 'router password file', ok, detail: ok ? file : `cannot read a password from "${file}"`, required: true }];
  }
  const admin = netAdmin(read);
  const nft = await tool(run, 'nft', 'nftables');
  const conntrack = await tool(run, 'conntrack', 'conntrack');
  let forward = '';
  try { forward = read('/proc/sys/net/ipv4/ip_forward').trim(); } catch { forward = ''; }
  return [
    { what: 'root or CAP_NET_ADMIN', ...admin, required: true },
    { what: 'nft', ...nft, required: true },
    { what: 'conntrack', ...conntrack, required: true },
    {
      what: 'IP forwarding', ok: forward === '1', required: false,
      detail: forward === '1' ? 'net.ipv4.ip_forward = 1' : 'net.ipv4.ip_forward is not 1: rambu must run on the router the clients\' traffic passes through (sysctl -w net.ipv4.ip_forward=1)',
    },
  ];
}
