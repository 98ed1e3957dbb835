/**
 * "Lalu lintas": where the bandwidth went (by service, by department, top clients) from the flow
 * collector, and the critical services' availability and latency from the probes, over a chosen
 * range, each table downloadable as CSV.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { useApp } from '../app-context.js';
import { BarList } from '../components/bar-list.js';
import { DataTable } from '../components/data-table.js';
import { ErrorNote, Loading } from '../components/error-note.js';
import { t } from '../i18n.js';
import { formatNumber } from '../time-format.js';
import { useLoad } from '../use-load.js';

interface TrafficRow { key: string; bytes: number; packets: number; flows: number }
interface ProbeRow { key: string; probes: number; available: number; availability: number; p50Ms: number | null; p95Ms: number | null }

const RANGES = { day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 } as const;
type RangeKey = keyof typeof RANGES;

/** Bytes in the largest binary unit that keeps the number at or above 1. */
function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

function downloadCsv(name: string, header: string[], rows: (string | number | null)[][]): void {
  const cell = (v: string | number | null): string => (v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const text = [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

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

export function TrafficPage() {
  const { lang } = useApp();
  const [range, setRange] = useState<RangeKey>('day');
  // Rounded to the minute, so that the cards load the same range.
  const from = new Date(Math.floor((Date.now() - RANGES[range]) / 60_000) * 60_000).toISOString();
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
    </div>
  );
}
