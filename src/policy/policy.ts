/**
 * The compiled policy and `decide()`. Precedence: exemptions first (in order; an active exemption
 * covering the client and the name allows it), then rules in file order, first match wins; a name no
 * rule matches is allowed. docs/policy.md explains the model.
 */
import { type Cidr, CidrSet, parseCidr, parseIp } from './cidr.js';
import type { Action, Decision } from './decision.js';
import { DomainIndex, type DomainIndexParts } from './domain-index.js';
import { asciiName } from './domain-name.js';
import { liftExceptions } from './list-exceptions.js';
import type { DayPlan, Schedule } from './schedule.js';
import { addDays, type TimeZone } from './time-zone.js';

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

export interface ServiceInfo { name: string; title: string; builtin: boolean; kind: 'service' | 'blocklist'; domains: number; sample: readonly string[]; source: string }
export interface GroupInfo { name: string; networks: readonly string[] }
export interface RangeInfo { days: readonly string[]; from: string; to: string }
/** A schedule as written: weekly ranges and dated periods (`span: ramadan` expanded per year). */
export interface ScheduleInfo { name: string; ranges: readonly RangeInfo[]; periods: readonly { name: string; from: string; to: string; ranges: readonly RangeInfo[] }[] }
export interface RuleInfo {
  name: string; action: Action; services: readonly string[]; groups: readonly string[]; during: string | null;
  /** `monitor`: logs what it would block, answers as if allowed (before `startsOn`, when given). */
  mode: 'enforce' | 'monitor';
  /** Local date from which the rule enforces, or null. */
  startsOn: string | null;
}
export type ExemptionInfo = ExemptionInput;

export interface RuleStatus extends RuleInfo {
  /** Whether the rule's schedule is active at the instant asked. */
  active: boolean;
  /** Epoch ms of the next change of `active`, or null when it never changes. */
  until: number | null;
  /** Whether the rule only monitors at the instant asked (mode monitor, or before startsOn). */
  monitoring: boolean;
}

/** A compiled, immutable policy. */
export interface Policy {
  readonly timezone: string;
  readonly holidays: readonly string[];
  /** Names of holidays by date: the built-in calendars' and the file's (`{date, name}`). */
  readonly holidayNames: Readonly<Record<string, string>>;
  /** Built-in calendars in use (`holidays: [indonesia]`). */
  readonly calendars: readonly string[];
  /** Last date the built-in calendar data covers, or null when none is in use. */
  readonly calendarDataEnd: string | null;
  /** What schedule `schedule` does on local date `date` (YYYY-MM-DD), or null for an unknown schedule. */
  scheduleDay(schedule: string, date: string): DayPlan | null;
  readonly schedules: readonly ScheduleInfo[];
  readonly groups: readonly GroupInfo[];
  readonly services: readonly ServiceInfo[];
  readonly rules: readonly RuleInfo[];
  readonly exemptions: readonly ExemptionInfo[];
  /**
   * Tells this policy apart from every other policy compiled in this thread (a positive integer).
   * A policy never changes, so what `decide()` said about a name under one generation holds for as
   * long as that generation is in force: the DNS answer cache remembers which cached answers name
   * nothing any list matches, and skips `decide()` for them (src/dns/query-handler.ts). A policy
   * without one (a test's stand-in) is asked every time.
   */
  readonly generation?: number;
  decide(client: string, name: string, at: number): Decision;
  /** The same policy with `exemptions` in place of the console's exemptions (config ones stay). */
  withConsoleExemptions(exemptions: readonly ExemptionInput[]): Policy;
  /** Transitions of a schedule after `at`: epoch ms of each change and the state it enters. */
  scheduleTransitions(schedule: string, at: number, count: number): { at: number; active: boolean }[];
  /** Whether schedule `schedule` is active at `at` and until when. */
  scheduleState(schedule: string, at: number): { active: boolean; until: number | null } | null;
  /** Names of the groups `client` belongs to. */
  groupsOf(client: string): string[];
  /** The time zone, for formatting instants in local time. */
  readonly zone: TimeZone;
  /**
   * The services and blocklists with their domain index on shared memory, for compiling the same
   * config in another thread without reading the lists again (`CompileOptions.lists`).
   */
  lists(): PolicyLists;
}

/** What {@link Policy.lists} returns: structured-cloneable; posting it shares the index memory. */
export interface PolicyLists {
  index: DomainIndexParts;
  /** List id -> service or blocklist name. */
  listNames: readonly string[];
  services: readonly ServiceInfo[];
}

/** Everything `compilePolicy` builds, shared by every copy of a policy. */
export interface PolicyParts {
  zone: TimeZone;
  holidays: readonly string[];
  holidayNames: Readonly<Record<string, string>>;
  calendars: readonly string[];
  calendarDataEnd: string | null;
  index: DomainIndex;
  /** List id -> service or blocklist name. */
  listNames: readonly string[];
  services: readonly ServiceInfo[];
  groups: readonly { name: string; set: CidrSet }[];
  schedules: ReadonlyMap<string, Schedule>;
  scheduleInfos: readonly ScheduleInfo[];
  rules: readonly { info: RuleInfo; monitorUntil: number; lists: readonly number[]; groups: readonly number[] | null; schedule: Schedule | null }[];
  configExemptions: readonly ExemptionInput[];
  /** Exception lists of blocklists: list id -> the list it lifts, or -1 (see list-exceptions.ts); null when none. */
  exceptionTargets: Int32Array | null;
}

/**
 * Hands out frozen Decisions for one deciding rule, exemption or the default, reusing the last one
 * while the service and `until` repeat: the hot path then allocates nothing.
 */
class DecisionMemo {
  readonly #action: Action;
  readonly #rule: string | null;
  readonly #exemption: string | null;
  readonly #monitor: boolean;
  #last: Decision | null = null;
  #lastService = -2;

  constructor(action: Action, rule: string | null, exemption: string | null, monitor = false) {
    this.#action = action;
    this.#rule = rule;
    this.#exemption = exemption;
    this.#monitor = monitor;
  }

  get(service: number, until: number | null, listNames: readonly string[]): Decision {
    const last = this.#last;
    if (last !== null && this.#lastService === service && last.until === until) return last;
    const d: Decision = Object.freeze({
      action: this.#action, service: listNames[service] ?? null, rule: this.#rule, exemption: this.#exemption, until,
      ...(this.#monitor ? { monitor: true as const } : {}),
    });
    this.#last = d;
    this.#lastService = service;
    return d;
  }
}

interface CompiledRule {
  name: string; action: Action; mask: Uint8Array; groups: readonly number[] | null; schedule: Schedule | null; memo: DecisionMemo;
  /** Epoch ms before which the rule only monitors (see RuleTrial). */
  monitorUntil: number;
  monitorMemo: DecisionMemo;
}
interface CompiledExemption { name: string; mask: Uint8Array; groups: readonly number[]; clientsSlot: number; from: number; until: number; memo: DecisionMemo }

const MAX_MATCHES = 128;
const MAX_CLIENTS_CACHED = 65_536;
const UNMATCHED: Decision = Object.freeze({ action: 'allow', service: null, rule: null, exemption: null, until: null });
/** The last {@link Policy.generation} handed out in this thread. */
let generations = 0;

class CompiledPolicy implements Policy {
  readonly generation = ++generations;
  readonly timezone: string;
  readonly holidays: readonly string[];
  readonly holidayNames: Readonly<Record<string, string>>;
  readonly calendars: readonly string[];
  readonly calendarDataEnd: string | null;
  readonly schedules: readonly ScheduleInfo[];
  readonly groups: readonly GroupInfo[];
  readonly services: readonly ServiceInfo[];
  readonly rules: readonly RuleInfo[];
  readonly exemptions: readonly ExemptionInfo[];
  readonly zone: TimeZone;
  readonly #parts: PolicyParts;
  readonly #rules: readonly CompiledRule[];
  readonly #exemptions: readonly CompiledExemption[];
  /** Membership slots: one per group, then one per exemption with clients. */
  readonly #slots: readonly CidrSet[];
  readonly #members = new Map<string, Uint8Array>();
  readonly #defaultMemo = new DecisionMemo('allow', null, null);
  readonly #matchSets = new Uint32Array(MAX_MATCHES);
  readonly #matchLists = new Int32Array(MAX_MATCHES * 4);

  constructor(parts: PolicyParts, consoleExemptions: readonly ExemptionInput[]) {
    this.#parts = parts;
    this.zone = parts.zone;
    this.timezone = parts.zone.name;
    this.holidays = parts.holidays;
    this.holidayNames = parts.holidayNames;
    this.calendars = parts.calendars;
    this.calendarDataEnd = parts.calendarDataEnd;
    this.schedules = parts.scheduleInfos;
    this.groups = parts.groups.map((g) => ({ name: g.name, networks: g.set.networks.map((n) => n.text) }));
    this.services = parts.services;
    this.rules = parts.rules.map((r) => r.info);
    const listCount = parts.listNames.length;
    const maskOf = (lists: readonly number[]): Uint8Array => {
      const m = new Uint8Array(listCount);
      for (const l of lists) m[l] = 1;
      return m;
    };
    this.#rules = parts.rules.map((r) => ({
      name: r.info.name, action: r.info.action, mask: maskOf(r.lists), groups: r.groups, schedule: r.schedule,
      memo: new DecisionMemo(r.info.action, r.info.name, null),
      monitorUntil: r.monitorUntil,
      monitorMemo: new DecisionMemo('allow', r.info.name, null, true),
    }));
    const slots: CidrSet[] = parts.groups.map((g) => g.set);
    const listId = new Map(parts.listNames.map((n, i) => [n, i]));
    const groupId = new Map(parts.groups.map((g, i) => [g.name, i]));
    const all = [...parts.configExemptions, ...consoleExemptions];
    this.exemptions = all;
    this.#exemptions = all.map((e) => {
      let clientsSlot = -1;
      if (e.clients.length > 0) {
        clientsSlot = slots.length;
        slots.push(new CidrSet(e.clients.map((c) => parseCidrOrThrow(c))));
      }
      return {
        name: e.name,
        mask: maskOf(e.allow.map((s) => listId.get(s)).filter((x): x is number => x !== undefined)),
        groups: e.groups.map((g) => groupId.get(g)).filter((x): x is number => x !== undefined),
        clientsSlot,
        from: e.from ?? -Infinity,
        until: e.until,
        memo: new DecisionMemo('allow', null, e.name),
      };
    });
    this.#slots = slots;
  }

  decide(client: string, name: string, at: number): Decision {
    const parts = this.#parts;
    let found = parts.index.lookup(name, this.#matchSets);
    if (found < 0) found = parts.index.lookup(asciiName(name), this.#matchSets);
    if (found <= 0) return UNMATCHED;
    // Matched list ids, most specific suffix first.
    const lists = this.#matchLists;
    let nLists = 0;
    for (let k = found - 1; k >= 0; k--) {
      for (const l of parts.index.listsOf(this.#matchSets[k]!)) if (nLists < lists.length) lists[nLists++] = l;
    }
    if (parts.exceptionTargets !== null) {
      nLists = liftExceptions(lists, nLists, parts.exceptionTargets);
      if (nLists === 0) return UNMATCHED;
    }
    const member = this.#membership(client);
    let until = Infinity;
    for (const ex of this.#exemptions) {
      if (!covers(member, ex.groups, ex.clientsSlot)) continue;
      const svc = firstIn(ex.mask, lists, nLists);
      if (svc < 0 || at >= ex.until) continue;
      if (at < ex.from) { until = Math.min(until, ex.from); continue; }
      return ex.memo.get(svc, ex.until, parts.listNames);
    }
    // A rule on trial that matches is remembered and passed over: a later rule that blocks still
    // blocks; otherwise the answer is allowed and says which rule would have blocked it.
    let watched: CompiledRule | null = null;
    let watchedService = -1;
    for (const rule of this.#rules) {
      if (rule.groups !== null && !anyMember(member, rule.groups)) continue;
      const svc = firstIn(rule.mask, lists, nLists);
      if (svc < 0) continue;
      if (rule.schedule !== null) {
        const st = rule.schedule.stateAt(at);
        if (st.until !== null && st.until < until) until = st.until;
        if (!st.active) continue;
      }
      if (at < rule.monitorUntil) {
        if (rule.monitorUntil < until) until = rule.monitorUntil;
        if (watched === null) { watched = rule; watchedService = svc; }
        continue;
      }
      if (watched !== null && rule.action === 'allow') break;
      return rule.memo.get(svc, until === Infinity ? null : until, parts.listNames);
    }
    if (watched !== null) return watched.monitorMemo.get(watchedService, until === Infinity ? null : until, parts.listNames);
    return this.#defaultMemo.get(lists[0]!, until === Infinity ? null : until, parts.listNames);
  }

  withConsoleExemptions(exemptions: readonly ExemptionInput[]): Policy {
    return new CompiledPolicy(this.#parts, exemptions);
  }

  lists(): PolicyLists {
    return { index: this.#parts.index.parts(), listNames: this.#parts.listNames, services: this.#parts.services };
  }

  scheduleTransitions(schedule: string, at: number, count: number): { at: number; active: boolean }[] {
    return this.#parts.schedules.get(schedule)?.transitions(at, count) ?? [];
  }

  scheduleDay(schedule: string, date: string): DayPlan | null {
    const s = this.#parts.schedules.get(schedule);
    if (s === undefined) return null;
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return s.dayPlan(addDays({ year: y, month: m, day: d }, 0));
  }

  scheduleState(schedule: string, at: number): { active: boolean; until: number | null } | null {
    const s = this.#parts.schedules.get(schedule)?.stateAt(at);
    return s === undefined ? null : { active: s.active, until: s.until };
  }

  groupsOf(client: string): string[] {
    const member = this.#membership(client);
    return this.#parts.groups.filter((_, i) => member[i] === 1).map((g) => g.name);
  }

  #membership(client: string): Uint8Array {
    let m = this.#members.get(client);
    if (m !== undefined) return m;
    m = new Uint8Array(this.#slots.length);
    const ip = parseIp(client);
    if (ip !== null) for (let i = 0; i < this.#slots.length; i++) m[i] = this.#slots[i]!.hasIp(ip) ? 1 : 0;
    if (this.#members.size >= MAX_CLIENTS_CACHED) this.#members.clear();
    this.#members.set(client, m);
    return m;
  }
}

function parseCidrOrThrow(text: string): Cidr {
  const c = parseCidr(text);
  if (c === null) throw new RangeError(`invalid client address "${text}"`);
  return c;
}

function covers(member: Uint8Array, groups: readonly number[], clientsSlot: number): boolean {
  if (clientsSlot >= 0 && member[clientsSlot] === 1) return true;
  return anyMember(member, groups);
}

function anyMember(member: Uint8Array, groups: readonly number[]): boolean {
  for (const g of groups) if (member[g] === 1) return true;
  return false;
}

/** The first of the matched lists that is in `mask`, or -1. */
function firstIn(mask: Uint8Array, lists: Int32Array, n: number): number {
  for (let i = 0; i < n; i++) if (mask[lists[i]!] === 1) return lists[i]!;
  return -1;
}

/** Build a policy from its compiled parts. */
export function createPolicy(parts: PolicyParts, consoleExemptions: readonly ExemptionInput[] = []): Policy {
  return new CompiledPolicy(parts, consoleExemptions);
}

/** What the policy decides for `client` asking for `name` at epoch ms `at`. Pure. */
export function decide(policy: Policy, client: string, name: string, at: number): Decision {
  return policy.decide(client, name, at);
}

/** Every rule with whether it is active at `at` and until when. */
export function ruleStatus(policy: Policy, at: number): RuleStatus[] {
  return policy.rules.map((r) => {
    const starts = r.startsOn === null ? null : startOfDay(policy, r.startsOn);
    const monitoring = starts === null ? r.mode === 'monitor' : at < starts;
    if (r.during === null) return { ...r, active: true, until: monitoring && starts !== null ? starts : null, monitoring };
    const s = policy.scheduleState(r.during, at);
    return { ...r, active: s?.active ?? false, until: s?.until ?? null, monitoring };
  });
}

function startOfDay(policy: Policy, date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return policy.zone.toInstant(y, m, d, 0);
}
