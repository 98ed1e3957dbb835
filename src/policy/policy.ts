import type { Decision } from './decision.js';

/** An exemption as the console or the config file gives it (instants in epoch ms). */
export interface ExemptionInput {
  name: string;
  groups: readonly string[];
  clients: readonly string[];
  allow: readonly string[];
  from: number | null;
  until: number;
  reason: string;
  /** Where it came from: the config file or the console (with the database id). */
  source: 'config' | 'console';
  id?: number;
  createdBy?: string;
}

export interface ServiceInfo { name: string; builtin: boolean; kind: 'service' | 'blocklist'; domains: number; sample: readonly string[]; source: string }
export interface GroupInfo { name: string; networks: readonly string[] }
export interface ScheduleInfo { name: string; ranges: readonly { days: readonly string[]; from: string; to: string }[] }
export interface RuleInfo { name: string; action: 'block' | 'allow'; services: readonly string[]; groups: readonly string[]; during: string | null }
export type ExemptionInfo = ExemptionInput;

export interface RuleStatus extends RuleInfo {
  /** Whether the rule's schedule is active at the instant asked. */
  active: boolean;
  /** Epoch ms of the next change of `active`, or null when it never changes. */
  until: number | null;
}

/** A compiled, immutable policy. */
export interface Policy {
  readonly timezone: string;
  readonly holidays: readonly string[];
  readonly schedules: readonly ScheduleInfo[];
  readonly groups: readonly GroupInfo[];
  readonly services: readonly ServiceInfo[];
  readonly rules: readonly RuleInfo[];
  readonly exemptions: readonly ExemptionInfo[];
  decide(client: string, name: string, at: number): Decision;
  /** The same policy with `exemptions` in place of the console's exemptions (config ones stay). */
  withConsoleExemptions(exemptions: readonly ExemptionInput[]): Policy;
  /** Transitions of a schedule after `at`: epoch ms of each change and the state it enters. */
  scheduleTransitions(schedule: string, at: number, count: number): { at: number; active: boolean }[];
}

/** What the policy decides for `client` asking for `name` at epoch ms `at`. Pure. */
export function decide(policy: Policy, client: string, name: string, at: number): Decision {
  return policy.decide(client, name, at);
}

/** Every rule with whether it is active at `at` and until when. */
export function ruleStatus(policy: Policy, at: number): RuleStatus[] {
  void policy; void at;
  throw new Error('not implemented yet');
}
