/**
 * The probes inside `rambu serve`: names are resolved through rambu's own DNS listener (so a probe
 * sees what a client sees, blocks included), results go to the store.
 */
import { Resolver } from 'node:dns/promises';
import type { Logger } from 'pino';
import type { Settings } from '../config/index.js';
import { createProbeScheduler, type ProbeScheduler } from '../probes/index.js';
import type { SqliteStore } from '../store/index.js';
import { testClock } from './test-clock.js';

/** The address of rambu's own resolver: its first DNS listener, the wildcard made loopback. */
export function ownResolver(settings: Settings): string {
  const first = settings.dns.listen[0] ?? { host: '127.0.0.1', port: 53 };
  const host = first.host === '0.0.0.0' ? '127.0.0.1' : first.host === '::' ? '::1' : first.host;
  return host.includes(':') ? `[${host}]:${first.port}` : `${host}:${first.port}`;
}

/** Start the probes of `settings.probes`; null when there are none. */
export function startProbeService(settings: Settings, store: SqliteStore, logger: Logger): ProbeScheduler | null {
  if (settings.probes.length === 0) return null;
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([ownResolver(settings)]);
  const resolve = async (host: string): Promise<string> => {
    const v4 = await resolver.resolve4(host).catch(() => [] as string[]);
    if (v4[0] !== undefined) return v4[0];
    const v6 = await resolver.resolve6(host);
    if (v6[0] === undefined) throw new Error(`no address for ${host}`);
    return v6[0];
  };
  // Results are timed by the test clock when one is set (serve validated it), as the console is.
  const scheduler = createProbeScheduler({ probes: settings.probes, resolve, now: testClock(process.env) ?? Date.now, store: store.probes, logger, retentionDays: settings.flows.retentionDays });
  scheduler.start();
  return scheduler;
}
