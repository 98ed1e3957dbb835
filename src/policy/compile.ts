/**
 * Compile a schema-valid configuration into a {@link Policy}, checking what the schema cannot: times,
 * dates, addresses, the time zone, and names that refer to each other. Every problem is collected
 * with its key path, so the loader can report them all at once with file and line.
 */
import { isAbsolute, resolve } from 'node:path';
import { type ConfigIssue, ConfigError } from '../errors.js';
import type { Config, TimeRangeConfig } from '../config/schema.js';
import { FILE_LIMITS, readNamedFileSync } from '../config/named-file.js';
import { loadBlocklist, type BlocklistStats } from './blocklist.js';
import { compilePeriods, resolveCalendar } from './calendar/index.js';
import { BUILTIN_SERVICES } from './catalog.js';
import { CidrSet, parseCidr, type Cidr } from './cidr.js';
import { DomainIndex } from './domain-index.js';
import { normalizeDomain } from './domain-name.js';
import { parseInstant } from './parse-instant.js';
import { createPolicy, type ExemptionInput, type Policy, type PolicyLists, type PolicyParts, type RuleInfo, type ServiceInfo } from './policy.js';
import { type CompiledRange, parseClock, Schedule } from './schedule.js';
import { isValidTimeZone, TimeZone } from './time-zone.js';
import { EXCEPTION_SUFFIX, exceptionListName, exceptionTargets } from './list-exceptions.js';
import { compileTrial } from './trial.js';

export const DEFAULT_TIMEZONE = 'Asia/Jakarta';
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const DAY_INDEX: Record<string, number> = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 };
const SAMPLE_SIZE = 12;

export interface CompileOptions {
  /** Directory relative blocklist paths are resolved against. */
  baseDir: string;
  /** Epoch ms used for warnings such as expired exemptions. */
  now: number;
  /** Top-level sections that failed validation and were left out: names they define are not checked. */
  unchecked?: ReadonlySet<string>;
  /** Reads a blocklist file; default: a bounded synchronous read of a regular file (config/named-file.ts). */
  readFile?: (path: string) => Uint8Array;
  /**
   * Services and blocklists already compiled from this same config (another thread's
   * `policy.lists()`): used as they are, and no list file is read.
   */
  lists?: PolicyLists;
}

export interface CompileResult {
  policy: Policy;
  warnings: ConfigIssue[];
  blocklists: { name: string; path: string; stats: BlocklistStats }[];
}

/** Compile `config`; throws ConfigError with every problem found. */
export function compilePolicy(config: Config, options: CompileOptions): CompileResult {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const fail = (path: (string | number)[], message: string): void => { issues.push({ path, message }); };
  const checkName = (path: (string | number)[], name: string, what: string): void => {
    if (!NAME.test(name)) fail(path, `invalid ${what} name "${name}": use letters, digits, "-", "_" or "." (at most 63)`);
  };

  const tzName = config.timezone ?? DEFAULT_TIMEZONE;
  let zone = new TimeZone(DEFAULT_TIMEZONE);
  if (isValidTimeZone(tzName)) zone = new TimeZone(tzName);
  else fail(['timezone'], `unknown time zone "${tzName}": use an IANA name such as "Asia/Jakarta", "Asia/Makassar" or "Asia/Jayapura"`);

  const calendar = resolveCalendar(config.holidays ?? [], config.workdays ?? [], fail);
  const { holidays, holidayNames } = calendar;
  const holidaySet = new Set(holidays);

  // Schedules.
  const schedules = new Map<string, Schedule>();
  const scheduleInfos: PolicyParts['scheduleInfos'][number][] = [];
  const compileRanges = (ranges: readonly TimeRangeConfig[], path: (string | number)[]): CompiledRange[] => {
    const compiled: CompiledRange[] = [];
    ranges.forEach((r, i) => {
      const from = parseClock(r.from);
      const to = parseClock(r.to);
      if (from === null || from === 1440) fail([...path, i, 'from'], `invalid time "${r.from}": expected HH:MM from 00:00 to 23:59`);
      if (to === null) fail([...path, i, 'to'], `invalid time "${r.to}": expected HH:MM from 00:00 to 24:00`);
      if (from === null || to === null || from === 1440) return;
      if (from === to) { fail([...path, i, 'to'], `range "${r.from}" to "${r.to}" is empty: for a whole day write from "00:00" to "24:00"`); return; }
      const days = new Set<number>();
      r.days.forEach((d) => { const idx = DAY_INDEX[d]; if (idx !== undefined) days.add(idx); });
      compiled.push({ days, from, to: to > from ? to : to + 1440 });
    });
    return compiled;
  };
  const rangeInfo = (r: TimeRangeConfig) => ({ days: [...r.days], from: r.from, to: r.to });
  for (const [name, spec] of Object.entries(config.schedules ?? {})) {
    checkName(['schedules', name], name, 'schedule');
    const weekly = Array.isArray(spec) ? spec : spec.weekly;
    const compiled = compileRanges(weekly, Array.isArray(spec) ? ['schedules', name] : ['schedules', name, 'weekly']);
    const periods = Array.isArray(spec) ? [] : compilePeriods(name, spec.periods ?? [], compileRanges, fail);
    schedules.set(name, new Schedule(name, compiled, zone, holidaySet, periods));
    // The same periods again, as the console shows them (problems were reported just above).
    const periodInfos = Array.isArray(spec) ? [] : compilePeriods(name, spec.periods ?? [], (rs) => rs.map(rangeInfo), () => {});
    scheduleInfos.push({ name, ranges: weekly.map(rangeInfo), periods: periodInfos });
  }

  // Groups.
  const groups: { name: string; set: CidrSet }[] = [];
  const groupNames = new Set<string>();
  for (const [name, networks] of Object.entries(config.groups ?? {})) {
    checkName(['groups', name], name, 'group');
    const cidrs: Cidr[] = [];
    networks.forEach((n, i) => {
      const c = parseCidr(String(n).trim());
      if (c === null) fail(['groups', name, i], `invalid address or network "${n}": expected an IPv4/IPv6 address or CIDR such as 10.20.5.0/24`);
      else cidrs.push(c);
    });
    groups.push({ name, set: new CidrSet(cidrs) });
    groupNames.add(name);
  }

  // Services: the built-in catalog, extended by the user's; then blocklists.
  const shared = options.lists;
  const index = shared === undefined ? new DomainIndex() : DomainIndex.fromParts(shared.index);
  const listNames: string[] = [];
  const listIds = new Map<string, number>();
  const services: ServiceInfo[] = [];
  const addList = (name: string): number => {
    let id = listIds.get(name);
    if (id === undefined) { id = listNames.length; listNames.push(name); listIds.set(name, id); }
    return id;
  };
  const blocklists: CompileResult['blocklists'] = [];
  if (shared !== undefined) {
    for (const name of shared.listNames) addList(name);
    services.push(...shared.services);
  } else {
    for (const entry of BUILTIN_SERVICES) {
      const id = addList(entry.name);
      for (const d of entry.domains) index.add(d, id);
      services.push({ name: entry.name, title: entry.title, builtin: true, kind: 'service', domains: entry.domains.length, sample: entry.domains.slice(0, SAMPLE_SIZE), source: entry.source });
    }
    for (const [name, domains] of Object.entries(config.services ?? {})) {
      checkName(['services', name], name, 'service');
      const id = addList(name);
      const added: string[] = [];
      domains.forEach((d, i) => {
        const n = normalizeDomain(String(d));
        if (n === null) fail(['services', name, i], `invalid domain "${d}"`);
        else { index.add(n, id); added.push(n); }
      });
      const builtin = services.find((s) => s.name === name);
      if (builtin !== undefined) {
        Object.assign(builtin, { domains: builtin.domains + added.length, sample: [...builtin.sample, ...added].slice(0, SAMPLE_SIZE), source: `${builtin.source}; extended in the config file` });
      } else {
        services.push({ name, title: name, builtin: false, kind: 'service', domains: added.length, sample: added.slice(0, SAMPLE_SIZE), source: 'config file' });
      }
    }
    const readFile = options.readFile ?? ((p: string) => readNamedFileSync(p, FILE_LIMITS.blocklist));
    for (const [name, spec] of Object.entries(config.blocklists ?? {})) {
      checkName(['blocklists', name], name, 'blocklist');
      if (listIds.has(name)) { fail(['blocklists', name], `blocklist name "${name}" is already a service name`); continue; }
      const rel = typeof spec === 'string' ? spec : spec.path;
      const path = isAbsolute(rel) ? rel : resolve(options.baseDir, rel);
      const id = addList(name);
      let bytes: Uint8Array;
      try {
        bytes = readFile(path);
      } catch (err) {
        fail(typeof spec === 'string' ? ['blocklists', name] : ['blocklists', name, 'path'], `cannot read blocklist "${path}": ${(err as Error).message}`);
        continue;
      }
      const stats = loadBlocklist(bytes, index, id, addList(exceptionListName(name)));
      blocklists.push({ name, path, stats });
      if (stats.skipped > 0) warnings.push({ path: ['blocklists', name], message: `${stats.skipped} entries of "${path}" are not domains and were skipped (lines ${stats.skippedLines.join(', ')}${stats.skipped > stats.skippedLines.length ? ', ...' : ''})` });
      services.push({ name, title: name, builtin: false, kind: 'blocklist', domains: stats.added, sample: [], source: path });
    }
    index.compact();
  }

  const checkRefs = (path: (string | number)[], names: readonly string[], known: (n: string) => boolean, what: string, all: () => string[]): void => {
    names.forEach((n, i) => {
      if (!known(n)) fail([...path, i], `unknown ${what} "${n}"${suggest(n, all())}`);
    });
  };
  const unchecked = options.unchecked ?? new Set<string>();
  const knownList = (n: string): boolean => (listIds.has(n) && !n.endsWith(EXCEPTION_SUFFIX)) || unchecked.has('services') || unchecked.has('blocklists');
  const allLists = (): string[] => [...listIds.keys()];
  const allGroups = (): string[] => [...groupNames];

  // Rules.
  const rules: PolicyParts['rules'][number][] = [];
  const ruleNames = new Set<string>();
  (config.rules ?? []).forEach((r, i) => {
    if (ruleNames.has(r.name)) fail(['rules', i, 'name'], `duplicate rule name "${r.name}"`);
    ruleNames.add(r.name);
    if (r.block !== undefined && r.allow !== undefined) { fail(['rules', i], `rule "${r.name}" has both block and allow: split it into two rules`); return; }
    const action = r.allow !== undefined ? 'allow' : 'block';
    const names = r.block ?? r.allow;
    if (names === undefined || names.length === 0) { fail(r.block !== undefined || r.allow !== undefined ? ['rules', i, action] : ['rules', i], `rule "${r.name}" has no services: give block: [...] or allow: [...]`); return; }
    checkRefs(['rules', i, action], names, knownList, 'service or blocklist', allLists);
    if (r.groups !== undefined) {
      if (r.groups.length === 0) fail(['rules', i, 'groups'], `rule "${r.name}" has an empty groups list: omit groups for every client`);
      checkRefs(['rules', i, 'groups'], r.groups, (n) => groupNames.has(n) || unchecked.has('groups'), 'group', allGroups);
    }
    let schedule: Schedule | null = null;
    if (r.during !== undefined) {
      schedule = schedules.get(r.during) ?? null;
      if (schedule === null && !unchecked.has('schedules')) fail(['rules', i, 'during'], `unknown schedule "${r.during}"${suggest(r.during, [...schedules.keys()])}`);
    }
    const trial = compileTrial(r, i, action, zone, fail);
    const info: RuleInfo = { name: r.name, action, services: names, groups: r.groups ?? [], during: r.during ?? null, mode: trial.mode, startsOn: r.startsOn ?? null };
    rules.push({
      info,
      monitorUntil: trial.monitorUntil,
      lists: names.map((n) => listIds.get(n)).filter((x): x is number => x !== undefined),
      groups: r.groups === undefined ? null : r.groups.map((g) => groups.findIndex((x) => x.name === g)).filter((x) => x >= 0),
      schedule,
    });
  });

  // Exemptions from the file.
  const exemptions: ExemptionInput[] = [];
  (config.exemptions ?? []).forEach((e, i) => {
    const groupsOf = e.groups ?? [];
    const clients = e.clients ?? [];
    if (groupsOf.length === 0 && clients.length === 0) fail(['exemptions', i], `exemption "${e.name}" covers nobody: give groups or clients`);
    checkRefs(['exemptions', i, 'groups'], groupsOf, (n) => groupNames.has(n) || unchecked.has('groups'), 'group', allGroups);
    clients.forEach((c, j) => { if (parseCidr(c) === null) fail(['exemptions', i, 'clients', j], `invalid client address "${c}"`); });
    if (e.allow.length === 0) fail(['exemptions', i, 'allow'], `exemption "${e.name}" allows no services`);
    checkRefs(['exemptions', i, 'allow'], e.allow, knownList, 'service or blocklist', allLists);
    const until = parseInstant(e.until);
    if (until === null) fail(['exemptions', i, 'until'], `invalid instant "${e.until}": expected ISO-8601 with an offset, such as 2027-03-31T16:00:00+07:00`);
    let from: number | null = null;
    if (e.from !== undefined) {
      from = parseInstant(e.from);
      if (from === null) fail(['exemptions', i, 'from'], `invalid instant "${e.from}": expected ISO-8601 with an offset`);
    }
    if (until === null) return;
    if (from !== null && from >= until) fail(['exemptions', i, 'until'], `exemption "${e.name}" ends before it starts`);
    if (until <= options.now) warnings.push({ path: ['exemptions', i, 'until'], message: `exemption "${e.name}" expired at ${e.until} and has no effect` });
    exemptions.push({ name: e.name, groups: groupsOf, clients, allow: e.allow, from, until, reason: e.reason, source: 'config' });
  });

  if (issues.length > 0) throw new ConfigError(issues);
  const parts: PolicyParts = { zone, holidays, holidayNames, calendars: calendar.calendars, calendarDataEnd: calendar.dataEnd, index, listNames, services, groups, schedules, scheduleInfos, rules, configExemptions: exemptions, exceptionTargets: exceptionTargets(listNames) };
  return { policy: createPolicy(parts), warnings, blocklists };
}

/** `: did you mean "x"?` when a known name is close to `name`. */
function suggest(name: string, known: readonly string[]): string {
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  return best === null ? `: known are ${known.slice(0, 20).join(', ') || '(none)'}` : `: did you mean "${best}"?`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
