/**
 * Overview: the status now in words, what was blocked today by service, group and client, and queries
 * per minute over the last 24 hours.
 */
import { api } from '../api.js';
import type { Count, MinutePoint, OverviewResponse, Status } from '../api-types.js';
import { useApp } from '../app-context.js';
import { BarList } from '../components/bar-list.js';
import { CalendarStrip, dayRanges, periodLabel } from '../components/calendar-strip.js';
import { ErrorNote, Loading } from '../components/error-note.js';
import { GatewayList } from '../components/gateway-list.js';
import { MinuteChart } from '../components/minute-chart.js';
import { DataTable } from '../components/data-table.js';
import { EnforcementPanel } from '../components/enforcement-panel.js';
import { t } from '../i18n.js';
import { describeStatus, serviceLabel } from '../status-words.js';
import { formatDateTime, formatNumber, formatShort, toMs } from '../time-format.js';
import { useLoad } from '../use-load.js';

interface Data { status: Status; overview: OverviewResponse; traffic: { total: number; streaming: number } | null }

const NO_GROUP = '\u0000';

export function OverviewPage() {
  const { lang, timezone } = useApp();
  const loaded = useLoad(async (signal): Promise<Data> => {
    const [status, overview] = await Promise.all([
      api.get<Status>('/api/status', { signal }),
      api.get<OverviewResponse>('/api/overview', { signal }),
    ]);
    // Today's bandwidth, when a flow collector feeds it (the route is absent elsewhere).
    const flows = await api.get<{ rows: { bytes: number }[]; streamingBytes: number }>('/api/traffic', { signal, query: { by: 'service', from: overview.day.from } }).catch(() => null);
    const total = flows?.rows.reduce((n, r) => n + r.bytes, 0) ?? 0;
    return { status, overview, traffic: flows === null || total === 0 ? null : { total, streaming: flows.streamingBytes } };
  }, [], 60_000);

  if (loaded.data === null) {
    return loaded.error !== null ? <ErrorNote error={loaded.error} onRetry={loaded.reload} /> : <Loading />;
  }
  const { status, overview, traffic } = loaded.data;
  const words = describeStatus(status, lang);
  const now = Number.isFinite(toMs(status.now)) ? toMs(status.now) : Date.now();
  const byService: Count[] = overview.blockedByService.map((x) => ({ key: x.service ?? NO_GROUP, count: x.count }));
  const byGroup: Count[] = overview.blockedByGroup.map((x) => ({ key: x.group ?? NO_GROUP, count: x.count }));
  const points: MinutePoint[] = overview.queriesPerMinute
    .map((p) => ({ at: toMs(p.minute), total: p.total, blocked: p.blocked }))
    .filter((p) => Number.isFinite(p.at));
  const end = Math.max(now, toMs(overview.day.to) || 0);
  const groupLabel = (key: string) => key === NO_GROUP ? `(${t('common.none')})` : key;
  const today = status.days?.[0];
  const todayPeriod = today === undefined || today.holiday ? null : (today.schedules.find((x) => x.period !== null && x.ranges.length > 0)?.period ?? null);

  return (
    <div>
      <div class="page-head">
        <h1>{t('overview.title')}</h1>
        <span class="muted">{t('common.updated', { time: formatShort(now, timezone, lang, now) })}</span>
      </div>
      <section class={`banner banner-compact ${words.blocked ? 'banner-blocked' : 'banner-free'}`} data-testid="overview-status"
        data-blocked={words.blocked ? 'true' : 'false'}>
        <div>
          <p class="banner-label">{t('overview.statusNow')}</p>
          <p class="banner-text" data-testid="overview-status-text">{words.short}</p>
          <p class="banner-next">{words.sentence}</p>
        </div>
        {/* While blocked the headline already says until when; while free, say when the next block starts. */}
        {!words.blocked && (
          <div class="banner-side">
            <p class="banner-label">{t('overview.nextChange')}</p>
            <p data-testid="overview-next">
              {Number.isFinite(words.nextAt) ? formatDateTime(words.nextAt, timezone, lang) : t('overview.noNextChange')}
            </p>
          </div>
        )}
      </section>

      <div class="stats">
        <div class="stat card">
          <span class="stat-label">{t('overview.queriesToday')}</span>
          <span class="stat-value" data-testid="stat-queries">{formatNumber(overview.totals.queries, lang)}</span>
        </div>
        <div class="stat card">
          <span class="stat-label">{t('overview.blockedToday')}</span>
          <span class="stat-value stat-block" data-testid="stat-blocked">{formatNumber(overview.totals.blocked, lang)}</span>
        </div>
        <div class="stat card">
          <span class="stat-label">{t('overview.wouldBlockToday')}</span>
          <span class="stat-value stat-monitor" data-testid="stat-would-block">{formatNumber(overview.totals.wouldBlock ?? 0, lang)}</span>
        </div>
        {traffic !== null && (
          <div class="stat card">
            <span class="stat-label">{t('overview.streamingShare')}</span>
            <span class="stat-value" data-testid="stat-streaming-share">{`${((traffic.streaming / traffic.total) * 100).toFixed(1)}%`}</span>
          </div>
        )}
      </div>

      {status.enforcement != null && <EnforcementPanel enforcement={status.enforcement} />}

      {status.days !== undefined && status.days.length > 0 && (
        <section class="card">
          <h2>{t('status.strip.title', { days: status.days.length })}</h2>
          {todayPeriod !== null && today !== undefined && (
            <p data-testid="overview-period">{t('status.periodHours', { period: periodLabel(todayPeriod), ranges: dayRanges(today, lang).join(', ') })}</p>
          )}
          <CalendarStrip days={status.days} />
        </section>
      )}

      <section class="card">
        <h2>{t('overview.perMinute')}</h2>
        <MinuteChart points={points} end={end} />
      </section>

      <div class="grid-2">
        <section class="card">
          <h2>{t('overview.byService')}</h2>
          <BarList items={byService} label={(k) => k === NO_GROUP ? `(${t('common.none')})` : serviceLabel(k)} empty={t('overview.noData')} testId="by-service" />
        </section>
        <section class="card">
          <h2>{t('overview.byGroup')}</h2>
          <BarList items={byGroup} label={groupLabel} empty={t('overview.noData')} testId="by-group" />
        </section>
      </div>

      <section class="card">
        <h2>{t('overview.topClients')}</h2>
        <DataTable
          testId="top-clients"
          rows={overview.topBlockedClients}
          rowKey={(r) => r.client}
          empty={t('overview.noData')}
          columns={[
            { label: t('overview.client'), cell: (r) => <code>{r.client}</code> },
            { label: t('policy.rule.groups'), cell: (r) => r.group ?? '—' },
            { label: t('common.count'), cell: (r) => formatNumber(r.count, lang), class: 'num' },
          ]}
        />
      </section>

      <GatewayList />
    </div>
  );
}
