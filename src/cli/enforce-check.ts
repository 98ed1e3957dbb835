/**
 * What firewall enforcement needs from the machine, and whether this one has it: for `rambu check`.
 * nftables needs root or CAP_NET_ADMIN, the `nft` and `conntrack` tools, and IP forwarding (rambu
 * sits on the router); RouterOS needs the router's URL, a readable password file (and CA file when
 * one is named), and is asked once, with a short deadline, whether it answers: a router that cannot
 * be reached from here is a warning, as the file may be checked elsewhere than beside the router.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { EnforceSettings } from '../config/index.js';
import type { CommandRunner } from '../enforce/index.js';
import { createRestClient, readPasswordFile } from '../enforce/routeros/index.js';

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

/** Asks the router's REST API once whether it answers these credentials. */
export type RouterProbe = (settings: NonNullable<EnforceSettings['routeros']>, password: string, ca: string | undefined) => Promise<{ ok: boolean; detail: string }>;

/** Deadline of `rambu check`'s one request to the router. */
const PROBE_TIMEOUT_MS = 3000;

/** One GET of rambu's own address-list entries (ids only), one attempt, {@link PROBE_TIMEOUT_MS}. */
export const probeRouter: RouterProbe = async (r, password, ca) => {
  try {
    const client = createRestClient({
      url: r.url, username: r.username, password, logger: pino({ level: 'silent' }), timeoutMs: PROBE_TIMEOUT_MS, attempts: 1,
      ...(ca === undefined ? {} : { ca }),
    });
    await client.request('GET', '/ip/firewall/address-list', undefined, { comment: 'rambu', '.proplist': '.id' });
    return { ok: true, detail: `${client.base} answers user "${r.username}"` };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
};

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
export async function enforceRequirements(settings: EnforceSettings, run: CommandRunner, read: FileReader = readText, probe: RouterProbe = probeRouter): Promise<Requirement[]> {
  if (settings.backend === 'routeros') return routerRequirements(settings.routeros, read, probe);
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

/** What the RouterOS back-end needs: the URL, the password file, the CA file, and (a warning) an answer. */
async function routerRequirements(r: EnforceSettings['routeros'], read: FileReader, probe: RouterProbe): Promise<Requirement[]> {
  if (r === null) return [{ what: 'router API', ok: false, detail: 'no enforce.routeros: add url, username and passwordFile', required: true }];
  const out: Requirement[] = [{ what: 'router API URL', ok: true, detail: r.url, required: true }];
  let password: string | null = null;
  try {
    password = read === readText ? readPasswordFile(r.passwordFile) : (read(r.passwordFile).split(/\r?\n/, 1)[0] ?? '');
    if (password === '') password = null;
  } catch {
    password = null;
  }
  // Whether a password was read, never what it is.
  out.push({ what: 'router password file', ok: password !== null, detail: password !== null ? r.passwordFile : `cannot read a password from "${r.passwordFile}"`, required: true });
  let ca: string | undefined;
  if (r.caFile !== null) {
    try { ca = read(r.caFile); } catch { ca = undefined; }
    const ok = ca !== undefined && ca.includes('-----BEGIN CERTIFICATE-----');
    out.push({ what: 'router CA file', ok, detail: ok ? r.caFile : `cannot read a PEM certificate from "${r.caFile}"`, required: true });
    if (!ok) ca = undefined;
  }
  if (password !== null && (r.caFile === null || ca !== undefined)) {
    const answered = await probe(r, password, ca);
    out.push({ what: 'router answers', ...answered, required: false });
  }
  return out;
}
