/**
 * The public status page: no login, for every member of staff. Says in plain words whether streaming
 * is blocked now, why and until when, today's schedule, and what changes next.
 */
import { api } from '../api.js';
import type { RuleStatus, ScheduleInfo, Status } from '../api-types.js';
import { useApp } from '../app-context.js';
import { CalendarStrip, dayRanges, periodLabel } from '../components/calendar-strip.js';
import { ErrorNote, Loading } from '../components/error-note.js';
import { t } from '../i18n.js';
import { href } from '../router.js';
import { segmentsOf } from '../schedule-ranges.js';
import { describeStatus, holidayToday, serviceLabel } from '../status-words.js';
import { clock, formatDateTime, formatWhen, localClock as clockText, toMs, zonedParts } from '../time-format.js';
import { useLoad } from '../use-load.js';

/** Today's ranges of a schedule as "07.00–16.00" (a range that crosses midnight shows its part of today). */
function todayRanges(schedule: ScheduleInfo, weekday: number, lang: 'id' | 'en'): string[] {
  return segmentsOf(schedule.ranges)
    .filter((s) => s.day === weekday)
    .map((s) => `${clock(Math.floor(s.start / 60), s.start % 60, lang)}–${clock(Math.floor(s.end / 60), s.end % 60, lang)}`);
}

function RuleLine(props: { rule: RuleStatus; status: Status; now: number }) {
  const { lang } = useApp();
  const { rule, status, now } = props;
  const services = rule.services.map(serviceLabel).join(', ');
  const until = toMs(rule.until);
  let state: string;
  if (rule.monitoring === true) state = rule.startsOn != null ? t('status.rule.monitorUntil', { date: rule.startsOn }) : t('status.rule.monitor');
  else if (rule.active) state = Number.isFinite(until) ? t('status.rule.activeUntil', { until: formatWhen(until, status.timezone, lang, now) }) : t('status.rule.activeAlways');
  else state = Number.isFinite(until) ? t('status.rule.inactiveFrom', { when: formatWhen(until, status.timezone, lang, now) }) : t('status.rule.inactive');
  return (
    <li class={`rule-line ${rule.active ? 'rule-active' : ''}`} data-testid={`rule-${rule.name}`}>
      <span class={`pill ${rule.monitoring === true ? 'pill-monitor' : rule.active ? (rule.action === 'block' ? 'pill-block' : 'pill-allow') : 'pill-off'}`}>{state}</span>
      <span class="rule-what">
        <strong>{rule.action === 'block' ? t('status.rule.blocks', { services }) : t('status.rule.allows', { services })}</strong>
        {' '}{rule.groups.length === 0 ? t('status.rule.forEveryone') : t('status.rule.for', { groups: rule.groups.join(', ') })}
        {rule.during !== null && rule.during !== undefined && <>, {t('status.rule.schedule', { schedule: rule.during })}</>}
        <span class="muted rule-name"> · {rule.name}</span>
      </span>
    </li>
  );
}

export function StatusPage() {
  const { lang } = useApp();
  const status = useLoad((signal) => api.get<Status>('/api/status', { signal }), [], 30_000);
  if (status.data === null) {
    return status.error !== null ? <ErrorNote error={status.error} onRetry={status.reload} /> : <Loading />;
  }
  const s = status.data;
  const now = Number.isFinite(toMs(s.now)) ? toMs(s.now) : Date.now();
  const words = describeStatus(s, lang);
  const weekday = zonedParts(now, s.timezone).weekday;
  const { holiday, name: holidayName } = holidayToday(s);
  const today = s.days?.[0];
  const todayPeriod = today?.schedules.find((x) => x.period !== null && x.ranges.length > 0)?.period ?? null;
  const usedSchedules = new Set(s.rules.map((r) => r.during).filter((d): d is string => typeof d === 'string'));
  const schedules = (s.schedules ?? []).filter((sc) => usedSchedules.has(sc.name));
  // The server's day plan knows holidays and periods; an older server sends only the weekly ranges.
  const todays = holiday ? [] : today !== undefined
    ? today.schedules.map((x) => ({ name: x.name, ranges: x.ranges.map((r) => `${clockText(r.from, lang)}–${clockText(r.to, lang)}`) })).filter((x) => x.ranges.length > 0)
    : schedules.map((sc) => ({ name: sc.name, ranges: todayRanges(sc, weekday, lang) })).filter((x) => x.ranges.length > 0);

  return (
    <div class="status-page">
      <h1>{t('status.title')}</h1>
      <p class="muted" data-testid="status-now">{t('status.now', { now: formatDateTime(now, s.timezone, lang) })}</p>
      <section class={`banner ${words.blocked ? 'banner-blocked' : 'banner-free'}`} data-testid="status-banner"
        data-blocked={words.blocked ? 'true' : 'false'} aria-live="polite">
        <svg class="banner-icon" viewBox="0 0 32 32" aria-hidden="true">
          {words.blocked
            ? <><circle cx="16" cy="16" r="15" /><rect x="7" y="13" width="18" height="6" rx="1" class="icon-cut" /></>
            : <><circle cx="16" cy="16" r="15" /><path d="M9 16.5l4.5 4.5L23 11.5" class="icon-tick" /></>}
        </svg>
        <div>
          <p class="banner-text" data-testid="status-sentence">{words.sentence}</p>
          {words.next !== null && <p class="banner-next" data-testid="status-next">{words.next}</p>}
        </div>
      </section>

      <section class="card">
        <h2>{t('status.today')}</h2>
        {holiday && <p data-testid="today-holiday">{holidayName !== null ? t('status.freeHoliday', { holiday: holidayName }) : t('status.freeHolidayUnnamed')}</p>}
        {!holiday && todayPeriod !== null && today !== undefined && (
          <p data-testid="today-period">{t('status.periodHours', { period: periodLabel(todayPeriod), ranges: dayRanges(today, lang).join(', ') })}</p>
        )}
        {!holiday && todays.length === 0 && <p data-testid="today-free">{t('status.todayFree')}</p>}
        {todays.length > 0 && (
          <ul class="today-list" data-testid="today-schedule">
            {todays.map((x) => (
              <li key={x.name}><span class="today-ranges">{x.ranges.join(', ')}</span> <span class="muted">({x.name})</span></li>
            ))}
          </ul>
        )}
      </section>

      {s.days !== undefined && s.days.length > 0 && (
        <section class="card">
          <h2>{t('status.strip.title', { days: s.days.length })}</h2>
          <CalendarStrip days={s.days} />
        </section>
      )}

      <section class="card">
        <h2>{t('status.rules')}</h2>
        <ul class="rule-list">
          {s.rules.map((r) => <RuleLine key={r.name} rule={r} status={s} now={now} />)}
        </ul>
      </section>

      <p class="staff-note">{t('status.staffNote')}</p>
      <p class="login-link"><a href={href('login')}>{t('status.loginLink')}</a></p>
    </div>
  );
}
