/**
 * The policy engine: schedules, groups, the service catalog, rules and exemptions, compiled from a
 * configuration into an immutable {@link Policy} that answers `decide(client, name, instant)`.
 */
export type { Action, Decision } from './decision.js';
export type { Policy, RuleStatus, ExemptionInput, ServiceInfo, GroupInfo, ScheduleInfo, RangeInfo, RuleInfo, ExemptionInfo, PolicyLists } from './policy.js';
export type { DayPlan } from './schedule.js';
export * as calendar from './calendar/index.js';
export { decide, ruleStatus } from './policy.js';
export { compilePolicy, DEFAULT_TIMEZONE, type CompileOptions, type CompileResult } from './compile.js';
export { BUILTIN_SERVICES, type CatalogEntry } from './catalog.js';
export { CidrSet, parseCidr, parseIp, cidrContains, formatIPv6Groups, type Cidr, type IpAddress } from './cidr.js';
export { DomainIndex, type DomainIndexParts } from './domain-index.js';
export { normalizeDomain, asciiName } from './domain-name.js';
export { parseInstant, isCalendarDate } from './parse-instant.js';
export { TimeZone, isValidTimeZone, addDays, dateKey } from './time-zone.js';
