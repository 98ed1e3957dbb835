/**
 * The before/after view of "Lalu lintas": around a chosen date (the day the policy started), the
 * streaming share of bandwidth and each critical service's latency and availability in work hours
 * (07:00-16:00 on working days of the policy's calendar), the given number of working days on each
 * side, with the change and a CSV of the same table.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { useApp } from '../app-context.js';
import { ErrorNote, Loading } from '../components/error-note.js';
import { downloadCsv, formatBytes } from '../format-bytes.js';
import { t } from '../i18n.js';
import { formatNumber } from '../time-format.js';
import { useLoad } from '../use-load.js';

interface ProbeRow { key: string; probes: number; available: number; availability: number; p50Ms: number | null; p95Ms: number | null }
interface Side { dates: string[]; bytes: number; streamingBytes: number; streamingShare: number | null; probes: ProbeRow[] }
interface Compare { date: string; days: number; timezone: string; workHours: { from: string; to: string }; before: Side; after: Side }

/** One line of the table: label, then the value before and after, as numbers (CSV) and as text. */
interface Line { id: string; label: string; before: number | null; after: number | null; show: (v: number) => string; lowerIsBetter: boolean }

const DAY_CHOICES = [1, 5, 10, 20] as const;

function lines(c: Compare, lang: 'id' | 'en'): Line[] {
  const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
  const ms = (v: number): string => `${formatNumber(Math.round(v), lang)} ms`;
  const out: Line[] = [
    { id: 'streaming-share', label: t('compare.streamingShare'), before: c.before.streamingShare, after: c.after.streamingShare, show: pct, lowerIsBetter: true },
    { id: 'streaming-bytes', label: t('compare.streamingBytes'), before: c.before.streamingBytes, after: c.after.streamingBytes, show: formatBytes, lowerIsBetter: true },
    { id: 'bytes', label: t('compare.bytes'), before: c.before.bytes, after: c.after.bytes, show: formatBytes, lowerIsBetter: true },
  ];
  const names = [...new Set([...c.before.probes, ...c.after.probes].map((p) => p.key))].sort();
  for (const name of names) {
    const b = c.before.probes.find((p) => p.key === name);
    const a = c.after.probes.find((p) => p.key === name);
    out.push(
      { id: `p50-${name}`, label: t('compare.p50', { name }), before: b?.p50Ms ?? null, after: a?.p50Ms ?? null, show: ms, lowerIsBetter: true },
      { id: `p95-${name}`, label: t('compare.p95', { name }), before: b?.p95Ms ?? null, after: a?.p95Ms ?? null, show: ms, lowerIsBetter: true },
      { id: `availability-${name}`, label: t('compare.availability', { name }), before: b?.availability ?? null, after: a?.availability ?? null, show: pct, lowerIsBetter: false },
    );
  }
  return out;
}

function change(l: Line): { text: string; good: boolean | null } {
  if (l.before === null || l.after === null) return { text: '-', good: null };
  if (l.before === 0) return { text: l.after === 0 ? '0%' : '-', good: null };
  const rel = (l.after - l.before) / l.before;
  return { text: `${rel > 0 ? '+' : ''}${(rel * 100).toFixed(1)}%`, good: rel === 0 ? null : (rel < 0) === l.lowerIsBetter };
}

export function CompareCard(props: { defaultDate: string }) {
  const { lang } = useApp();
  const [date, setDate] = useState(props.defaultDate);
  const [days, setDays] = useState<number>(5);
  const loaded = useLoad((signal) => api.get<Compare>('/api/traffic/compare', { signal, query: { date, days } }), [date, days]);
  const c = loaded.data;
  const table = c === null ? [] : lines(c, lang);
  const span = (s: Side): string => (s.dates.length === 0 ? t('compare.noDays') : s.dates.length === 1 ? s.dates[0]! : `${s.dates[0]} – ${s.dates[s.dates.length - 1]} (${s.dates.length} ${t('compare.workDays')})`);
  return (
    <section class="card" data-testid="traffic-compare">
      <div class="card-head">
        <h2>{t('compare.title')}</h2>
        <label>
          {t('compare.date')}{' '}
          <input type="date" value={date} data-testid="compare-date" onChange={(e) => { const v = (e.target as HTMLInputElement).value; if (v !== '') setDate(v); }} />
        </label>
        <label>
          {t('compare.days')}{' '}
          <select value={String(days)} data-testid="compare-days" onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
            {DAY_CHOICES.map((d) => <option value={String(d)}>{d}</option>)}
          </select>
        </label>
        {c !== null && (
          <button type="button" class="btn btn-small btn-ghost" data-testid="compare-csv" onClick={() => downloadCsv(`rambu-before-after-${c.date}.csv`, ['metric', 'before', 'after'],
            table.map((l) => [l.id, l.before, l.after]))}>
            {t('traffic.csv')}
          </button>
        )}
      </div>
      <p class="muted">{t('compare.note', { from: c?.workHours.from ?? '07:00', to: c?.workHours.to ?? '16:00' })}</p>
      <ErrorNote error={loaded.error} onRetry={loaded.reload} />
      {c === null && loaded.error === null && <Loading />}
      {c !== null && (
        <table class="data">
          <thead>
            <tr>
              <th>{t('compare.metric')}</th>
              <th class="num">{t('compare.before')}<br /><span class="muted" data-testid="compare-before-days">{span(c.before)}</span></th>
              <th class="num">{t('compare.after')}<br /><span class="muted" data-testid="compare-after-days">{span(c.after)}</span></th>
              <th class="num">{t('compare.change')}</th>
            </tr>
          </thead>
          <tbody>
            {table.map((l) => {
              const ch = change(l);
              return (
                <tr key={l.id} data-testid={`compare-${l.id}`}>
                  <td>{l.label}</td>
                  <td class="num" data-testid="before">{l.before === null ? '-' : l.show(l.before)}</td>
                  <td class="num" data-testid="after">{l.after === null ? '-' : l.show(l.after)}</td>
                  <td class={`num ${ch.good === true ? 'change-good' : ch.good === false ? 'change-bad' : ''}`} data-testid="change">{ch.text}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
