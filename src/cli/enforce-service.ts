/**
 * Firewall enforcement inside `rambu serve`, when the config has an `enforce` section: picks the
 * back-end (nftables, running `nft` and `conntrack` as child processes; or a MikroTik router through
 * its REST API, the password read from `enforce.routeros.passwordFile`), builds the never-touch set
 * from this machine's own addresses, adds the DNS redirect of `enforce.dnsRedirect` to the nftables
 * table (on RouterOS the rules of `rambu enforce routeros-script` redirect it), and reports on
 * /metrics. It never stops DNS: a back-end that cannot run is logged and shown in /api/status.
 */
import { spawn } from 'node:child_process';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { AnswerIndex } from '../answers/index.js';
import type { EnforceSettings, Settings } from '../config/index.js';
import {
  createEnforcer, createNftBackend, createRouterOsBackend, readPasswordFile, dedicatedNames, DOH_SERVICE, dohCoverage, NeverTouch,
  type CommandRunner, type DnsRedirectPlan, type EnforceBackend, type Enforcer, type EnforcerStatus,
} from '../enforce/index.js';
import { ERROR_CODES, RambuError } from '../errors.js';
import { BUILTIN_SERVICES, type Policy } from '../policy/index.js';

/** Runs a command, never rejecting: a command that cannot start reports exit code 127. */
export const spawnRunner: CommandRunner = (command, args, stdin) => new Promise((resolve) => {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { if (stdout.length < 1_000_000) stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { if (stderr.length < 100_000) stderr += d.toString(); });
  child.once('error', (err) => resolve({ code: 127, stdout, stderr: `${command}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found in PATH' : err.message}` }));
  child.once('close', (code, signal) => resolve({ code: code ?? 128, stdout, stderr: signal === null ? stderr : `${stderr}killed by ${signal}` }));
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdin ?? '');
});

/** The back-ends {@link createBackend} can make in this build (`rambu check` reports the others). */
export const BUILD_BACKENDS: readonly EnforceSettings['backend'][] = ['nftables', 'routeros'];

/** Why `backend` cannot run in this build, or null when it can. */
export function backendMissing(backend: EnforceSettings['backend']): string | null {
  return BUILD_BACKENDS.includes(backend) ? null : `enforce.backend ${backend} is not available in this build: use nftables on the Linux router`;
}

/**
 * The back-end the config names. Throws (RambuError, RangeError) when it cannot be made: no
 * `enforce.routeros`, a password or CA file that cannot be read (the message names the file, never
 * the password).
 */
export function createBackend(settings: EnforceSettings, run: CommandRunner, redirect: () => DnsRedirectPlan | undefined, logger: Logger): EnforceBackend {
  if (settings.backend === 'nftables') return createNftBackend(run, { redirect });
  if (settings.backend === 'routeros') {
    const r = settings.routeros;
    if (r === null) throw new RambuError(ERROR_CODES.CONFIG_INVALID, 'enforce.backend is routeros but there is no enforce.routeros');
    return createRouterOsBackend({
      url: r.url, username: r.username, password: readPasswordFile(r.passwordFile), logger,
      ...(r.caFile === null ? {} : { caFile: r.caFile }),
    });
  }
  throw new RambuError(ERROR_CODES.ENFORCE_FAILED, backendMissing(settings.backend) ?? `unknown back-end ${settings.backend}`);
}

export interface EnforceService {
  status(): EnforcerStatus;
  noteAnswer(client: string, service: string | null): void;
  evaluate(why: string): void;
  stop(): Promise<void>;
}

export interface EnforceServiceOptions {
  settings: Settings;
  answers: AnswerIndex;
  policy: () => Policy;
  /** Resolves once the saved answers are back in the index (the first plan waits for it). */
  ready: Promise<unknown>;
  registry: Registry;
  logger: Logger;
  /** @default spawnRunner */
  run?: CommandRunner;
}

/** This machine's own addresses and those rambu answers with, never to be cut. */
function ownAddresses(settings: Settings): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.push(a.address.split('%')[0]!);
  for (const l of settings.dns.listen) if (isIP(l.host) !== 0) out.push(l.host);
  const b = settings.dns.blockResponse;
  if (b.kind === 'address') for (const a of [b.v4, b.v6]) if (a !== null) out.push(a);
  for (const u of settings.dns.upstreams) out.push(u.host);
  return out.filter((a) => isIP(a) !== 0 && !/^0\.0\.0\.0$|^::$/.test(a));
}

/** Where redirected DNS goes: the first listen address of each family that is not loopback (null:
 *  every address; false: rambu answers on no address of that family the clients can reach). */
function redirectTarget(settings: Settings, family: 4 | 6): string | null | false {
  const l = settings.dns.listen.find((x) => isIP(x.host) === family && !x.host.startsWith('127.') && x.host !== '::1');
  if (l === undefined) return false;
  return l.host === '0.0.0.0' || l.host === '::' ? null : l.host;
}

/**
 * The next instant the policy itself changes (a schedule range starting or ending, an exemption
 * starting or ending), or null. The enforcer wakes then even when the answers it planned with had
 * no boundary: a client answered after that plan is cut at 07:00 all the same, not at the next refresh.
 */
export function nextPolicyChange(policy: Policy, now: number): number | null {
  let next = Infinity;
  for (const s of policy.schedules) {
    for (const t of policy.scheduleTransitions(s.name, now, 2)) if (t.at > now && t.at < next) next = t.at;
  }
  for (const e of policy.exemptions) {
    for (const at of [e.from, e.until]) if (at !== null && at > now && at < next) next = at;
  }
  return next === Infinity ? null : next;
}

/** Start enforcement when configured; null when the config has no `enforce` section. */
export function startEnforceService(options: EnforceServiceOptions): EnforceService | null {
  const { settings, logger } = options;
  const enforce = settings.enforce;
  if (enforce === null) return null;
  const log = logger.child({ subsystem: 'enforce' });
  let redirect: DnsRedirectPlan | undefined;
  let spare: NeverTouch;
  try {
    spare = new NeverTouch({ own: ownAddresses(settings), extra: enforce.officeNetworks, privateRanges: enforce.privateRanges });
  } catch {
    // A link-local address with an odd zone, say: never worse than sparing only what the config names.
    spare = new NeverTouch({ extra: enforce.officeNetworks, privateRanges: enforce.privateRanges });
  }
  const dohAddresses = BUILTIN_SERVICES.filter((s) => s.name === DOH_SERVICE).flatMap((s) => s.addresses ?? []);
  // The DNS redirect is part of rambu's nftables table; a MikroTik redirects with the pasted rules.
  const onPlan = (_plan: unknown, policy: Policy): number | null => {
    const now = Date.now();
    const change = nextPolicyChange(policy, now);
    if (!enforce.dnsRedirect || enforce.backend !== 'nftables') return change;
    const coverage = dohCoverage(policy, now);
    const known = new Set(dohAddresses);
    for (const e of options.answers.entries(now, DOH_SERVICE)) if (!spare.spares(e.address)) known.add(e.address);
    redirect = {
      port: settings.dns.listen[0]?.port ?? 53, v4: redirectTarget(settings, 4), v6: redirectTarget(settings, 6),
      interfaces: enforce.lanInterfaces, clients: settings.dns.allowFrom,
      dotAllowed: settings.dns.upstreams.filter((u) => u.protocol === 'tls').map((u) => u.host),
      dohSources: coverage.sources, dohExempt: coverage.exempt, dohAddresses: [...known],
    };
    return coverage.until === null ? change : change === null ? coverage.until : Math.min(coverage.until, change);
  };
  let enforcer: Enforcer | null = null;
  let unavailable: EnforcerStatus | null = null;
  try {
    const backend = createBackend(enforce, options.run ?? spawnRunner, () => redirect, log);
    enforcer = createEnforcer({
      backend, index: options.answers, policy: options.policy, logger,
      spare,
      dedicated: dedicatedNames([...BUILTIN_SERVICES.flatMap((s) => s.dedicated ?? []), ...enforce.dedicated]),
      onPlan,
    });
  } catch (err) {
    log.error({ err }, 'enforcement cannot run: DNS keeps answering');
    unavailable = {
      backend: enforce.backend, running: false, addresses: {}, sharedAddresses: 0, lastBoundary: null, lastCutMs: null,
      connectionsCut: 0, nextBoundary: null, lastError: (err as Error).message, evaluations: 0, failures: 1,
    };
  }
  const status = (): EnforcerStatus => enforcer?.status() ?? unavailable!;
  registerEnforceMetrics(status, options.registry);
  let started = false;
  void options.ready.then(() => {
    started = true;
    return enforcer?.start();
  }).catch((err: unknown) => log.error({ err }, 'enforcement failed to start'));
  return {
    status,
    noteAnswer: (client, service) => enforcer?.noteAnswer(client, service),
    evaluate: (why) => { if (started) void enforcer?.evaluate(why); },
    stop: async () => { await enforcer?.stop(); },
  };
}

function registerEnforceMetrics(status: () => EnforcerStatus, registry: Registry): void {
  new Gauge({ name: 'rambu_enforce_running', help: 'Whether the firewall holds what the policy says now (1) or enforcement cannot run (0; see lastError in /api/status)', labelNames: ['backend'], registers: [registry],
    collect() { this.reset(); const s = status(); this.set({ backend: s.backend }, s.running ? 1 : 0); } });
  new Gauge({ name: 'rambu_enforce_connections_cut', help: 'Tracked connections deleted at allow->block boundaries since start', registers: [registry],
    collect() { this.set(status().connectionsCut); } });
  new Gauge({ name: 'rambu_enforce_held_addresses', help: 'Addresses under standing rejects, per blocked service', labelNames: ['service'], registers: [registry],
    collect() { this.reset(); for (const [service, n] of Object.entries(status().addresses)) this.set({ service }, n); } });
  new Gauge({ name: 'rambu_enforce_failures', help: 'Evaluations whose firewall commands failed since start', registers: [registry],
    collect() { this.set(status().failures); } });
  new Gauge({ name: 'rambu_enforce_last_cut_seconds', help: 'Seconds from the last boundary to the end of its cut', registers: [registry],
    collect() { const ms = status().lastCutMs; this.set(ms === null ? 0 : ms / 1000); } });
}
