/**
 * A small stand-in for the policy engine in web tests. Its one schedule, `jam-kerja`, is Monday to
 * Friday 07:00-16:00 in Asia/Jakarta (UTC+7 all year, so the arithmetic stays simple; holidays are
 * listed but not applied). Services match by domain suffix; exemptions come first, then rules.
 */
import { TimeZone } from '../../src/policy/index.js';
import type { DayPlan, Decision, ExemptionInput, GroupInfo, Policy, PolicyLists, RuleInfo, ScheduleInfo, ServiceInfo } from '../../src/policy/index.js';
import { GroupMatcher } from '../../src/web/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OFFSET = 7 * HOUR;

const SERVICES: Record<string, string[]> = {
  youtube: ['youtube.com', 'googlevideo.com', 'ytimg.com'],
  vidio: ['vidio.com'],
  vimeo: ['vimeo.com'],
  'si-jaja': ['sijaja.pasuruankota.go.id'],
};

export const FAKE_GROUPS: GroupInfo[] = [
  { name: 'semua', networks: ['0.0.0.0/0', '::/0'] },
  { name: 'diskominfo-humas', networks: ['10.20.5.0/24'] },
  { name: 'ruang-rapat-walikota', networks: ['10.20.9.17/32'] },
];

/** Whether `jam-kerja` is active at `at` and when that changes. */
function workHours(at: number): { active: boolean; until: number } {
  const local = at + OFFSET;
  const dayStart = Math.floor(local / DAY) * DAY;
  const weekday = (new Date(dayStart).getUTCDay() + 6) % 7; // 0 = Monday
  const minutes = (local - dayStart) / 60_000;
  const workday = (d: number): boolean => d < 5;
  if (workday(weekday) && minutes >= 420 && minutes < 960) return { active: true, until: dayStart + 16 * HOUR - OFFSET };
  let day = workday(weekday) && minutes < 420 ? 0 : 1;
  while (!workday((weekday + day) % 7)) day++;
  return { active: false, until: dayStart + day * DAY + 7 * HOUR - OFFSET };
}

export class FakePolicy implements Policy {
  readonly timezone = 'Asia/Jakarta';
  readonly zone = new TimeZone('Asia/Jakarta');
  readonly holidays = ['2026-12-25'];
  readonly holidayNames: Readonly<Record<string, string>> = { '2026-12-25': 'Hari Raya Natal' };
  readonly calendars: string[] = [];
  readonly calendarDataEnd = null;
  readonly schedules: ScheduleInfo[] = [{ name: 'jam-kerja', ranges: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:00', to: '16:00' }], periods: [] }];
  readonly groups = FAKE_GROUPS;
  readonly services: ServiceInfo[] = Object.entries(SERVICES).map(([name, domains]) => ({
    name, title: name, builtin: name !== 'si-jaja', kind: 'service', domains: domains.length, sample: domains.slice(0, 2), source: 'test',
  }));
  readonly rules: RuleInfo[] = [
    { name: 'blokir-streaming-jam-kerja', action: 'block', services: ['youtube', 'vidio', 'vimeo'], groups: ['semua'], during: 'jam-kerja', mode: 'enforce', startsOn: null },
  ];
  readonly exemptions: ExemptionInput[];
  readonly #matcher = new GroupMatcher(FAKE_GROUPS);

  constructor(exemptions: ExemptionInput[] = []) {
    this.exemptions = exemptions;
  }

  #serviceOf(name: string): string | null {
    for (const [service, domains] of Object.entries(SERVICES)) {
      if (domains.some((d) => name === d || name.endsWith(`.${d}`))) return service;
    }
    return null;
  }

  decide(client: string, name: string, at: number): Decision {
    const service = this.#serviceOf(name);
    if (service === null) return { action: 'allow', service: null, rule: null, exemption: null, until: null };
    const groups = this.groupsOf(client);
    for (const e of this.exemptions) {
      const covers = e.clients.includes(client) || e.groups.some((g) => groups.includes(g));
      if (covers && e.allow.includes(service) && at < e.until && (e.from === null || at >= e.from)) {
        return { action: 'allow', service, rule: null, exemption: e.name, until: e.until };
      }
    }
    const state = workHours(at);
    const rule = this.rules[0];
    if (rule !== undefined && rule.services.includes(service) && state.active) {
      return { action: 'block', service, rule: rule.name, exemption: null, until: state.until };
    }
    return { action: 'allow', service, rule: null, exemption: null, until: state.until };
  }

  scheduleDay(schedule: string, date: string): DayPlan | null {
    if (schedule !== 'jam-kerja') return null;
    if (this.holidays.includes(date)) return { holiday: true, period: null, ranges: [] };
    const weekday = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
    return { holiday: false, period: null, ranges: weekday < 5 ? [{ days: new Set([weekday]), from: 420, to: 960 }] : [] };
  }

  lists(): PolicyLists {
    throw new Error('FakePolicy has no domain index');
  }

  withConsoleExemptions(exemptions: readonly ExemptionInput[]): Policy {
    return new FakePolicy([...this.exemptions.filter((e) => e.source === 'config'), ...exemptions]);
  }

  scheduleTransitions(schedule: string, at: number, count: number): { at: number; active: boolean }[] {
    if (schedule !== 'jam-kerja') return [];
    const out: { at: number; active: boolean }[] = [];
    let t = at;
    while (out.length < count) {
      const s = workHours(t);
      out.push({ at: s.until, active: !s.active });
      t = s.until;
    }
    return out;
  }

  scheduleState(schedule: string, at: number): { active: boolean; until: number | null } | null {
    return schedule === 'jam-kerja' ? workHours(at) : null;
  }

  groupsOf(client: string): string[] {
    // Only the most specific group: enough for these tests.
    const g = this.#matcher.groupOf(client);
    return g === null ? [] : g === 'semua' ? ['semua'] : ['semua', g];
  }
}
