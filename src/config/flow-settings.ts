/** The `flows` and `probes` sections as runtime settings: the collector's address, allowed exporters, retention; the probes' URLs and timing. */
import { isIP } from 'node:net';
import type { ConfigIssue } from '../errors.js';
import { parseCidr } from '../policy/cidr.js';
import type { FlowsConfig, ProbeConfig } from './schema.js';
import type { FlowSettings, HostPort, ProbeSettings } from './settings.js';

/** Days of flow aggregates kept when `flows.retentionDays` is absent. */
export const DEFAULT_FLOW_RETENTION_DAYS = 90;

/** Resolve `flows`; `parseHostPort` is the settings' own address parser (passed in: no import cycle). */
export function resolveFlowSettings(flows: FlowsConfig | undefined, issues: ConfigIssue[], parseHostPort: (text: string) => HostPort | null): FlowSettings {
  let listen: HostPort | null = null;
  if (flows?.listen !== undefined) {
    listen = parseHostPort(flows.listen);
    if (listen === null || isIP(listen.host) === 0) {
      issues.push({ path: ['flows', 'listen'], message: `invalid listen address "${flows.listen}": expected IP:port, such as "0.0.0.0:2055"` });
      listen = null;
    }
  }
  flows?.exporters?.forEach((c, i) => {
    if (parseCidr(c) === null) issues.push({ path: ['flows', 'exporters', i], message: `invalid exporter address "${c}": expected an address or CIDR` });
  });
  const sampling: FlowSettings['sampling'] = [];
  flows?.sampling?.forEach((s, i) => {
    if (parseCidr(s.exporter) === null) issues.push({ path: ['flows', 'sampling', i, 'exporter'], message: `invalid exporter address "${s.exporter}": expected an address or CIDR` });
    else sampling.push({ exporter: s.exporter, rate: s.rate });
  });
  return { listen, exporters: flows?.exporters ?? null, retentionDays: flows?.retentionDays ?? DEFAULT_FLOW_RETENTION_DAYS, sampling };
}

/** Resolve `probes`: URLs must be http:// or https:// with a host; names must be unique. */
export function resolveProbeSettings(probes: readonly ProbeConfig[] | undefined, issues: ConfigIssue[]): ProbeSettings[] {
  const out: ProbeSettings[] = [];
  const seen = new Set<string>();
  (probes ?? []).forEach((p, i) => {
    if (seen.has(p.name)) issues.push({ path: ['probes', i, 'name'], message: `probe name "${p.name}" is used twice` });
    seen.add(p.name);
    let url: URL | null = null;
    try { url = new URL(p.url); } catch { url = null; }
    if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      issues.push({ path: ['probes', i, 'url'], message: `invalid probe URL "${p.url}": expected http:// or https:// and a host` });
      return;
    }
    out.push({ name: p.name, url, intervalMs: (p.interval ?? 60) * 1000, timeoutMs: (p.timeout ?? 10) * 1000, expectStatus: p.expectStatus ?? null });
  });
  return out;
}
