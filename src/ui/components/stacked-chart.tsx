/**
 * Bytes over time as stacked bars, one colour per key (service or department): the biggest keys
 * each get their own, the rest share one. Buckets are the API's (hours for a day, days for longer),
 * laid out from `from` to `to` in the policy's time zone, empty ones included. Hand-drawn SVG.
 */
import { useState } from 'preact/hooks';
import { useApp } from '../app-context.js';
import { formatBytes } from '../format-bytes.js';
import { t } from '../i18n.js';
import { clock, formatShort, zonedParts, zoneOffsetMinutes } from '../time-format.js';
import { useWidth } from '../use-width.js';

export interface SeriesPoint { time: number; key: string; bytes: number }

const HEIGHT = 220;
const PAD = { top: 12, right: 10, bottom: 24, left: 64 };
/** Keys drawn in their own colour; the rest are summed as one. */
const MAX_KEYS = 7;
const COLORS = ['#1558b0', '#d9480f', '#2b8a3e', '#ae3ec9', '#e67700', '#0b7285', '#5c940d'];
const REST_COLOR = '#adb5bd';
export const REST_KEY = '(lainnya)';

/** A round number of bytes at or above `n` for the top of the axis: 1, 2 or 5 times a power of 1024 steps. */
function niceBytes(n: number): number {
  if (n <= 1) return 1;
  const unit = 1024 ** Math.floor(Math.log(n) / Math.log(1024));
  const v = n / unit;
  const pow = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * pow >= v) return m * pow * unit;
  return 10 * pow * unit;
}

export function StackedChart(props: { points: readonly SeriesPoint[]; from: number; to: number; bucketMs: number; testId?: string }) {
  const { timezone, lang } = useApp();
  const [ref, width] = useWidth<HTMLDivElement>(640);
  const [hover, setHover] = useState<number | null>(null);

  const totals = new Map<string, number>();
  for (const p of props.points) totals.set(p.key, (totals.get(p.key) ?? 0) + p.bytes);
  const ranked = [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const own = ranked.slice(0, ranked.length > MAX_KEYS ? MAX_KEYS - 1 : MAX_KEYS).map(([k]) => k);
  const keys = ranked.length > own.length ? [...own, REST_KEY] : own;
  const keyOf = (k: string): string => (own.includes(k) ? k : REST_KEY);
  const color = (k: string): string => (k === REST_KEY ? REST_COLOR : COLORS[own.indexOf(k) % COLORS.length]!);

  // Buckets start on local hours or local midnights, as the API sums them.
  const offset = zoneOffsetMinutes(props.from, timezone) * 60_000;
  const first = props.from - (((props.from + offset) % props.bucketMs) + props.bucketMs) % props.bucketMs;
  const starts: number[] = [];
  for (let at = first; at < props.to && starts.length < 1000; at += props.bucketMs) starts.push(at);
  const stacks = starts.map(() => new Map<string, number>());
  for (const p of props.points) {
    const i = Math.floor((p.time - first) / props.bucketMs);
    const s = stacks[i];
    if (s === undefined) continue;
    const k = keyOf(p.key);
    s.set(k, (s.get(k) ?? 0) + p.bytes);
  }
  const peak = stacks.reduce((m, s) => Math.max(m, [...s.values()].reduce((a, b) => a + b, 0)), 0);
  const top = niceBytes(peak);

  const w = Math.max(240, width);
  const plotW = w - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, starts.length);
  const barW = Math.max(1, slot * 0.8);
  const y = (v: number): number => PAD.top + plotH - (v / top) * plotH;
  const labelEvery = Math.max(1, Math.ceil(starts.length / Math.max(2, Math.floor(plotW / 60))));
  const daily = props.bucketMs >= 86_400_000;
  const hovered = hover === null ? undefined : stacks[hover];

  return (
    <figure class="chart" ref={ref} data-testid={props.testId ?? 'stacked-chart'}>
      <svg width={w} height={HEIGHT} viewBox={`0 0 ${w} ${HEIGHT}`} role="img" aria-label={t('traffic.chartLabel', { peak: formatBytes(peak) })}
        onPointerLeave={() => setHover(null)}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="grid" x1={PAD.left} x2={w - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text class="axis" x={PAD.left - 6} y={y(top * f) + 4} text-anchor="end">{formatBytes(top * f)}</text>
          </g>
        ))}
        {starts.map((at, i) => {
          const x = PAD.left + i * slot + (slot - barW) / 2;
          let base = 0;
          const parts = keys.map((k) => {
            const v = stacks[i]!.get(k) ?? 0;
            if (v === 0) return null;
            const y0 = y(base);
            base += v;
            const y1 = y(base);
            return (
              <rect key={k} class="stack" x={x} y={y1} width={barW} height={Math.max(0.5, y0 - y1)} fill={color(k)}
                data-key={k} data-time={new Date(at).toISOString()} data-bytes={v}>
                <title>{`${formatShort(at, timezone, lang)} · ${k}: ${formatBytes(v)}`}</title>
              </rect>
            );
          });
          const p = zonedParts(at, timezone);
          return (
            <g key={at} onPointerEnter={() => setHover(i)}>
              <rect class="stack-hit" x={PAD.left + i * slot} y={PAD.top} width={slot} height={plotH} fill="transparent" />
              {parts}
              {i % labelEvery === 0 && (
                <text class="axis" x={x + barW / 2} y={HEIGHT - 6} text-anchor="middle">{daily ? `${p.day}/${p.month}` : clock(p.hour, 0, lang)}</text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {keys.map((k) => (
          <span key={k} class="legend-key" data-testid="chart-legend" data-key={k}>
            <svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill={color(k)} /></svg>
            {' '}{k === REST_KEY ? t('traffic.rest') : k} · {formatBytes(k === REST_KEY ? ranked.filter(([x]) => !own.includes(x)).reduce((n, [, v]) => n + v, 0) : totals.get(k) ?? 0)}
          </span>
        ))}
        {hover !== null && hovered !== undefined && (
          <span class="hover-text">
            {formatShort(starts[hover]!, timezone, lang)}: {formatBytes([...hovered.values()].reduce((a, b) => a + b, 0))}
          </span>
        )}
      </figcaption>
    </figure>
  );
}
