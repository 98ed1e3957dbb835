import type { ExemptionInput } from '../policy/index.js';
import { exemptionStatus } from '../store/index.js';
import type { Exemption } from '../store/index.js';
import { iso, isoOrNull } from './schemas.js';

/** An exemption as the API shows it (and as the audit log records it). */
export function exemptionJson(e: Exemption, now: number) {
  return {
    id: e.id, name: e.name, groups: e.groups, clients: e.clients, allow: e.allow, from: isoOrNull(e.from),
    until: iso(e.until), reason: e.reason, createdBy: e.createdBy, createdAt: iso(e.createdAt),
    revokedAt: isoOrNull(e.revokedAt), revokedBy: e.revokedBy, status: exemptionStatus(e, now),
  };
}

/**
 * The console's stored exemptions as the policy takes them; the serve command feeds
 * `store.exemptions.effective(now)` through this into `policy.withConsoleExemptions()`.
 */
export function toPolicyExemptions(list: readonly Exemption[]): ExemptionInput[] {
  return list.filter((e) => e.revokedAt === null).map((e) => ({
    name: e.name, groups: e.groups, clients: e.clients, allow: e.allow, from: e.from, until: e.until,
    reason: e.reason, source: 'console' as const, id: e.id, createdBy: e.createdBy,
  }));
}
