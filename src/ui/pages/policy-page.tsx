/**
 * The policy: each schedule as a week picture, holidays, rules, groups and the service catalog; admins
 * also get the YAML editor.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { Holiday, PolicyView, ServiceInfo } from '../api-types.js';
import { hasRole, useApp } from '../app-context.js';
import { periodLabel } from '../components/calendar-strip.js';
import { DataTable } from '../components/data-table.js';
import { ErrorNote, Loading } from '../components/error-note.js';
import { WeekTimeline } from '../components/week-timeline.js';
import { YamlEditor } from '../components/yaml-editor.js';
import { t } from '../i18n.js';
import { describeRange } from '../schedule-ranges.js';
import { serviceLabel } from '../status-words.js';
import { formatDate, formatNumber, fromZoned, formatWhen, toMs, toZonedIso, zoneName } from '../time-format.js';
import { useLoad } from '../use-load.js';

function holidayDate(h: string | Holiday): { date: string; name: string | null } {
  return typeof h === 'string' ? { date: h, name: null } : { date: h.date, name: h.name ?? null };
}

function domainCount(s: ServiceInfo): number {
  return typeof s.domains === 'number' ? s.domains : s.domains.length;
}

/** A few domains of a service; the count beside them says how many more there are. */
const SAMPLE_SIZE = 4;

function sampleOf(s: ServiceInfo): string[] {
  return (s.sample ?? (Array.isArray(s.domains) ? s.domains : [])).slice(0, SAMPLE_SIZE);
}

function ServiceCatalog(props: { services: readonly ServiceInfo[] }) {
  const { lang } = useApp();
  const [filter, setFilter] = useState('');
  const q = filter.trim().toLowerCase();
  const rows = props.services.filter((s) => q === '' || s.name.includes(q) || (s.sample ?? []).some((d) => d.includes(q)));
  return (
    <>
      <input class="filter" type="search" placeholder={t('policy.service.filter')} aria-label={t('policy.service.filter')}
        value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      <DataTable
        testId="services"
        rows={rows}
        rowKey={(s) => s.name}
        empty={t('common.none')}
        columns={[
          { label: t('policy.rule.name'), cell: (s) => <><strong>{serviceLabel(s.name)}</strong>{serviceLabel(s.name) !== s.name && <span class="muted"> ({s.name})</span>}</> },
          {
            label: t('policy.service.kind'),
            cell: (s) => s.kind === 'blocklist' ? t('policy.service.blocklist') : s.builtin === false ? t('policy.service.custom') : t('policy.service.builtin'),
          },
          { label: t('policy.service.domains'), cell: (s) => formatNumber(domainCount(s), lang), class: 'num' },
          {
            label: t('policy.service.sample'),
            cell: (s) => {
              const sample = sampleOf(s);
              const more = domainCount(s) - sample.length;
              return <span class="sample">{sample.join(', ')}{more > 0 ? ` … (+${formatNumber(more, lang)})` : ''}</span>;
            },
          },
        ]}
      />
    </>
  );
}

export function PolicyPage() {
  const { lang, session } = useApp();
  const loaded = useLoad((signal) => api.get<PolicyView>('/api/policy', { signal }), []);
  if (loaded.data === null) {
    return loaded.error !== null ? <ErrorNote error={loaded.error} onRetry={loaded.reload} /> : <Loading />;
  }
  const p = loaded.data;
  const now = Date.now();
  const isAdmin = hasRole(session, 'admin');
  // With a built-in calendar the list runs to dozens of dates a year: the ones from today on matter.
  const todayKey = toZonedIso(now, p.timezone).slice(0, 10);
  const holidays = p.holidays.map(holidayDate)
    .map((h) => ({ ...h, name: h.name ?? p.holidayNames?.[h.date] ?? null }))
    .filter((h) => (p.calendars ?? []).length === 0 || h.date >= todayKey);

  return (
    <div>
      <div class="page-head">
        <h1>{t('policy.title')}</h1>
        <span class="muted">{t('policy.timezone', { tz: `${p.timezone} (${zoneName(p.timezone)})` })}</span>
      </div>

      <section class="card">
        <h2>{t('policy.schedules')}</h2>
        {p.schedules.length === 0 && <p class="muted">{t('common.none')}</p>}
        {p.schedules.map((s) => {
          const next = s.transitions?.[0];
          return (
            <div class="schedule" key={s.name}>
              <h3>
                {s.name}
                {s.active !== undefined && <span class={`pill ${s.active ? 'pill-block' : 'pill-off'}`}>{s.active ? t('exemptions.state.active') : t('status.rule.inactive')}</span>}
              </h3>
              <p class="muted schedule-ranges">
                {s.ranges.map((r) => describeRange(r, lang)).join('; ')}
                {next !== undefined && Number.isFinite(toMs(next.at)) && <> · {t('status.nextChange', { when: formatWhen(toMs(next.at), p.timezone, lang, now) })}</>}
              </p>
              <WeekTimeline name={s.name} ranges={s.ranges} now={now} />
              {(s.periods ?? []).map((period) => (
                <p class="muted schedule-period" key={`${period.name}-${period.from}`} data-testid={`period-${s.name}-${period.from}`}>
                  {periodLabel(period.name)} {period.from} – {period.to}: {period.ranges.length === 0 ? t('status.strip.free') : period.ranges.map((r) => describeRange(r, lang)).join('; ')}
                </p>
              ))}
            </div>
          );
        })}
        <h3>{t('policy.holidays')}</h3>
        {(p.calendars ?? []).length > 0 && <p class="muted" data-testid="calendars">{t('policy.calendars', { calendars: (p.calendars ?? []).join(', '), end: p.calendarDataEnd ?? '' })}</p>}
        {holidays.length === 0
          ? <p class="muted">{t('policy.noHolidays')}</p>
          : (
            <ul class="holidays" data-testid="holidays">
              {holidays.map((h) => {
                const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(h.date);
                const at = m === null ? NaN : fromZoned({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: 12, minute: 0 }, p.timezone);
                return <li key={h.date}>{Number.isFinite(at) ? formatDate(at, p.timezone, lang) : h.date}{h.name !== null && ` — ${h.name}`}</li>;
              })}
            </ul>
          )}
      </section>

      <section class="card">
        <h2>{t('policy.rules')}</h2>
        <DataTable
          testId="rules"
          rows={p.rules}
          rowKey={(r) => r.name}
          empty={t('common.none')}
          columns={[
            { label: t('policy.rule.name'), cell: (r) => <strong>{r.name}</strong> },
            { label: t('policy.rule.action'), cell: (r) => <span class={`pill ${r.action === 'block' ? 'pill-block' : 'pill-allow'}`}>{t(r.action === 'block' ? 'policy.action.block' : 'policy.action.allow')}</span> },
            { label: t('policy.rule.services'), cell: (r) => r.services.map(serviceLabel).join(', ') },
            { label: t('policy.rule.groups'), cell: (r) => r.groups.length === 0 ? t('common.all') : r.groups.join(', ') },
            { label: t('policy.rule.during'), cell: (r) => r.during ?? t('common.always') },
            { label: t('policy.rule.mode'), cell: (r) => r.startsOn != null ? <span class="pill pill-monitor">{t('status.rule.monitorUntil', { date: r.startsOn })}</span> : r.mode === 'monitor' ? <span class="pill pill-monitor">{t('status.rule.monitor')}</span> : t('policy.rule.enforce') },
          ]}
        />
      </section>

      <section class="card">
        <h2>{t('policy.groups')}</h2>
        <DataTable
          testId="groups"
          rows={p.groups}
          rowKey={(g) => g.name}
          empty={t('common.none')}
          columns={[
            { label: t('policy.rule.name'), cell: (g) => <strong>{g.name}</strong> },
            { label: t('policy.group.networks'), cell: (g) => <span class="sample">{g.networks.join(', ')}</span> },
          ]}
        />
      </section>

      <section class="card">
        <h2>{t('policy.services')}</h2>
        <ServiceCatalog services={p.services} />
      </section>

      {isAdmin && p.editable !== false && (
        <section class="card">
          <h2>{t('policy.edit')}</h2>
          <YamlEditor onSaved={loaded.reload} />
        </section>
      )}
    </div>
  );
}
