/** The `flows` section as runtime settings: the collector's address, allowed exporters, retention. */
import { isIP } from 'node:net';
import type { ConfigIssue } from '../errors.js';
import { parseCidr } from '../policy/cidr.js';
import type { FlowsConfig } from './schema.js';
import type { FlowSettings, HostPort } from './settings.js';

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
  return { listen, exporters: flows?.exporters ?? null, retentionDays: flows?.retentionDays ?? DEFAULT_FLOW_RETENTION_DAYS };
}
