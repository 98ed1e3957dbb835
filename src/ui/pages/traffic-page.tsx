/**
 * "Lalu lintas": where the bandwidth went over a chosen range (by service or department over time as
 * a stacked chart, by service, by department, top clients) from the flow collector, the critical
 * services' availability and latency from the probes, and a before/after view around a chosen date
 * (streaming share and probe latency in work hours), each downloadable as CSV. Ranges end at the
 * server's clock.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { Status } from '../api-types.js';
import { useApp } from '../app-context.js';
import { BarList } from '../components/bar-list.js';
import { DataTable } from '../components/data-table.js';
import { ErrorNote, Loading } from '../components/error-note.js';
import { StackedChart } from '../components/stacked-chart.js';
import { downloadCsv, formatBytes } from '../format-bytes.js';
import { t } from '../i18n.js';
import { formatNumber, toMs, zonedParts } from '../time-format.js';
import { useLoad } from '../use-load.js';
import { CompareCard } from './traffic-compare.js';

interface TrafficRow { key: string; bytes: number; packets: number; flows: number }
interface ProbeRow { key: string; probes: number; available: number; availability: number; p50Ms: number | null; p95Ms: number | null }

const RANGES = { day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 } as const;
type RangeKey = keyof typeof RANGES;

function TrafficCard(props: { title: string; by: 'service' | 'group' | 'client'; from: string; limit?: number }) {
  const loaded = useLoad((signal) => api.get<{ rows: TrafficRow[] }>('/api/traffic', { signal, query: { by: props.by, from: props.from } }), [props.by, props.from]);
  const rows = loaded.data?.rows.slice(0, props.limit ?? 50) ?? null;
  const total = loaded.data?.rows.reduce((n, r) => n + r.bytes, 0) ?? 0;
  return (
    <section class="card" data-testid={`traffic-${props.by}`}>
      <div class="card-head">
        <h2>{props.title}</h2>
        {rows !== null && rows.length > 0 && (
          <button type="button" class="btn btn-small btn-ghost" onClick={() => downloadCsv(`rambu-traffic-${props.by}.csv`, ['key', 'bytes', 'packets', 'flows'], loaded.data!.rows.map((r) => [r.key, r.bytes, r.packets, r.flows]))}>
            {t('traffic.csv')}
          </button>
        )}
      </div>
      <ErrorNote error={loaded.error} onRetry={loaded.reload} />
      {rows === null && loaded.error === null && <Loading />}
      {rows !== null && (
        <BarList items={rows.map((r) => ({ key: r.key, count: r.bytes }))} empty={t('traffic.empty')} tone="neutral"
          label={(key) => { const r = rows.find((x) => x.key === key); return r === undefined || total === 0 ? key : `${key} · ${formatBytes(r.bytes)} · ${((r.bytes / total) * 100).toFixed(1)}%`; }} />
      )}
    </section>
  );
}

function SeriesCard(props: { from: string; to: string; bucket: 'hour' | 'day' }) {
  const [by, setBy] = useState<'service' | 'group'>('service');
  const loaded = useLoad((signal) => api.get<{ points: { time: string; key: string; bytes: number }[] }>('/api/traffic/series', {
    signal, query: { by, bucket: props.bucket, from: props.from, to: props.to },
  }), [by, props.bucket, props.from, props.to]);
  const points = loaded.data?.points.map((p) => ({ time: Date.parse(p.time), key: p.key, bytes: p.bytes })) ?? null;
  return (
    <section class="card" data-testid="traffic-series">
      <div class="card-head">
        <h2>{t('traffic.overTime')}</h2>
        <label>
          {t('traffic.stackBy')}{' '}
          <select value={by} onChange={(e) => setBy((e.target as HTMLSelectElement).value as 'service' | 'group')} data-testid="traffic-series-by">
            <option value="service">{t('traffic.stackBy.service')}</option>
            <option value="group">{t('traffic.stackBy.group')}</option>
          </select>
        </label>
        {loaded.data !== null && loaded.data.points.length > 0 && (
          <button type="button" class="btn btn-small btn-ghost" onClick={() => downloadCsv(`rambu-traffic-${by}-per-${props.bucket}.csv`, ['time', 'key', 'bytes'], loaded.data!.points.map((p) => [p.time, p.key, p.bytes]))}>
            {t('traffic.csv')}
          </button>
        )}
      </div>
      <ErrorNote error={loaded.error} onRetry={loaded.reload} />
      {points === null && loaded.error === null && <Loading />}
      {points !== null && points.length === 0 && <p class="muted">{t('traffic.empty')}</p>}
      {points !== null && points.length > 0 && (
        <StackedChart points={points} from={Date.parse(props.from)} to={Date.parse(props.to)} bucketMs={props.bucket === 'hour' ? 3_600_000 : 86_400_000} />
      )}
    </section>
  );
}

export function TrafficPage() {
  const { lang, timezone } = useApp();
  const [range, setRange] = useState<RangeKey>('day');
  // The server's clock, so that ranges agree with what the gateway counted.
  const status = useLoad((signal) => api.get<Status>('/api/status', { signal }), []);
  if (status.data === null) return <div><h1>{t('traffic.title')}</h1><ErrorNote error={status.error} onRetry={status.reload} />{status.error === null && <Loading />}</div>;
  const now = Number.isFinite(toMs(status.data.now)) ? toMs(status.data.now) : Date.now();
  // Rounded to the minute, so that the cards load the same range.
  const end = Math.floor(now / 60_000) * 60_000 + 60_000;
  const from = new Date(end - RANGES[range]).toISOString();
  const to = new Date(end).toISOString();
  const today = zonedParts(now, timezone);
  const todayKey = `${today.year}-${String(today.month).padStart(2, '0')}-${String(today.day).padStart(2, '0')}`;
  const probes = useLoad((signal) => api.get<{ rows: ProbeRow[] }>('/api/probes', { signal, query: { from } }), [from]);
  const ms = (v: number | null): string => (v === null ? '-' : formatNumber(Math.round(v), lang));
  return (
    <div>
      <div class="page-head">
        <h1>{t('traffic.title')}</h1>
        <label>
          {t('traffic.range')}{' '}
          <select value={range} onChange={(e) => setRange((e.target as HTMLSelectElement).value as RangeKey)} data-testid="traffic-range">
            {(Object.keys(RANGES) as RangeKey[]).map((k) => <option value={k}>{t(`traffic.range.${k}`)}</option>)}
          </select>
        </label>
      </div>
      <SeriesCard from={from} to={to} bucket={range === 'day' ? 'hour' : 'day'} />
      <TrafficCard title={t('traffic.byService')} by="service" from={from} />
      <TrafficCard title={t('traffic.byGroup')} by="group" from={from} />
      <TrafficCard title={t('traffic.topClients')} by="client" from={from} limit={20} />
      <section class="card" data-testid="traffic-probes">
        <h2>{t('traffic.probes')}</h2>
        <ErrorNote error={probes.error} onRetry={probes.reload} />
        {probes.data === null && probes.error === null && <Loading />}
        {probes.data !== null && (
          <DataTable rows={probes.data.rows} rowKey={(r) => r.key} empty={t('traffic.probesEmpty')} columns={[
            { label: t('traffic.probe'), cell: (r) => r.key },
            { label: t('traffic.probeCount'), cell: (r) => formatNumber(r.probes, lang), class: 'num' },
            { label: t('traffic.availability'), cell: (r) => `${(r.availability * 100).toFixed(2)}%`, class: 'num' },
            { label: t('traffic.p50'), cell: (r) => ms(r.p50Ms), class: 'num' },
            { label: t('traffic.p95'), cell: (r) => ms(r.p95Ms), class: 'num' },
          ]} />
        )}
      </section>
      <CompareCard defaultDate={todayKey} />
    </div>
  );
}
