/**
 * The policy engine: schedules, groups, the service catalog, rules and exemptions, compiled from a
 * configuration into an immutable {@link Policy} that answers `decide(client, name, instant)`.
 */
export type { Action, Decision } from './decision.js';
export type { Policy, RuleStatus, ExemptionInput, ServiceInfo, GroupInfo, ScheduleInfo, RuleInfo, ExemptionInfo } from './policy.js';
export { decide, ruleStatus } from './policy.js';
