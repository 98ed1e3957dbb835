/**
 * Queries per minute over the last 24 hours: all queries as a filled area, blocked ones as a red line,
 * hours along the bottom in the policy's time zone. Hand-drawn SVG at the element's real width.
 */
import { useState } from 'preact/hooks';
import type { MinutePoint } from '../api-types.js';
import { useApp } from '../app-context.js';
import { t } from '../i18n.js';
import { clock, formatNumber, formatShort, zonedParts } from '../time-format.js';
import { useWidth } from '../use-width.js';

const HEIGHT = 200;
const PAD = { top: 12, right: 10, bottom: 24, left: 44 };
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A round number at or above `n` for the top of the axis: 1, 2, 5, 10, 20, 50, ... */
function niceCeil(n: number): number {
  if (n <= 1) return 1;
  const pow = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * pow >= n) return m * pow;
  return 10 * pow;
}

export function MinuteChart(props: { points: readonly MinutePoint[]; end: number }) {
  const { timezone, lang } = useApp();
  const [ref, width] = useWidth<HTMLDivElement>(640);
  const [hover, setHover] = useState<number | null>(null);

  const start = props.end - DAY;
  const w = Math.max(200, width);
  const plotW = w - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  // One bucket per ~3 pixels: a bucket wider than a minute shows its busiest minute, so peaks survive
  // on a narrow screen; minutes missing from the data are quiet minutes (zero).
  const bucketMin = Math.max(1, Math.ceil(1440 / (plotW / 3)));
  const buckets = Math.ceil(1440 / bucketMin);
  const sums = Array.from({ length: buckets }, () => ({ total: 0, blocked: 0 }));
  for (const p of props.points) {
    const i = Math.floor((p.at - start) / (bucketMin * MINUTE));
    const b = sums[i];
    if (b === undefined) continue;
    b.total = Math.max(b.total, p.total);
    b.blocked = Math.max(b.blocked, p.blocked);
  }
  const pts: MinutePoint[] = sums.map((b, i) => ({ at: start + i * bucketMin * MINUTE, total: b.total, blocked: b.blocked }));
  const peak = pts.reduce((m, p) => Math.max(m, p.total), 0);
  const top = niceCeil(peak);
  const x = (at: number) => PAD.left + ((at - start) / DAY) * plotW;
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const line = (pick: (p: MinutePoint) => number): string =>
    pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.at).toFixed(1)},${y(pick(p)).toFixed(1)}`).join('');
  const totalLine = line((p) => p.total);
  const first = pts[0];
  const last = pts[pts.length - 1];
  const area = first !== undefined && last !== undefined
    ? `${totalLine}L${x(last.at).toFixed(1)},${y(0)}L${x(first.at).toFixed(1)},${y(0)}Z`
    : '';

  // Hour ticks on the zone's whole hours, every 3 h (6 h on a phone).
  const every = plotW < 420 ? 6 : 3;
  const ticks: number[] = [];
  const s = zonedParts(start, timezone);
  let tick = start + ((60 - s.minute) % 60) * MINUTE - s.second * 1000;
  for (; tick <= props.end; tick += 60 * MINUTE) {
    if (zonedParts(tick, timezone).hour % every === 0) ticks.push(tick);
  }

  const hovered = hover === null ? undefined : pts[hover];
  const onMove = (ev: PointerEvent) => {
    if (pts.length === 0) return;
    const rect = (ev.currentTarget as SVGSVGElement).getBoundingClientRect();
    const at = start + ((ev.clientX - rect.left - PAD.left) / plotW) * DAY;
    let best = 0;
    for (let i = 1; i < pts.length; i++) {
      if (Math.abs((pts[i]?.at ?? 0) - at) < Math.abs((pts[best]?.at ?? 0) - at)) best = i;
    }
    setHover(best);
  };

  return (
    <figure class="chart" ref={ref} data-testid="minute-chart">
      <svg width={w} height={HEIGHT} viewBox={`0 0 ${w} ${HEIGHT}`} role="img"
        aria-label={t('overview.chartLabel', { peak: formatNumber(peak, lang) })}
        onPointerMove={onMove} onPointerLeave={() => setHover(null)}>
        {(top >= 2 ? [0, 0.5, 1] : [0, 1]).map((f) => (
          <g key={f}>
            <line class="grid" x1={PAD.left} x2={w - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text class="axis" x={PAD.left - 6} y={y(top * f) + 4} text-anchor="end">{formatNumber(top * f, lang)}</text>
          </g>
        ))}
        {ticks.map((at) => {
          const p = zonedParts(at, timezone);
          return (
            <g key={at}>
              <line class="grid grid-v" x1={x(at)} x2={x(at)} y1={PAD.top} y2={PAD.top + plotH} />
              <text class="axis" x={x(at)} y={HEIGHT - 6} text-anchor="middle">{clock(p.hour, 0, lang)}</text>
            </g>
          );
        })}
        {area !== '' && <path class="area-total" d={area} />}
        {totalLine !== '' && <path class="line-total" d={totalLine} />}
        {pts.length > 0 && <path class="line-blocked" d={line((p) => p.blocked)} />}
        {hovered !== undefined && (
          <g class="hover">
            <line x1={x(hovered.at)} x2={x(hovered.at)} y1={PAD.top} y2={PAD.top + plotH} />
            <circle cx={x(hovered.at)} cy={y(hovered.total)} r="3" />
          </g>
        )}
      </svg>
      <figcaption>
        <span class="legend legend-total">{t('overview.legendTotal')}</span>
        <span class="legend legend-blocked">{t('overview.legendBlocked')}</span>
        {hovered !== undefined && (
          <span class="hover-text">
            {formatShort(hovered.at, timezone, lang)}: {formatNumber(hovered.total, lang)} / {formatNumber(hovered.blocked, lang)}
          </span>
        )}
      </figcaption>
    </figure>
  );
}
