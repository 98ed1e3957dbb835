/**
 * `rambu enforce routeros-script`: the one-time RouterOS script for the services the policy's rules
 * block. `enforce.dnsRedirect` and `enforce.routeros.username` of the config give the defaults;
 * flags override. The command needs nothing beyond a valid config (no `enforce` section at all
 * prints the rules without the redirect, for user `rambu`).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { loadConfigFile, type LoadedConfig } from '../config/index.js';
import { routerOsScript } from '../enforce/routeros/index.js';
import { ConfigError, formatIssue } from '../errors.js';
import { type CliIo, EXIT, write } from './cli-io.js';

export interface RouterOsScriptArgs {
  config: string;
  /** `--dns-address`: redirect clients' DNS to these addresses (implies the redirect). */
  dnsAddresses: readonly string[];
  /** `--rambu-address`: the address rambu reaches the router from. */
  rambuAddress: string | null;
  /** `--username`: the REST API user; default enforce.routeros.username, else `rambu`. */
  username: string | null;
}

/** Services and blocklists named by block rules, in the order the rules name them. */
export function blockedServices(loaded: LoadedConfig): string[] {
  const out = new Set<string>();
  for (const rule of loaded.policy.rules) if (rule.action === 'block') for (const s of rule.services) out.add(s);
  return [...out];
}

/** Concrete addresses DNS listens on at port 53 (not a wildcard or loopback): where a redirect can point. */
function listenAddresses(loaded: LoadedConfig): string[] {
  return loaded.settings.dns.listen
    .filter((l) => l.port === 53 && (isIPv4(l.host) || isIPv6(l.host)) && !['0.0.0.0', '::', '::1'].includes(l.host) && !l.host.startsWith('127.'))
    .map((l) => l.host);
}

export function runRouterOsScript(args: RouterOsScriptArgs, io: CliIo): number {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfigFile(args.config, { now: io.now() });
  } catch (err) {
    if (err instanceof ConfigError) { write(io.stderr, err.issues.map(formatIssue).join('\n')); return EXIT.INVALID; }
    throw err;
  }
  const enforce = loaded.settings.enforce;
  for (const a of [...args.dnsAddresses, ...(args.rambuAddress === null ? [] : [args.rambuAddress])]) {
    if (!isIPv4(a) && !isIPv6(a)) { write(io.stderr, `rambu enforce: invalid address "${a}": expected an IPv4 or IPv6 address`); return EXIT.INVALID; }
  }
  let dns = [...args.dnsAddresses];
  if (dns.length === 0 && enforce?.dnsRedirect === true) {
    dns = listenAddresses(loaded);
    if (dns.length === 0) {
      write(io.stderr, `rambu enforce: ${loaded.file}: enforce.dnsRedirect is true but dns.listen names no address to redirect to: give --dns-address IP (rambu's address as the clients reach it)`);
      return EXIT.INVALID;
    }
  }
  const username = args.username ?? enforce?.routeros?.username ?? 'rambu';
  let text: string;
  try {
    text = routerOsScript({
      services: blockedServices(loaded), username, dnsAddresses: dns,
      ...(args.rambuAddress === null ? {} : { rambuAddress: args.rambuAddress }),
    });
  } catch (err) {
    if (err instanceof RangeError) { write(io.stderr, `rambu enforce: ${err.message}`); return EXIT.INVALID; }
    throw err;
  }
  io.stdout.write(text);
  return EXIT.OK;
}
